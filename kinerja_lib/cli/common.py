"""Shared pieces of the CLI: the root group, the database option and error reporting."""

from __future__ import annotations

import functools
import sys

import click

from ..errors import ImportRejected, KinerjaError
from ..store import open_db


class KinerjaGroup(click.Group):
    """A click group that turns the kit's own errors into clear messages and a non-zero exit."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ImportRejected as exc:
            click.echo(str(exc), err=True)
            sys.exit(2)
        except KinerjaError as exc:
            click.echo(f"Galat: {exc}", err=True)
            sys.exit(1)


@click.group(cls=KinerjaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_path", envvar="KINERJA_DB", type=click.Path(dir_okay=False),
              help="Berkas basis data SQLite (bawaan: $KINERJA_DB atau data/kinerja.db).")
@click.version_option(package_name="kinerja360")
@click.pass_context
def main(ctx: click.Context, db_path: str | None) -> None:
    """Kinerja 360: penilaian perilaku kerja 360 derajat untuk ASN (PermenPANRB 6/2022)."""
    ctx.ensure_object(dict)
    ctx.obj["db_path"] = db_path


def get_db(ctx: click.Context):
    """Return the migrated database named by ``--db`` (opened once per command)."""
    obj = ctx.find_root().obj
    if "db" not in obj:
        obj["db"] = open_db(obj.get("db_path"))
    return obj["db"]


def with_db(func):
    """Decorate a command so it receives the opened database as its first argument."""
    @click.pass_context
    @functools.wraps(func)
    def wrapper(ctx, *args, **kwargs):
        return func(get_db(ctx), *args, **kwargs)
    return wrapper
