"""The ``kinerja`` command-line tool: one group, commands registered from the modules beside it."""

from __future__ import annotations


from . import (analysis, awards, database, imports, keberatan, links, luar, organisation, outreach, reports, serve,
               training, umpan_balik)
from .common import main

for _module in (database, imports, organisation, serve, links, luar, outreach, analysis, training, awards, reports,
                keberatan, umpan_balik):
    _module.register(main)

__all__ = ["main"]
