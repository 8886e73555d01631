"""The ``kinerja`` command-line tool: one group, commands registered from the modules beside it."""

from __future__ import annotations


from . import (analysis, awards, database, imports, keberatan, laporan, links, nominasi, organisation, outreach,
               reports, serve, training)
from .common import main

for _module in (database, imports, organisation, serve, links, outreach, analysis, training, awards, reports,
                keberatan, laporan, nominasi):
    _module.register(main)

__all__ = ["main"]
