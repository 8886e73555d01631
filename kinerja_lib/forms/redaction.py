"""Masking of link tokens in log text: query values under any parameter name, and token-like runs anywhere.

A personal link is a bearer credential, so no log line may carry one: not the rater's ``?t=``, not a
token someone pasted under another name (``?token=``, ``?akses=``), not one inside a path.
"""

from __future__ import annotations

import logging
import re

#: A query parameter: ``?name=value`` / ``&name=value`` / ``;name=value``.
_QUERY_VALUE = re.compile(r"(?P<head>[?&;](?P<name>[^=&;\s?#'\"<>]{1,64})=)(?P<value>[^&;\s#'\"<>]*)")
#: The link parameter is masked whatever its length; any other value from this length on.
_LONG_VALUE = 16
#: A run as long as a token (``secrets.token_urlsafe(32)`` gives 43 characters) anywhere in the text.
_TOKEN_RUN = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])")
#: Kernel ids (UUIDs) stay readable: operators match them between log lines, and they are no link.
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MASK = "***"


def _query(match: re.Match) -> str:
    value = match["value"]
    if value and (match["name"] == "t" or len(value) >= _LONG_VALUE):
        return match["head"] + MASK
    return match[0]


def _run(match: re.Match) -> str:
    text = match[0]
    if _UUID.fullmatch(text) or not re.search(r"[A-Z0-9]", text):
        return text  # a kernel id, or a long snake_case name in a traceback
    return MASK


def redact(text: str) -> str:
    """Return ``text`` with link tokens masked: query values and token-like runs anywhere.

    >>> redact("GET /voila/render/penilaian.ipynb?t=abcDEF_123-x&z=1")
    'GET /voila/render/penilaian.ipynb?t=***&z=1'
    >>> redact("/x?token=Zm9vYmFyYmF6cXV1eGNvcmdl&tema=gelap")
    '/x?token=***&tema=gelap'
    >>> redact("/voila/render/Ab3dEfGhIjKlMnOpQrStUvWxYz0123456789_-AbC")
    '/voila/render/***'
    """
    return _TOKEN_RUN.sub(_run, _QUERY_VALUE.sub(_query, text))


class RedactingFormatter(logging.Formatter):
    """A log formatter that masks link tokens anywhere in the record, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
