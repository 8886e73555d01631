"""Peer nomination: a pegawai proposes rekan, their atasan approves or edits, approvals become rekan assignments."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kinerja_lib import links, nominasi
from kinerja_lib.assignments import apply_nominations
from kinerja_lib.cli import main
from kinerja_lib.errors import AccessDenied, CycleError, FormError
from kinerja_lib.forms import RaterApp
from kinerja_lib.forms.nominasi import ApprovalForm, NominationForm
from kinerja_lib.links import LinkGrant
from kinerja_lib.store import now, open_db

from conftest import build_small_org

# More staff of Dinas Uji at the pelaksana tingkat, so andi can reach the rekan minimum of 3.
EXTRA = {"eko": ("199201012018011006", "Eko Prasetyo"), "fajar": ("199302022019021007", "Fajar Nugroho"),
         "gita": ("199403032020032008", "Gita Permata")}


def _org(db):
    org = build_small_org(db)
    db["pegawai"].insert_all([
        {"nip": nip, "nama": nama, "jenis_kelamin": "L", "unit_id": "Dinas Uji", "jabatan": "Pengelola Arsip",
         "jenis_jabatan": "Pelaksana", "tingkat": 1, "kepala_unit": 0, "atasan_nip": org.nip["kepala"],
         "diperbarui": now()} for nip, nama in EXTRA.values()])
    org.nip.update({k: v[0] for k, v in EXTRA.items()})
    return org


def _grant(org, key):
    issued = links.issue_links(org.db, org.cycle.id, nips=[org.nip[key]])[0]
    return links.resolve(org.db, issued.token)


def _rows(db, ratee):
    return {r[0]: r[1] for r in db.execute("SELECT rekan_nip, status FROM nominasi WHERE ratee_nip = ?", [ratee])}


@pytest.fixture
def org(db):
    o = _org(db)
    nominasi.open_window(db, o.cycle.id)
    return o


def test_search_finds_eligible_colleagues_by_name_only(org):
    """Same tingkat, same perangkat daerah, not self, not atasan, not another OPD; two letters at least."""
    found = {c.nip for c in nominasi.search(org.db, org.nip["andi"], "a")}
    assert found == set()
    names = {c.nama for c in nominasi.search(org.db, org.nip["andi"], "   ")}
    assert names == set()
    everyone = {c.nip for c in nominasi.search(org.db, org.nip["andi"], "an")}   # Santoso, Anggraini, Lestari...
    assert org.nip["budi"] in everyone
    assert org.nip["dewi"] not in everyone          # Dinas Lain
    assert org.nip["andi"] not in everyone and org.nip["kepala"] not in everyone
    assert nominasi.eligible(org.db, org.nip["andi"], [org.nip[k] for k in ("budi", "eko", "kepala", "dewi",
                                                                               "andi")]) == {org.nip["budi"],
                                                                                             org.nip["eko"]}
    # the atasan's bawahan are never their rekan
    assert org.nip["andi"] not in nominasi.eligible(org.db, org.nip["kepala"], [org.nip["andi"]])


def test_nominating_respects_the_window_the_limits_and_eligibility(org):
    """Between the minimum (3) and rekan_per_pegawai (4), eligible colleagues only, only while the window is open."""
    grant = _grant(org, "andi")
    with pytest.raises(FormError, match="paling sedikit 3"):
        nominasi.nominate(org.db, grant, [org.nip["budi"], org.nip["citra"]])
    with pytest.raises(FormError, match="tidak dapat diusulkan"):
        nominasi.nominate(org.db, grant, [org.nip["budi"], org.nip["citra"], org.nip["dewi"]])
    state = nominasi.nominate(org.db, grant, [org.nip[k] for k in ("budi", "citra", "eko")])
    assert state.stage == "menunggu"
    state = nominasi.nominate(org.db, grant, [org.nip[k] for k in ("budi", "eko", "fajar", "gita")])
    assert _rows(org.db, org.nip["andi"]) == {org.nip[k]: "diusulkan" for k in ("budi", "eko", "fajar", "gita")}
    audit = org.db.execute("SELECT pelaku, detail FROM audit_log WHERE aksi = 'usulkan_rekan' ORDER BY id").fetchall()
    assert [a[0] for a in audit] == [f"penilai:{org.nip['andi']}"] * 2
    assert json.loads(audit[1][1])["sebelumnya"] == [org.nip[k] for k in ("budi", "citra", "eko")]
    nominasi.close_window(org.db, org.cycle.id)
    with pytest.raises(FormError, match="tidak sedang dibuka"):
        nominasi.nominate(org.db, grant, [org.nip[k] for k in ("budi", "eko", "fajar")])
    with pytest.raises(CycleError):
        nominasi.close_window(org.db, org.cycle.id)


def test_only_the_direct_atasan_approves_and_never_the_pegawai_themselves(org):
    """The ratee cannot approve their own list; another pegawai's atasan cannot act on someone not their bawahan."""
    nominasi.nominate(org.db, _grant(org, "andi"), [org.nip[k] for k in ("budi", "citra", "eko")])
    for key in ("andi", "budi", "dewi"):
        with pytest.raises(FormError, match="Hanya atasan langsung"):
            nominasi.approve(org.db, _grant(org, key), org.nip["andi"])
    forged = LinkGrant(_grant(org, "budi").link_id, org.cycle.id, "penilai", org.nip["kepala"])
    with pytest.raises(AccessDenied):
        nominasi.approve(org.db, forged, org.nip["andi"])
    assert set(_rows(org.db, org.nip["andi"]).values()) == {"diusulkan"}


def test_the_atasan_removes_with_a_reason_adds_and_approves_then_it_becomes_assignments(org):
    """Removal needs a reason; the approved number stays within the limits; apply adds rekan assignments once."""
    andi, kepala = org.nip["andi"], _grant(org, "kepala")
    nominasi.nominate(org.db, _grant(org, "andi"), [org.nip[k] for k in ("budi", "citra", "eko")])
    with pytest.raises(FormError, match="alasan"):
        nominasi.approve(org.db, kepala, andi, remove={org.nip["eko"]: "  "}, add=[org.nip["fajar"]])
    with pytest.raises(FormError, match="harus 3 sampai 4"):
        nominasi.approve(org.db, kepala, andi, remove={org.nip["eko"]: "jarang bekerja sama"})
    state = nominasi.approve(org.db, kepala, andi, remove={org.nip["eko"]: "jarang bekerja sama"},
                             add=[org.nip["fajar"], org.nip["gita"]])
    assert state.stage == "disetujui"
    assert _rows(org.db, andi) == {org.nip["budi"]: "disetujui", org.nip["citra"]: "disetujui",
                                   org.nip["eko"]: "dihapus", org.nip["fajar"]: "disetujui",
                                   org.nip["gita"]: "disetujui"}
    who = org.db.execute("SELECT pelaku, detail FROM audit_log WHERE aksi = 'setujui_usulan_rekan'").fetchone()
    assert who[0] == f"penilai:{org.nip['kepala']}"
    assert json.loads(who[1])["dihapus"] == {org.nip["eko"]: "jarang bekerja sama"}
    with pytest.raises(FormError, match="sudah disetujui"):
        nominasi.approve(org.db, kepala, andi)

    before = org.db.execute("SELECT COUNT(*) FROM assignment WHERE ratee_nip = ? AND relation = 'rekan' "
                            "AND aktif = 1", [andi]).fetchone()[0]
    done = apply_nominations(org.db, org.cycle.id)
    # budi and citra already rate andi as rekan (automatic design): skipped with the reason, never doubled
    assert done.added == 2 and {s[1] for s in done.skipped} == {org.nip["budi"], org.nip["citra"]}
    raters = {r[0] for r in org.db.execute("SELECT rater_nip FROM assignment WHERE ratee_nip = ? "
                                           "AND relation = 'rekan' AND aktif = 1 AND sumber = 'manual'", [andi])}
    assert raters == {org.nip["fajar"], org.nip["gita"]}
    after = org.db.execute("SELECT COUNT(*) FROM assignment WHERE ratee_nip = ? AND relation = 'rekan' "
                           "AND aktif = 1", [andi]).fetchone()[0]
    assert after == before + 2
    assert apply_nominations(org.db, org.cycle.id).added == 0      # applied once
    assert org.db.execute("SELECT COUNT(*) FROM audit_log WHERE aksi = 'terapkan_usulan_rekan'").fetchone()[0] == 2


def test_a_nominee_who_already_rates_many_is_reported_not_dropped(org, monkeypatch):
    """No hard cap per rater exists: a nominee now above rekan_per_pegawai ratings is listed in `heavy`."""
    settings = dict(org.cycle.settings, rekan_per_pegawai=3)
    org.db.execute("UPDATE cycle SET settings = ? WHERE id = ?", [json.dumps(settings), org.cycle.id])
    for ratee in ("andi", "budi", "citra"):
        others = [org.nip[k] for k in ("eko", "fajar", "gita")]
        nominasi.nominate(org.db, _grant(org, ratee), others)
        nominasi.approve(org.db, _grant(org, "kepala"), org.nip[ratee])
    assert nominasi.overview(org.db, org.cycle.id)[0].stage in ("belum", "disetujui")
    org.db.execute("UPDATE cycle SET settings = ? WHERE id = ?",
                   [json.dumps(dict(settings, rekan_per_pegawai=2)), org.cycle.id])
    done = apply_nominations(org.db, org.cycle.id)
    assert done.added == 9
    assert done.heavy == {org.nip[k]: 3 for k in ("eko", "fajar", "gita")} and done.batas == 2


def test_the_widgets_nominate_and_approve_and_the_ratee_sees_only_the_stage(org):
    """Search by name, add three, send; the atasan drops one with a reason, adds one, approves."""
    app = RaterApp(org.db, _grant(org, "andi"))
    assert "Usulkan rekan penilai" in app.list_html()
    form = NominationForm(org.db, _grant(org, "andi"), on_back=lambda: None)
    for name in ("Budi", "Eko", "Fajar"):
        form.search_text.value = name.lower()
        form.search_button.click()
        form.results.value = form.results.options[0][1]
        form.add_button.click()
    form.send_button.click()
    assert "Usulan terkirim" in form.message
    assert _rows(org.db, org.nip["andi"]) == {org.nip[k]: "diusulkan" for k in ("budi", "eko", "fajar")}

    kepala_app = RaterApp(org.db, _grant(org, "kepala"))
    assert "1 bawahan menunggu persetujuan Anda" in kepala_app.list_html()
    approval = ApprovalForm(org.db, _grant(org, "kepala"), on_back=lambda: None)
    assert approval.bawahan.value == org.nip["andi"]
    approval.nominees.value = org.nip["eko"]
    approval.drop_button.click()
    assert "alasan" in approval.message.lower()                      # refused without a reason
    approval.reason.value = "beda <b>bidang</b>"
    approval.drop_button.click()
    assert "beda &lt;b&gt;bidang&lt;/b&gt;" in approval.proposal_html
    approval.picker.text.value = "gita"
    approval.picker.find.click()
    approval.picker.results.value = org.nip["gita"]
    approval.add_button.click()
    approval.approve_button.click()
    assert "disetujui: 3 rekan" in approval.message
    assert _rows(org.db, org.nip["andi"])[org.nip["eko"]] == "dihapus"

    after = NominationForm(org.db, _grant(org, "andi"), on_back=lambda: None)
    assert "3 rekan penilai disetujui" in after.status_html
    assert "Gita" not in after.status_html and after.chosen.options == ()


def test_an_admin_approves_for_an_absent_atasan_named_in_the_audit(tmp_path):
    """`kinerja nominasi setujui --admin` records the admin's name; `daftar` shows the stages; errors are one line."""
    path = tmp_path / "n.db"
    db = open_db(path)
    org = _org(db)
    runner = CliRunner()
    assert runner.invoke(main, ["--db", str(path), "nominasi", "buka"]).exit_code == 0
    nominasi.nominate(db, _grant(org, "andi"), [org.nip[k] for k in ("eko", "fajar", "gita")])
    db.close()
    result = runner.invoke(main, ["--db", str(path), "nominasi", "daftar", "--menunggu"])
    assert result.exit_code == 0, result.output
    assert "menunggu persetujuan atasan, atasan Rina Kartika; 3 rekan diusulkan" in result.output
    result = runner.invoke(main, ["--db", str(path), "nominasi", "setujui", "--nip", org.nip["andi"],
                                  "--admin", "Sari (BKPSDM)", "--hapus", f"{org.nip['gita']}=cuti panjang",
                                  "--tambah", org.nip["budi"]])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["--db", str(path), "nominasi", "terapkan"])
    assert result.exit_code == 0, result.output
    assert "2 penugasan rekan ditambahkan" in result.output
    db = open_db(path)
    who = db.execute("SELECT diputuskan_oleh FROM nominasi WHERE rekan_nip = ?", [org.nip["gita"]]).fetchone()[0]
    assert who == f"admin:Sari (BKPSDM) a.n. {org.nip['kepala']}"
    db.close()
    result = runner.invoke(main, ["--db", str(path), "nominasi", "setujui", "--nip", org.nip["andi"],
                                  "--admin", "Sari"])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
