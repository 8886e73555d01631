"""The 360 method settings: one typed, frozen object, built and checked on one path wherever the value comes from."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
import shutil

import pytest
import yaml

from kinerja_lib import competency, reference
from kinerja_lib.config import reference_dir
from kinerja_lib.cycle import get_cycle, merge_settings, open_cycle
from kinerja_lib.errors import CycleError, ReferenceDataError
from kinerja_lib.settings import FrozenDict, MethodSettings

# One wrong value per rule, each written as a cycle override (nested dicts merge into the defaults).
BAD = [
    {"bobot": {"diri": 0.5}},
    {"bobot": {"atasan": -1}},
    {"bobot": "abc"},
    {"bobot": {"atasan": "0.4"}},
    {"minimal_penilai": {"rekan": 0}},
    {"minimal_penilai": {"rekan": 2}},
    {"minimal_penilai": {"rekan": True}},
    {"rekan_per_pegawai": -2},
    {"benih_acak": -1},
    {"maks_tidak_dapat_menilai": 1.5},
    {"komentar_maks_karakter": 0},
    {"kompetensi_per_relasi": {"rekan": ["K99"]}},
    {"ambang_rating_perilaku": {"di_atas": 2.0, "di_bawah": 3.0}},
    {"ambang_rating_perilaku": 5},
    {"kelompok": [1, 2]},
    {"warna": "biru"},
]


def _message(call) -> str:
    with pytest.raises((CycleError, ReferenceDataError)) as info:
        call()
    return str(info.value)


def _merged_yaml(override: dict) -> dict:
    data = yaml.safe_load((reference_dir() / "metode.yaml").read_text(encoding="utf-8"))
    for key, value in override.items():
        data[key] = {**data[key], **value} if isinstance(data.get(key), dict) and isinstance(value, dict) else value
    return data


@pytest.mark.parametrize("override", BAD, ids=lambda o: json.dumps(o, ensure_ascii=False))
def test_a_bad_value_gives_the_same_message_wherever_it_is_written(override, tmp_path, db):
    """metode.yaml, a cycle's settings file, a stored cycle and a competency analysis all check on one path."""
    as_override = _message(lambda: merge_settings(override))

    directory = tmp_path / "referensi"
    shutil.copytree(reference_dir(), directory)
    (directory / "metode.yaml").write_text(yaml.safe_dump(_merged_yaml(override), allow_unicode=True),
                                           encoding="utf-8")
    with pytest.raises(ReferenceDataError) as in_yaml:
        reference.load_method_defaults(directory)
    assert str(in_yaml.value) == f"metode.yaml: {as_override}"

    with pytest.raises(CycleError) as at_open:
        open_cycle(db, "Uji", "Tahunan", 2026, "2026-01-01", "2026-12-31", override)
    assert str(at_open.value) == as_override

    # A stored cycle whose settings were changed behind the kit's back is refused the same way when read.
    db.execute("INSERT INTO cycle (nama, periode, tahun, tanggal_mulai, tanggal_selesai, instrumen_versi, settings,"
               " dibuat) VALUES ('Lama', 'Tahunan', 2026, '2026-01-01', '2026-12-31', 'v', ?, 'x')",
               [json.dumps(_merged_yaml(override))])
    assert _message(lambda: get_cycle(db, "Lama")) == as_override

    method_keys = {k: v for k, v in override.items() if k in competency.METHOD_KEYS}
    if method_keys:
        assert _message(lambda: competency.competency_settings(overrides=method_keys)) == as_override


def test_the_defaults_themselves_pass_the_check():
    settings = MethodSettings.build()
    assert settings.to_dict() == reference.load_method_defaults()
    # Every setting metode.yaml holds is a typed field, and nothing else is.
    assert [f.name for f in dataclasses.fields(MethodSettings)] == list(reference.load_method_defaults())


def test_settings_are_typed_frozen_and_readable_by_key():
    """Attributes and keys read the same values; neither can change them; the stored form is plain JSON."""
    s = MethodSettings.build({"bobot": {"atasan": 1}, "minimal_penilai": {"rekan": 4}})
    assert s.bobot["atasan"] == 1 and s.bobot["rekan"] == 0.3
    assert s["minimal_penilai"] is s.minimal_penilai and s.get("rekan_per_pegawai") == s.rekan_per_pegawai
    assert isinstance(s.kelompok, tuple) and isinstance(s.kompetensi_per_relasi["rekan"], tuple)
    assert list(s) == list(reference.load_method_defaults()) and len(s) == len(list(s))
    with pytest.raises(KeyError):
        s["warna"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.bobot = {}
    with pytest.raises(TypeError):
        s.bobot["atasan"] = 0.9
    with pytest.raises(TypeError):
        s["ambang_rating_perilaku"].update(keyakinan=0.6)
    assert json.loads(json.dumps(dict(s))) == s.to_dict() == s
    assert isinstance(s.minimal_penilai, FrozenDict)
    assert copy.deepcopy(s) is s and pickle.loads(pickle.dumps(s)) == s
    mine = copy.deepcopy(s.bobot)   # an older caller copying a setting to change it gets a plain dict
    mine["atasan"] = 0.5
    assert s.bobot["atasan"] == 1


def test_a_cycle_reads_its_stored_settings_as_the_typed_object(db):
    """The cycle table keeps a plain dict; a Cycle read back carries the typed settings built from it."""
    c = open_cycle(db, "Uji", "Tahunan", 2026, "2026-01-01", "2026-12-31",
                   {"kelompok": ["diri", "atasan", "rekan"], "rekan_per_pegawai": 5})
    stored = json.loads(db.execute("SELECT settings FROM cycle WHERE id = ?", [c.id]).fetchone()[0])
    assert stored == c.settings.to_dict()
    assert isinstance(c.settings, MethodSettings)
    assert (c.settings.kelompok, c.settings.rekan_per_pegawai, dict(c.settings.bobot)) == (
        ("diri", "atasan", "rekan"), 5, {"atasan": 0.4, "rekan": 0.3})
