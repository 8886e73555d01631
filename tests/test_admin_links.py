"""Named admins and OPD admins: each has a revocable link of their own, the audit log names the person, and an
OPD admin's every figure, search, export and reopen stays inside their perangkat daerah (checked server side)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from kinerja_lib import form_service as fs
from kinerja_lib import links
from kinerja_lib.cli import main
from kinerja_lib.errors import AccessDenied, FormError, LinkError

SEKSI = "Dinas Uji / Bidang Layanan / Seksi Arsip"


def _named(org, nama, opd=None, nip=None):
    issued = links.issue_named_admin_link(org.db, org.cycle.id, nama, nip=nip, opd=opd)
    return issued, links.resolve(org.db, issued.token)


def _submit(org, rater, ratee):
    issued = links.issue_links(org.db, org.cycle.id, nips=[org.nip[rater]])[0]
    grant = links.resolve(org.db, issued.token)
    aid = org.assignment[(rater, ratee)]
    for item in fs.form(org.db, grant, aid).progress.missing:
        fs.save_answer(org.db, grant, aid, item, 4)
    fs.submit(org.db, grant, aid)
    return aid


def _with_seksi(org):
    """Put citra in a seksi under Bidang Layanan, so the tree has three levels."""
    org.db["unit"].insert({"id": SEKSI, "nama": "Seksi Arsip", "induk_id": "Dinas Uji / Bidang Layanan",
                           "jenis": "seksi"})
    org.db.execute("UPDATE pegawai SET unit_id = ? WHERE nip = ?", [SEKSI, org.nip["citra"]])


def test_each_admin_has_a_link_and_revoking_one_leaves_the_others(small_org):
    """Several named admins at once plus the shared link; revoking one refuses only that one."""
    sri, g_sri = _named(small_org, "Sri Lestari", nip="198501012010012001")
    tono, g_tono = _named(small_org, "  Tono   Hartono ", opd="Dinas Uji")
    shared = links.resolve(small_org.db, links.issue_admin_link(small_org.db, small_org.cycle.id).token)
    assert sri.token != tono.token and g_tono.admin_nama == "Tono Hartono" and g_tono.opd == "Dinas Uji"
    stored = [r[0] for r in small_org.db.execute("SELECT token_hash FROM link WHERE jenis = 'admin'")]
    assert links.hash_token(sri.token) in stored and sri.token not in stored
    # a new shared link revokes the old shared one only
    links.issue_admin_link(small_org.db, small_org.cycle.id)
    with pytest.raises(AccessDenied):
        fs.admin_overview(small_org.db, shared)
    fs.admin_overview(small_org.db, g_sri)
    links.revoke_admin_link(small_org.db, small_org.cycle.id, g_sri.link_id, pelaku="cli")
    with pytest.raises(AccessDenied):
        fs.admin_overview(small_org.db, g_sri)
    with pytest.raises(AccessDenied):
        links.verify(small_org.db, sri.token)
    assert fs.admin_overview(small_org.db, g_tono).lingkup == "Dinas Uji"
    with pytest.raises(LinkError, match="Tidak ada tautan admin aktif"):
        links.revoke_admin_link(small_org.db, small_org.cycle.id, g_sri.link_id)
    listed = {a.id: a.nama for a in links.admin_links(small_org.db, small_org.cycle.id)}
    assert g_tono.link_id in listed and g_sri.link_id not in listed and None in listed.values()


def test_bad_admin_details_are_refused(small_org):
    """An empty name, a malformed NIP, an unknown OPD and a unit that is not a perangkat daerah are refused."""
    for kwargs, message in [({"nama": "  "}, "Nama admin"), ({"nama": "A", "nip": "12"}, "18 digit"),
                            ({"nama": "A", "opd": "Dinas Entah"}, "tidak ditemukan"),
                            ({"nama": "A", "opd": "Dinas Uji / Bidang Layanan"}, "tidak ditemukan")]:
        with pytest.raises(LinkError, match=message):
            links.issue_named_admin_link(small_org.db, small_org.cycle.id, **kwargs)
    assert small_org.db.execute("SELECT COUNT(*) FROM admin_tautan").fetchone()[0] == 0


def test_the_audit_log_names_the_admin_who_reopened(small_org):
    """A reopen by a named admin is logged under their name, not a link number."""
    aid = _submit(small_org, "budi", "budi")
    _issued, grant = _named(small_org, "Sri Lestari")
    fs.reopen(small_org.db, grant, aid, "Permintaan penilai")
    pelaku = small_org.db.execute("SELECT pelaku FROM audit_log WHERE aksi = 'buka_kembali_penilaian'").fetchone()[0]
    assert pelaku == f"admin:Sri Lestari (tautan{grant.link_id})"
    issued = small_org.db.execute("SELECT detail FROM audit_log WHERE aksi = 'terbitkan_tautan_admin'").fetchone()[0]
    assert json.loads(issued)["nama"] == "Sri Lestari"


def test_an_opd_admin_sees_and_acts_only_inside_their_opd(small_org):
    """Figures, search, reminder lists and reopen are limited to the OPD; a crafted request is refused."""
    dewi_form = _submit(small_org, "dewi", "dewi")        # dewi works in Dinas Lain
    budi_form = _submit(small_org, "budi", "budi")
    _i, uji = _named(small_org, "Admin Uji", opd="Dinas Uji")
    _i, whole = _named(small_org, "Admin Kota")
    assert fs.admin_overview(small_org.db, uji).total == 16 and fs.admin_overview(small_org.db, whole).total == 17
    assert [r.label for r in fs.completion_drill(small_org.db, uji)] == ["Dinas Uji"]
    assert [r.label for r in fs.completion_drill(small_org.db, whole)] == ["Dinas Lain", "Dinas Uji"]
    assert fs.find_raters(small_org.db, uji, "dewi") == []
    assert [r.nama for r in fs.find_raters(small_org.db, whole, "DEWI")] == ["Dewi Anggraini"]
    assert fs.rater_forms(small_org.db, uji, small_org.nip["dewi"]) == []
    nips = {row["NIP"] for row in csv.DictReader(io.StringIO(fs.reminder_csv(small_org.db, uji)))}
    assert small_org.nip["dewi"] not in nips and small_org.nip["andi"] in nips
    for unit in ("Dinas Lain", "Tidak Ada"):
        with pytest.raises(FormError, match="Unit tidak ditemukan"):
            fs.completion_drill(small_org.db, uji, unit)
        with pytest.raises(FormError, match="Unit tidak ditemukan"):
            fs.completion_by_relation(small_org.db, uji, unit)
    with pytest.raises(FormError, match="tidak ditemukan"):
        fs.reopen(small_org.db, uji, dewi_form, "dibuat-buat")   # crafted: another OPD's form id
    assert small_org.db.execute("SELECT status FROM assignment WHERE id = ?", [dewi_form]).fetchone()[0] == "terkirim"
    fs.reopen(small_org.db, uji, budi_form, "Permintaan penilai")
    assert small_org.db.execute("SELECT status FROM assignment WHERE id = ?", [budi_form]).fetchone()[0] == "draf"


def test_drill_down_over_three_levels(small_org):
    """OPD -> bidang -> seksi: each level sums what is under it, the parent's own raters in a row of their own."""
    _with_seksi(small_org)
    _submit(small_org, "citra", "citra")
    _i, grant = _named(small_org, "Admin")
    rows = lambda parent: [(r.label, r.total, r.terkirim, r.turunan)  # noqa: E731
                           for r in fs.completion_drill(small_org.db, grant, parent)]
    assert rows(None) == [("Dinas Lain", 1, 0, False), ("Dinas Uji", 16, 1, True)]
    assert rows("Dinas Uji") == [("Bidang Layanan", 16, 1, True)]
    assert rows("Dinas Uji / Bidang Layanan") == [("Bidang Layanan (langsung)", 12, 0, False),
                                                   ("Seksi Arsip", 4, 1, False)]
    assert [(r.kode, r.total, r.terkirim) for r in fs.completion_by_relation(small_org.db, grant, SEKSI)] == [
        ("diri", 1, 1), ("rekan", 2, 0), ("bawahan", 1, 0)]
    assert [u for u, _ in fs.unit_path(small_org.db, grant, SEKSI)] == [
        "Dinas Uji", "Dinas Uji / Bidang Layanan", SEKSI]


def test_search_by_partial_name_any_case_or_nip(small_org):
    """Search finds a rater by part of the name in any case, or by part of the NIP; too short is refused."""
    _i, grant = _named(small_org, "Admin")
    assert [r.nama for r in fs.find_raters(small_org.db, grant, "sANTo")] == ["Budi Santoso"]
    assert [r.nip for r in fs.find_raters(small_org.db, grant, small_org.nip["citra"][-6:])] == [
        small_org.nip["citra"]]
    with pytest.raises(FormError, match="2 sampai 100"):
        fs.find_raters(small_org.db, grant, "a")


def test_completion_over_time_counts_per_day(small_org):
    """Submitted forms are counted on their (local) day."""
    _submit(small_org, "budi", "budi")
    _submit(small_org, "andi", "andi")
    small_org.db.execute("UPDATE assignment SET terkirim = '2026-03-01T20:00:00+00:00' WHERE id = ?",
                         [small_org.assignment[("andi", "andi")]])   # 03:00 WIB on 2 March
    _i, grant = _named(small_org, "Admin")
    days = fs.completion_over_time(small_org.db, grant)
    assert days[0] == ("2026-03-02", 1) and sum(n for _, n in days) == 2


def test_reminder_links_issue_fresh_links_without_revoking_any(small_org):
    """The reminder list with links: one fresh working link per rater not done; every old link still works."""
    _submit(small_org, "dewi", "dewi")
    old = {i.nip: i.token for i in links.issue_links(small_org.db, small_org.cycle.id, only_without_link=False)}
    _i, grant = _named(small_org, "Admin Uji", opd="Dinas Uji")
    count, text = fs.reminder_links_csv(small_org.db, grant, base_url="https://nilai.example.go.id")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert count == len(rows) == 4 and small_org.nip["dewi"] not in {r["NIP"] for r in rows}
    for row in rows:
        token = links.token_from_query(row["Tautan"].split("?", 1)[1])
        assert links.verify(small_org.db, token).rater_nip == row["NIP"]
    for token in old.values():
        links.verify(small_org.db, token)
    pelaku = small_org.db.execute("SELECT pelaku FROM audit_log WHERE aksi = 'terbitkan_tautan_pengingat'").fetchone()
    assert pelaku[0].startswith("admin:Admin Uji")


def test_cli_admin_add_list_revoke(small_org_path):
    """`kinerja admin tambah/daftar/cabut` through the CLI; errors are one Indonesian line with exit 2."""
    run = lambda *args: CliRunner().invoke(main, ["--db", str(small_org_path), *args])  # noqa: E731
    first = run("admin", "tambah", "--nama", "Sri Lestari", "--opd", "Dinas Uji", "--base-url", "https://x.go.id")
    assert first.exit_code == 0 and "admin.ipynb?t=" in first.output and "Dinas Uji" in first.output
    assert run("admin", "tambah", "--nama", "Tono", "--base-url", "https://x.go.id").exit_code == 0
    listed = run("admin", "daftar")
    assert "Sri Lestari" in listed.output and "Tono" in listed.output
    sri_id = next(line.split("\t")[0] for line in listed.output.splitlines() if "Sri Lestari" in line)
    assert run("admin", "cabut", sri_id).exit_code == 0
    after = run("admin", "daftar").output
    assert "Sri Lestari" not in after and "Tono" in after
    bad = run("admin", "cabut", sri_id)
    assert bad.exit_code == 2 and bad.output.startswith("Galat") and "Traceback" not in bad.output
