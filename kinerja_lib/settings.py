"""The 360 method settings as one typed, frozen object, built and checked on one path.

The defaults come from ``data/referensi/metode.yaml``; a cycle stores its own settings (defaults merged with
what the administrator changed) as a plain JSON dict in ``cycle.settings``. :meth:`MethodSettings.build`
merges a mapping of overrides into the defaults and checks the result, so the same wrong value gives the
same message whether it stands in metode.yaml (ReferenceDataError naming the file) or in a cycle's settings
(CycleError). Nothing here imports pandas or numpy: the forms read these settings too.

>>> s = MethodSettings.build({"minimal_penilai": {"rekan": 4}})
>>> s.minimal_penilai["rekan"], s["minimal_penilai"]["rekan"], s.kelompok[0]
(4, 4, 'diri')
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import CycleError, ReferenceDataError


class FrozenDict(dict):
    """A dict that refuses every change: the nested parts of a settings object (JSON-serialisable as is)."""

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("pengaturan tidak dapat diubah; buat yang baru dengan MethodSettings.build")

    __setitem__ = __delitem__ = __ior__ = _refuse  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]

    def __reduce__(self):
        return (FrozenDict, (dict(self),))

    def __copy__(self) -> FrozenDict:
        return self

    def __deepcopy__(self, memo: dict) -> dict:
        # Older callers deep-copy a setting to change it: give them a plain, mutable copy.
        import copy

        return {k: copy.deepcopy(v, memo) for k, v in self.items()}


#: Settings keyed by rater group, narrowed with ``kelompok``.
PER_GROUP_SETTINGS = ("minimal_penilai", "bobot", "kompetensi_per_relasi")

# The shape of each setting: a type, [type] for a list, {key: shape} for fixed keys, {str: shape} for any key.
_SHAPE: dict[str, Any] = {
    "versi": str,
    "kelompok": [str],
    "izinkan_minimal_di_bawah_3": bool,
    "minimal_penilai": {str: int},
    "bobot": {str: float},
    "rekan_per_pegawai": int,
    "benih_acak": int,
    "maks_tidak_dapat_menilai": float,
    "kompetensi_per_relasi": {str: [str]},
    "komentar_maks_karakter": int,
    "ambang_rating_perilaku": {"di_atas": float, "di_bawah": float, "keyakinan": float},
    "titik_buta_proporsi_rentang": float,
}

_KINDS = {dict: "pasangan 'kunci: nilai'", list: "daftar", str: "teks", int: "bilangan bulat", float: "bilangan",
          bool: "true/false"}


def _kind(value: Any) -> type:
    if isinstance(value, bool):
        return bool
    if isinstance(value, (int, float)):
        return float if isinstance(value, float) else int
    for kind in (dict, list, str):
        if isinstance(value, kind):
            return kind
    if isinstance(value, tuple):
        return list
    return type(value)


def _convert(key: str, shape: Any, value: Any) -> Any:
    """Return ``value`` in its frozen typed form, or raise CycleError naming ``key`` when it has the wrong shape.

    A whole number is accepted where a decimal is expected and kept as written (so the stored settings and
    everything keyed on them stay the same); booleans are never numbers.
    """
    want = dict if isinstance(shape, dict) else list if isinstance(shape, list) else shape
    got = _kind(value)
    if want is float and got is int:
        got = float
    if want is not got:
        raise CycleError(f"{key}: harus {_KINDS.get(want, want.__name__)}, bukan "
                         f"{_KINDS.get(got, 'nilai ' + repr(value)[:40])}")
    if want is float and not math.isfinite(value):
        raise CycleError(f"{key}: harus bilangan terhingga")
    if want is int and not -2**63 <= value < 2**63:
        raise CycleError(f"{key}: bilangan terlalu besar")
    if want is list:
        return tuple(_convert(f"{key}[{i + 1}]", shape[0], v) for i, v in enumerate(value))
    if want is dict:
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise CycleError(f"{key}: kunci '{k}' harus teks")
            inner = shape.get(str) if str in shape else shape.get(k, next(iter(shape.values())))
            out[k] = _convert(f"{key}.{k}", inner, v)
        return FrozenDict(out)
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True, eq=False)
class MethodSettings(Mapping):
    """A cycle's 360 method settings, typed and frozen; build one with :meth:`build`.

    Read the settings as attributes (``settings.bobot``). Read access by key (``settings["bobot"]``,
    ``settings.get("bobot")``, ``dict(settings)``) also works, for notebooks and older callers; nothing can be
    changed either way. Lists are tuples and nested mappings are read-only dicts. :meth:`to_dict` gives the
    plain form stored in ``cycle.settings`` and stamped on every output.
    """

    versi: str
    kelompok: tuple[str, ...]
    izinkan_minimal_di_bawah_3: bool
    minimal_penilai: Mapping[str, int]
    bobot: Mapping[str, float]
    rekan_per_pegawai: int
    benih_acak: int
    maks_tidak_dapat_menilai: float
    kompetensi_per_relasi: Mapping[str, tuple[str, ...]]
    komentar_maks_karakter: int
    ambang_rating_perilaku: Mapping[str, float]
    titik_buta_proporsi_rentang: float

    # -- read-only Mapping protocol (key access for notebooks and older callers)
    def __getitem__(self, key: str) -> Any:
        if key not in _SHAPE:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(_SHAPE)

    def __len__(self) -> int:
        return len(_SHAPE)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self.to_dict() == _plain(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __copy__(self) -> MethodSettings:
        return self

    def __deepcopy__(self, memo: dict) -> MethodSettings:
        # Nothing in it can change, so a copy is the object itself; dataclasses.replace or build make new ones.
        return self

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as a plain, JSON-serialisable dict (lists and dicts), in metode.yaml's order."""
        return {k: _plain(getattr(self, k)) for k in _SHAPE}

    @classmethod
    def build(cls, overrides: Mapping[str, Any] | None = None, *,
              defaults: Mapping[str, Any] | None = None) -> MethodSettings:
        """Return the defaults (metode.yaml unless given) updated with ``overrides`` (nested dicts merged), checked.

        Narrowing ``kelompok`` drops the defaults that belong to the removed groups; a value given explicitly
        for a removed group is still refused. Raises CycleError naming the setting that is wrong.
        """
        if defaults is None:
            defaults = _checked_defaults()
        if overrides is None:
            overrides = {}
        if not isinstance(overrides, Mapping):
            raise CycleError("pengaturan harus berupa pasangan 'kunci: nilai'")
        merged: dict[str, Any] = {k: _plain(v) for k, v in defaults.items()}
        kelompok = overrides.get("kelompok")
        if isinstance(kelompok, (list, tuple)):
            kept = set(kelompok)
            for key in PER_GROUP_SETTINGS:
                if isinstance(merged.get(key), dict):
                    merged[key] = {g: v for g, v in merged[key].items() if g in kept}
        for key, value in overrides.items():
            if key not in _SHAPE:
                raise CycleError(f"Pengaturan '{key}' tidak dikenal")
            if isinstance(merged.get(key), dict) and isinstance(value, Mapping):
                merged[key] = {**merged[key], **_plain(value)}
            else:
                merged[key] = _plain(value)
        return cls._checked(merged)

    @classmethod
    def _checked(cls, merged: Mapping[str, Any]) -> MethodSettings:
        for key in merged:
            if key not in _SHAPE:
                raise CycleError(f"Pengaturan '{key}' tidak dikenal")
        for key in _SHAPE:
            if key not in merged:
                raise CycleError(f"Pengaturan '{key}' wajib ada")
        settings = cls(**{key: _convert(key, _SHAPE[key], merged[key]) for key in _SHAPE})
        settings._check()
        return settings

    def _check(self) -> None:
        """Raise CycleError unless the settings are coherent (the rules across settings)."""
        from .reference import load_competencies
        from .vocabulary import VOCAB

        groups = self.kelompok
        if not set(groups) <= set(VOCAB.relasi):
            raise CycleError(f"kelompok: hanya {VOCAB.relasi.choices()} yang dikenal")
        for group, n in self.minimal_penilai.items():
            if group not in groups or n < 1:
                raise CycleError(f"minimal_penilai.{group}: harus bilangan bulat >= 1 untuk kelompok yang dikenal")
        weak = weak_anonymity(self)
        if weak and not self.izinkan_minimal_di_bawah_3:
            raise CycleError(f"minimal_penilai: {', '.join(f'{g} {n}' for g, n in weak.items())} di bawah 3 "
                             "melemahkan anonimitas (jawaban seseorang dapat dikenali); tulis juga "
                             "izinkan_minimal_di_bawah_3: true bila memang disengaja")
        weights = self.bobot
        if "diri" in weights:
            raise CycleError("bobot.diri: skor diri tidak ikut skor 360, tidak boleh diberi bobot")
        if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
            raise CycleError("bobot: setiap bobot harus >= 0 dan jumlahnya > 0")
        if set(weights) - set(groups):
            raise CycleError(f"bobot: kelompok tidak dikenal {sorted(set(weights) - set(groups))}")
        if not 0 <= self.rekan_per_pegawai <= 100:
            raise CycleError("rekan_per_pegawai: harus bilangan bulat 0 sampai 100")
        if not 0 <= self.benih_acak < 2**32:
            raise CycleError("benih_acak: harus bilangan bulat 0 sampai 4294967295")
        if not 1 <= self.komentar_maks_karakter <= 100_000:
            raise CycleError("komentar_maks_karakter: harus bilangan bulat 1 sampai 100000")
        for key in ("maks_tidak_dapat_menilai", "titik_buta_proporsi_rentang"):
            if not 0 <= getattr(self, key) <= 1:
                raise CycleError(f"{key}: harus proporsi 0..1")
        known = set(load_competencies().by_code())
        for rel, codes in self.kompetensi_per_relasi.items():
            if set(codes) - known:
                raise CycleError(f"kompetensi_per_relasi.{rel}: kode tidak dikenal {sorted(set(codes) - known)}")
        cut = self.ambang_rating_perilaku
        if set(cut) != {"di_atas", "di_bawah", "keyakinan"}:
            raise CycleError("ambang_rating_perilaku: isi di_atas, di_bawah (angka skala) dan keyakinan (peluang)")
        if not cut["di_bawah"] < cut["di_atas"]:
            raise CycleError("ambang_rating_perilaku: di_bawah harus lebih kecil dari di_atas")
        if not 0.5 <= cut["keyakinan"] < 1:
            raise CycleError("ambang_rating_perilaku.keyakinan: harus peluang 0,5 sampai di bawah 1")



def method_settings(settings: Mapping[str, Any] | None = None) -> MethodSettings:
    """Return ``settings`` as a MethodSettings: as is when it already is one, else built over the defaults."""
    if isinstance(settings, MethodSettings):
        return settings
    return MethodSettings.build(settings)


def _checked_defaults() -> dict[str, Any]:
    """Return metode.yaml's settings after the same check as a cycle's (ReferenceDataError naming the file)."""
    from .reference import _method_defaults

    raw = _method_defaults(None)
    if _CHECKED.get("defaults") is not raw:   # the file is read once (cached); check what was read once too
        _check_defaults(raw)
        _CHECKED["defaults"] = raw
    return raw


_CHECKED: dict[str, Any] = {}


def _check_defaults(raw: Mapping[str, Any], name: str = "metode.yaml") -> MethodSettings:
    try:
        return MethodSettings._checked(raw)
    except CycleError as exc:
        raise ReferenceDataError(f"{name}: {exc}") from None


#: Rater groups whose members are anonymous: their minimum protects who said what.
ANONYMOUS_GROUPS = ("rekan", "bawahan", "lainnya")


def weak_anonymity(settings: Mapping[str, Any]) -> dict[str, int]:
    """Return the anonymous groups whose minimum is below 3, with their minimum (empty when none).

    >>> weak_anonymity({"kelompok": ["atasan", "rekan"], "minimal_penilai": {"atasan": 1, "rekan": 2}})
    {'rekan': 2}
    """
    return {g: int(n) for g, n in settings.get("minimal_penilai", {}).items()
            if g in ANONYMOUS_GROUPS and g in settings.get("kelompok", []) and int(n) < 3}
