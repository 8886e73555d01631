"""The ``kinerja`` command-line tool: one group, commands registered from the modules beside it.

A command's module is imported only when that command runs (or ``--help`` lists it), so ``kinerja score``
does not pay for the form server, the mailer or the importers. ``COMMAND_MODULES`` says which module
registers which command; a command missing from it is still found, by importing every module.
"""

from __future__ import annotations

from .common import main

#: Top-level command name -> module of this package whose ``register(main)`` adds it.
COMMAND_MODULES = {
    "init": "database", "backup": "database", "restore": "database", "cycle": "database",
    "import": "imports",
    "demo": "organisation", "assign": "organisation",
    "serve": "serve",
    "links": "links", "admin-link": "links", "admin": "links",
    "undang": "outreach", "ingatkan": "outreach", "kiriman": "outreach",
    "score": "analysis",
    "pelatihan": "training",
    "penghargaan": "awards",
    "report": "reports",
    "keberatan": "keberatan",
    "pihak-lain": "luar", "survei": "luar",
    "umpan-balik": "umpan_balik",
    "laporan": "laporan",
    "nominasi": "nominasi",
}

main.lazy_modules(__name__, COMMAND_MODULES)

__all__ = ["COMMAND_MODULES", "main"]
