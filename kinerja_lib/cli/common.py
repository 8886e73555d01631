"""Shared pieces of the CLI: the root group, the database option, parameter types and error reporting.

Every failure a user can cause ends the same way: one Indonesian message on stderr and exit status 2,
with nothing written. The kit's own errors are raised where they arise (a bad file, a bad path, a
closed cycle); the group only prints them. Anything else is a bug: the group prints a short message
with a hint to rerun with ``--debug`` (or ``KINERJA_DEBUG=1``) for the traceback.
"""

from __future__ import annotations

import functools
import getpass
import importlib
import os
import re
import sqlite3
import sys
from pathlib import Path
from typing import Any

import click

from .. import config
from ..errors import DatabaseFileError, ImportRejected, KinerjaError

#: Exit status of every refused command (click's own usage errors use 2 as well).
EXIT_REFUSED = 2
ENV_DEBUG = "KINERJA_DEBUG"


def _debug(ctx: click.Context | None) -> bool:
    root = ctx.find_root() if ctx is not None else None
    flagged = bool(root is not None and isinstance(root.obj, dict) and root.obj.get("debug"))
    return flagged or os.environ.get(ENV_DEBUG, "").strip().lower() in ("1", "ya", "true", "yes")


class KinerjaGroup(click.Group):
    """A click group that prints the kit's errors and click's usage errors in Indonesian, exit status 2.

    Its commands may be registered lazily (:meth:`lazy_modules`): a command's module is imported, and its
    ``register(group)`` called, the first time the command is asked for.
    """

    _package: str | None = None
    _lazy: dict[str, str] = {}
    _loaded: set[str]

    def lazy_modules(self, package: str, modules: dict[str, str]) -> None:
        """Register the commands named in ``modules`` (name -> module of ``package``) when first asked for."""
        self._package, self._lazy, self._loaded = package, dict(modules), set()

    def _load(self, module: str) -> None:
        if module not in self._loaded:
            self._loaded.add(module)
            importlib.import_module(f"{self._package}.{module}").register(self)

    def get_command(self, ctx: click.Context, cmd_name: str):
        if cmd_name not in self.commands and self._package is not None:
            if cmd_name in self._lazy:
                self._load(self._lazy[cmd_name])
            else:  # a command not listed in the map: look in every module before calling it unknown
                for module in dict.fromkeys(self._lazy.values()):
                    self._load(module)
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(self._lazy))

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except ImportRejected as exc:
            click.echo(str(exc), err=True)
        except KinerjaError as exc:
            click.echo(f"Galat: {exc}", err=True)
        except sqlite3.OperationalError as exc:
            if _debug(ctx):
                raise
            click.echo(f"Galat: {_sqlite_message(exc)}", err=True)
        except Exception as exc:  # a bug: say so briefly, never show a traceback unless asked
            if _debug(ctx):
                raise
            click.echo(f"Galat tak terduga ({type(exc).__name__}): {str(exc)[:300]}\n"
                       f"Jalankan ulang dengan 'kinerja --debug ...' (atau {ENV_DEBUG}=1) untuk melihat rincian "
                       "teknisnya, lalu laporkan.", err=True)
        ctx.exit(EXIT_REFUSED)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            click.echo("Dibatalkan.", err=True)
            sys.exit(1)
        except click.ClickException as exc:
            show_usage_error(exc)
            sys.exit(EXIT_REFUSED if isinstance(exc, click.UsageError) else exc.exit_code)
        sys.exit(code if isinstance(code, int) else 0)


def _sqlite_message(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return ("basis data sedang dikunci proses lain terlalu lama; coba lagi sebentar lagi "
                f"(rincian: {text})")
    if "readonly" in text or "read-only" in text:
        return f"basis data tidak dapat ditulisi (berkas atau foldernya hanya-baca): {text}"
    if "disk" in text or "full" in text:
        return f"penyimpanan penuh atau rusak saat menulis basis data: {text}"
    return f"basis data menolak perintah: {text}"


# ---------------------------------------------------------------------------------- usage errors

_USAGE_PATTERNS = [
    (re.compile(r"No such command '(.+)'\.?"), "perintah '{0}' tidak dikenal"),
    (re.compile(r"Got unexpected extra arguments? \((.*)\)"), "argumen berlebih yang tidak dikenal: {0}"),
    (re.compile(r"Option '(.+)' requires an argument\.?"), "opsi '{0}' membutuhkan nilai"),
    (re.compile(r"Option '(.+)' does not take a value\.?"), "opsi '{0}' tidak menerima nilai"),
]


def _hint(exc: click.exceptions.BadParameter) -> str:
    if exc.param_hint is not None:
        hint = exc.param_hint
        return " / ".join(hint) if isinstance(hint, (list, tuple)) else str(hint)
    if exc.param is not None:
        return " / ".join(f"'{o}'" for o in (exc.param.opts or [exc.param.name or ""]))
    return ""


def usage_message(exc: click.ClickException) -> str:
    """Return click's error as one Indonesian sentence (click's own texts are English)."""
    if isinstance(exc, click.exceptions.NoSuchOption):
        text = f"opsi '{exc.option_name}' tidak dikenal"
        if exc.possibilities:
            text += "; mungkin maksudnya " + " atau ".join(f"'{p}'" for p in sorted(exc.possibilities))
        return text
    if isinstance(exc, click.exceptions.MissingParameter):
        what = "argumen" if exc.param is not None and exc.param.param_type_name == "argument" else "opsi"
        hint = _hint(exc).upper() if what == "argumen" else _hint(exc)
        extra = ""
        if exc.param is not None and isinstance(exc.param.type, click.Choice):
            extra = "; pilihan: " + ", ".join(map(str, exc.param.type.choices))
        return f"{what} {hint} wajib diisi{extra}"
    if isinstance(exc, click.exceptions.BadParameter):
        return f"nilai {_hint(exc)} tidak valid: {exc.message}"
    message = exc.format_message() if not isinstance(exc, click.UsageError) else exc.message
    for pattern, template in _USAGE_PATTERNS:
        match = pattern.fullmatch(message.strip())
        if match:
            return template.format(*match.groups())
    return message


def show_usage_error(exc: click.ClickException) -> None:
    """Print a click error the way the kit prints its own: one Indonesian line, a pointer to --help."""
    ctx = getattr(exc, "ctx", None)
    text = f"Galat: {usage_message(exc)}"
    if ctx is not None:
        text += f"\nLihat '{ctx.command_path} --help'."
    click.echo(text, err=True)


# ---------------------------------------------------------------------------------- parameter types

class Bilangan(click.ParamType):
    """A whole number within bounds, refused in Indonesian (huge numbers never reach the database)."""

    name = "bilangan"

    def __init__(self, minimum: int | None = None, maximum: int | None = None):
        self.minimum, self.maximum = minimum, maximum

    def convert(self, value: Any, param, ctx) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            text = str(value).strip()
            digits = text[1:] if text[:1] in "+-" else text
            if not (digits.isascii() and digits.isdigit()):
                self.fail(f"'{text[:40]}' bukan bilangan bulat", param, ctx)
            if len(digits) > 30:
                self.fail(f"bilangan {len(digits)} angka terlalu besar", param, ctx)
            number = int(text)
        low, high = self.minimum, self.maximum
        if (low is not None and number < low) or (high is not None and number > high):
            if low is not None and high is not None:
                bounds = f"{low} sampai {high}"
            elif low is not None:
                bounds = f"paling kecil {low}"
            else:
                bounds = f"paling besar {high}"
            shown = str(number) if len(str(number)) <= 20 else str(number)[:20] + "…"
            self.fail(f"{shown} di luar rentang yang diterima ({bounds})", param, ctx)
        return number


class Pilihan(click.Choice):
    """click.Choice with Indonesian messages."""

    def get_invalid_choice_message(self, value: Any, ctx) -> str:
        return f"'{str(value)[:60]}' bukan pilihan yang tersedia ({', '.join(map(str, self.choices))})"

    def get_missing_message(self, param, ctx) -> str:
        return "pilihan: " + ", ".join(map(str, self.choices))


def required_text(ctx, param, value):
    """Click callback: refuse an empty or whitespace-only text; return it without surrounding spaces."""
    if value is None:
        return None
    if isinstance(value, tuple):
        return tuple(required_text(ctx, param, v) for v in value)
    text = str(value).strip()
    if not text:
        raise click.BadParameter("tidak boleh kosong atau hanya spasi", ctx=ctx, param=param)
    if any(ord(ch) < 32 for ch in text):
        raise click.BadParameter("tidak boleh memuat karakter kendali (baris baru, tab)", ctx=ctx, param=param)
    return text


def refuse_existing(out: str | os.PathLike) -> None:
    """Raise OutputError when ``out`` exists: an additive export must not replace a file of links shown once."""
    from ..errors import OutputError

    if Path(out).exists():
        raise OutputError(f"berkas keluaran --out '{out}' sudah ada dan mungkin berisi tautan yang masih berlaku "
                          "(tautan hanya ditampilkan sekali); pilih nama berkas baru, mis. dengan tanggal hari ini")


# ---------------------------------------------------------------------------------- root group

@click.group(cls=KinerjaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_path", envvar="KINERJA_DB",
              help="Berkas basis data SQLite (bawaan: $KINERJA_DB atau data/kinerja.db).")
@click.option("--debug", is_flag=True, envvar=ENV_DEBUG,
              help="Tampilkan rincian teknis (traceback) bila terjadi galat tak terduga.")
@click.version_option(package_name="kinerja360")
@click.pass_context
def main(ctx: click.Context, db_path: str | None, debug: bool) -> None:
    """Kinerja 360: penilaian perilaku kerja 360 derajat untuk ASN (PermenPANRB 6/2022)."""
    ctx.ensure_object(dict)
    ctx.obj["db_path"] = db_path
    ctx.obj["debug"] = debug
    # Everything this command creates (database, exports, reports) holds personal data:
    # owner-only, whatever the shell's umask (UU 27/2022 tentang Pelindungan Data Pribadi).
    previous = os.umask(0o077)
    ctx.call_on_close(lambda: os.umask(previous))


def database_path(ctx: click.Context) -> Path:
    """Return the database path chosen by ``--db``, ``$KINERJA_DB`` or the default."""
    return config.db_path(ctx.find_root().obj.get("db_path"))


def open_checked(path: str | os.PathLike) -> Any:
    """Return the migrated database at ``path`` after :func:`check_database_path` and a schema check."""
    from ..backup import check_database_path, make_private, schema_problem
    from ..store import open_db

    target = check_database_path(path)
    try:
        db = open_db(target, migrate=False)
        problem = schema_problem(db.conn)
        if problem:
            db.close()
            raise DatabaseFileError(f"basis data '{target}': {problem}")
        from ..store import migrations

        migrations.apply(db)
        make_private(target)
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc)):
            raise DatabaseFileError(f"basis data '{target}': {_sqlite_message(exc)}") from None
        raise DatabaseFileError(f"basis data '{target}' rusak atau tidak dapat dibuka: {exc}") from None
    return db


def get_db(ctx: click.Context):
    """Return the migrated database named by ``--db`` (opened once per command)."""
    obj = ctx.find_root().obj
    if "db" not in obj:
        obj["db"] = open_checked(database_path(ctx))
    return obj["db"]


def with_db(func):
    """Decorate a command so it receives the opened database as its first argument."""
    @click.pass_context
    @functools.wraps(func)
    def wrapper(ctx, *args, **kwargs):
        return func(get_db(ctx), *args, **kwargs)
    return wrapper


def pelaku() -> str:
    """Return the audit actor of a command: the operating-system user who ran it ("cli" when there is none)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user entry in some containers
        return "cli"


def warn_local_base_url(base_url: str | None, issued: bool = True) -> None:
    """Print on stderr, once links were issued, the warning that they point at this machine only."""
    from ..links import local_base_url_warning

    warning = local_base_url_warning(base_url) if issued else None
    if warning:
        click.echo(warning, err=True)
