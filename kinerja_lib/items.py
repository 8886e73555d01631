"""Which items a form asks of each relation, and how many "tidak dapat menilai" a submitted form may hold.

One home for both rules, read by the forms, the imports and the demo. Light on purpose (no pandas or numpy):
form kernels import it, and they keep the heavy modules out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .reference import load_instrument


def items_for_relation(settings: Mapping[str, Any], relation: str) -> tuple[str, ...]:
    """Return the item codes a form of this relation asks: the BerAKHLAK indicators, then the competencies the
    cycle asks of the relation (``kompetensi_per_relasi``).

    >>> len(items_for_relation({"kompetensi_per_relasi": {"rekan": ["K01", "K02"]}}, "rekan"))
    23
    """
    return load_instrument().item_codes + tuple(settings.get("kompetensi_per_relasi", {}).get(relation, ()))


def tdm_limit(settings: Mapping[str, Any], n_items):
    """Return how many "tidak dapat menilai" a submitted form of ``n_items`` items may hold: the share
    ``maks_tidak_dapat_menilai`` of its items, rounded down (an int; a numpy array of counts gives an array).

    >>> tdm_limit({"maks_tidak_dapat_menilai": 0.34}, 21), tdm_limit({"maks_tidak_dapat_menilai": 0.34}, 25)
    (7, 8)
    """
    share = float(settings["maks_tidak_dapat_menilai"])
    if hasattr(n_items, "__array__"):
        return (share * n_items + 1e-9) // 1
    return math.floor(share * n_items + 1e-9)
