"""Names typed in comments, replaced before a report shows them."""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[nama disamarkan]"
# Honorifics that, followed by a word of a roster name, point at a person ("Pak Budi", "Bu Sri").
_HONORIFICS = frozenset("pak bapak bu ibu mas mbak kak dik bang om tante saudara saudari sdr sdri".split())
# Academic and religious titles that are not part of the name people type in a comment.
_TITLES = frozenset("dr dr. drs drs. dra dra. ir ir. h h. hj hj. prof prof. kh kh.".split())
_WORD = re.compile(r"\w+(?:['’]\w+)*", re.UNICODE)



class NameRedactor:
    """Replaces pegawai names typed in a comment with ``[nama disamarkan]``.

    Matches, case-insensitively and on whole words: a full roster name (titles and degrees left
    out), and an honorific followed by words of roster names ("Pak Budi", "Bu Sri Wahyuni").

    >>> r = NameRedactor(["Dr. Budi Santoso, S.Kom.", "Sri Wahyuni"])
    >>> r("Terima kasih Budi Santoso dan Bu Sri atas bantuannya.")
    'Terima kasih [nama disamarkan] dan [nama disamarkan] atas bantuannya.'
    """

    def __init__(self, names: Iterable[str], extra: Iterable[str] = ()):
        self.full: set[tuple[str, ...]] = set()
        self.words: set[str] = set()
        for name in [*names, *extra]:
            tokens = self._name_tokens(name)
            if tokens:
                self.full.add(tokens)
                self.words.update(t for t in tokens if len(t) >= 3)
        self.longest = max((len(t) for t in self.full), default=0)

    @staticmethod
    def _name_tokens(name: str) -> tuple[str, ...]:
        core = name.split(",")[0]  # degrees follow a comma: "Budi, S.Kom."
        tokens = [t for t in core.lower().split() if t not in _TITLES]
        return tuple(w for t in tokens for w in _WORD.findall(t))

    def __call__(self, text: str) -> str:
        if not self.full:
            return text
        matches = list(_WORD.finditer(text))
        words = [m.group().lower() for m in matches]
        spans: list[tuple[int, int]] = []
        i = 0
        while i < len(words):
            end = self._match_at(words, i)
            if end > i:
                spans.append((matches[i].start(), matches[end - 1].end()))
                i = end
            else:
                i += 1
        for start, stop in reversed(spans):
            text = text[:start] + REDACTED + text[stop:]
        return text

    def _match_at(self, words: list[str], i: int) -> int:
        """Return the end (exclusive) of the name starting at word ``i``, or ``i`` if none."""
        for n in range(min(self.longest, len(words) - i), 0, -1):
            if tuple(words[i:i + n]) in self.full:
                return i + n
        if words[i] in _HONORIFICS and i + 1 < len(words) and words[i + 1] in self.words:
            end = i + 1
            while end < len(words) and words[end] in self.words:
                end += 1
            return end
        return i
