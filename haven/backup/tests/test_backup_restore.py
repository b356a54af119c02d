"""Backup and restore of a whole instance, on the real database (SQLite or PostgreSQL) and real files."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tarfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from haven.backup.errors import BackupError
from haven.backup.services import backup_create, backup_restore
from haven.backup.tests.helpers import (
    FAST_KDF,
    PASSPHRASE,
    SMALL_CHUNKS,
    assert_restored,
    chunk_count,
    chunk_offset,
    db_rows,
    file_mode,
    files_state,
    flip,
    instance_state,
    manifest_of,
    read_members,
    rehash,
    set_manifest,
    wipe_database,
    write_members,
)
from haven.crypto import keyring
from haven.records.models import Event, Person, PersonName
from haven.records.tests import factories as f

OTHER_VENDOR = {"sqlite": "postgresql", "postgresql": "sqlite"}
VENDOR_NAME = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def populate(instance) -> None:  # type: ignore[no-untyped-def]
    """Synthetic records (encrypted names, blind indexes) and evidence files of every kind."""
    f.person(hangul="한서윤", roman="Han Seo-yun")
    f.person(hangul="리설주", roman="Ri Sol Ju")
    f.person(org_code="org-b", hangul="김철수", roman="Kim Chol-su", sex="M")
    f.event("2011-03")
    instance.write("testimony/2019/interview-01.bin", os.urandom(300_000), mode=0o600)
    instance.write("testimony/2019/녹취록.txt", "증언 내용 (synthetic)".encode())
    instance.write("photos/p1.jpg", os.urandom(70_000), mode=0o644)
    instance.write("empty.txt", b"")
    (instance.files / "empty-dir").mkdir(mode=0o750)


def names() -> list[tuple[int, str]]:
    return sorted((n.person_id, n.full_name) for n in PersonName.objects.all())


def backup(instance, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("passphrase", PASSPHRASE)
    return backup_create(
        path=instance.home.parent / "backup.hvb", chunk_size=SMALL_CHUNKS, kdf=FAST_KDF, **kwargs
    )


def restore(instance, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("passphrase", PASSPHRASE)
    return backup_restore(path=instance.home.parent / "backup.hvb", **kwargs)


def test_backup_then_wipe_then_restore_gives_back_the_same_records_files_and_keys(instance):
    populate(instance)
    before, decrypted, files = db_rows(), names(), files_state(instance.files)
    assert len(decrypted) == 6 and "한서윤" in {n for _, n in decrypted}

    report = backup(instance)

    archive = instance.home.parent / "backup.hvb"
    assert report.path == archive and report.size == archive.stat().st_size
    assert file_mode(archive) == 0o600
    assert not archive.with_name("backup.hvb.partial").exists()
    assert instance.leftovers() == []
    manifest = report.manifest
    assert manifest["db_vendor"] == connection.vendor
    tables = manifest["database"]["tables"]
    assert (
        tables["records_person"] == 3 and tables["records_personname"] == 6 and tables["crypto_datakey"] >= 2
    )
    assert {k for k in manifest["members"] if k.startswith("files/")} == {f"files/{k}" for k, v in files.items()
                                                                          if v[0] != "dir"}  # fmt: skip
    assert "files/empty-dir" in manifest["directories"]

    wipe_database()
    keyring.clear_cache()
    shutil.rmtree(instance.files)

    result = restore(instance, into_empty_only=True)

    assert_restored(before)
    assert names() == decrypted
    assert files_state(instance.files) == files
    assert result.keys == [] and not result.action_needed
    assert instance.leftovers() == []
    # The restored instance works: its sequences go on, its indexes find people by any spelling.
    f.person(hangul="박은정", roman="Park Eun-jung")
    assert Person.objects.count() == 4
    from haven.records.services import persons_find_by_name

    assert len(persons_find_by_name("Lee Seol-ju")) == 1


def test_restore_over_a_changed_instance_brings_back_the_backup(instance):
    populate(instance)
    before, decrypted, files = db_rows(), names(), files_state(instance.files)
    backup(instance)

    f.person(hangul="최영희", roman="Choe Yong-hui")
    Event.objects.update(title="Changed after the backup")
    (instance.files / "photos" / "p1.jpg").unlink()
    instance.write("empty.txt", b"now with content")
    instance.write("new/after-backup.txt", b"new")

    restore(instance)

    assert_restored(before)
    assert names() == decrypted
    assert files_state(instance.files) == files


def test_an_instance_without_files_directory_round_trips(instance):
    f.person()
    before = db_rows()
    report = backup(instance)
    assert report.manifest["directories"] == []
    instance.write("later.txt", b"x")
    restore(instance)
    assert_restored(before)
    assert not instance.files.exists()


def test_into_empty_only_refuses_an_instance_that_holds_data(instance):
    populate(instance)
    backup(instance)
    state = instance_state(instance)
    with pytest.raises(BackupError, match=r"this instance is not empty .* nothing was changed"):
        restore(instance, into_empty_only=True)
    assert instance_state(instance) == state


# Refusals: each leaves the instance exactly as it was ----------------------------------------------------------


@pytest.fixture
def made(instance):  # type: ignore[no-untyped-def]
    """An instance with data, its backup (several chunks), and its state to compare with after a refusal."""
    populate(instance)
    backup(instance)
    archive = instance.home.parent / "backup.hvb"
    assert chunk_count(archive) >= 4
    return instance, archive


def refused(instance, match: str, **kwargs) -> None:  # type: ignore[no-untyped-def]
    state = instance_state(instance)
    with pytest.raises(BackupError, match=match):
        restore(instance, **kwargs)
    keyring.clear_cache()
    assert instance_state(instance) == state
    assert instance.leftovers() == []


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (lambda archive: 3, r"^backup\.hvb is not a Haven backup$"),
        (lambda archive: 20, r"^wrong passphrase for backup\.hvb \(or its header was altered\)$"),
        (lambda archive: 61, r"^wrong passphrase for backup\.hvb"),
        (
            lambda archive: chunk_offset(0) + 5,
            r"^backup\.hvb is damaged or was altered: chunk 0 fails authentication$",
        ),
        (
            lambda archive: chunk_offset(2) + 999,
            r"^backup\.hvb is damaged or was altered: chunk 2 fails authentication$",
        ),
        (
            lambda archive: archive.stat().st_size - 20,
            r"is damaged or was altered: chunk \d+ fails authentication$",
        ),
        (
            lambda archive: archive.stat().st_size - 1,
            r"is damaged or was altered: chunk \d+ fails authentication$",
        ),
    ],
    ids=["magic", "salt", "length", "first-chunk", "middle-chunk", "final-chunk", "final-tag"],
)
def test_a_flipped_byte_is_refused_and_changes_nothing(made, where, message):
    instance, archive = made
    flip(archive, where(archive))
    refused(instance, message)


def test_the_final_chunk_is_named_when_its_byte_is_flipped(made):
    instance, archive = made
    last = chunk_count(archive) - 1
    flip(archive, archive.stat().st_size - 1)
    refused(instance, rf"chunk {last} fails authentication$")


@pytest.mark.parametrize("cut", [1, SMALL_CHUNKS // 2, SMALL_CHUNKS * 2])
def test_a_truncated_archive_is_refused_and_changes_nothing(made, cut):
    instance, archive = made
    size = archive.stat().st_size
    with open(archive, "r+b") as fh:
        fh.truncate(size - cut)
    refused(instance, rf"^backup\.hvb is truncated: {cut} of its {size} bytes are missing at the end$")


def test_appended_garbage_is_refused_and_changes_nothing(made):
    instance, archive = made
    with open(archive, "ab") as fh:
        fh.write(os.urandom(100))
    refused(instance, r"^backup\.hvb was altered: 100 unexpected bytes follow its end$")


def test_a_wrong_passphrase_is_refused_and_changes_nothing(made):
    instance, _ = made
    refused(instance, r"^wrong passphrase for backup\.hvb", passphrase="correct horse battery stapler")


def test_a_short_passphrase_is_refused(made):
    instance, _ = made
    refused(instance, "too short: a backup passphrase has at least 12 characters", passphrase="short")
    with pytest.raises(BackupError, match="too short"):
        backup(instance, passphrase="eleven char", force=True)


def test_an_archive_of_the_other_database_vendor_is_refused(made):
    instance, archive = made
    members = read_members(archive)
    manifest = manifest_of(members)
    other = OTHER_VENDOR[connection.vendor]
    old_member = manifest["database"]["member"]
    new_member = {"sqlite": "database/haven.sqlite3", "postgresql": "database/haven.pgdump"}[other]
    info, data = members.pop(old_member)
    info.name = new_member
    members = {new_member: (info, data), **members}
    manifest["db_vendor"] = other
    manifest["database"]["member"] = new_member
    manifest["members"][new_member] = manifest["members"].pop(old_member)
    set_manifest(members, manifest)
    write_members(archive, members)
    refused(
        instance,
        rf"^backup\.hvb was made from a {VENDOR_NAME[other]} instance, but this instance uses "
        rf"{VENDOR_NAME[connection.vendor]}: restore it into an instance configured with {VENDOR_NAME[other]}\. "
        r"Nothing was changed$",
    )


def test_a_member_that_does_not_match_the_manifest_is_refused(made):
    # Only someone with the passphrase could make such an archive; the manifest check is a second line.
    instance, archive = made
    members = read_members(archive)
    info, data = members["files/empty.txt"]
    members["files/empty.txt"] = (info, b"changed")
    write_members(archive, members)
    refused(
        instance, r"is damaged or was altered: files/empty\.txt does not match its checksum in the manifest"
    )


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("files/../../escape.txt", tarfile.REGTYPE),
        ("/etc/haven-escape", tarfile.REGTYPE),
        ("files/link", tarfile.SYMTYPE),
        ("elsewhere.txt", tarfile.REGTYPE),
    ],
)
def test_a_member_outside_the_layout_is_refused(made, name, kind):
    instance, archive = made
    members = read_members(archive)
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = "/etc/passwd" if kind == tarfile.SYMTYPE else ""
    members = {name: (info, b"x" if kind == tarfile.REGTYPE else b""), **members}
    if kind == tarfile.REGTYPE:
        rehash(members, name)
    write_members(archive, members)
    refused(instance, "is damaged or was altered: unexpected member")
    assert not (instance.home.parent / "escape.txt").exists()


def test_a_missing_archive_is_reported(instance):
    with pytest.raises(BackupError, match=r"backup\.hvb does not exist"):
        restore(instance)


# Keys ---------------------------------------------------------------------------------------------------------


def test_in_test_and_demo_mode_the_archives_keys_are_installed(made, settings):
    instance, _ = made
    original_master, original_secret = settings.HAVEN_MASTER_KEY, settings.SECRET_KEY
    decrypted = names()
    settings.HAVEN_MASTER_KEY = "a-different-master-key-configured-here"
    settings.SECRET_KEY = "a-different-secret-key-configured-here"
    keyring.clear_cache()

    report = restore(instance)

    assert settings.HAVEN_MASTER_KEY == original_master and settings.SECRET_KEY == original_secret
    assert (instance.keys / "master.key").read_text() == original_master
    assert (instance.keys / "django_secret_key").read_text() == original_secret
    assert file_mode(instance.keys / "master.key") == 0o600
    assert [line.split(" was installed")[0] for line in report.keys] == [
        "the backup's master key",
        "the backup's Django secret key",
    ]
    assert not report.action_needed
    assert names() == decrypted


def test_in_production_the_operator_is_told_to_set_the_restored_master_key(made, settings):
    instance, _ = made
    original_master = settings.HAVEN_MASTER_KEY
    settings.HAVEN_MODE = "production"
    settings.HAVEN_MASTER_KEY = "the-production-key-before-the-restore"

    report = restore(instance)

    restored = instance.keys / "restored-master.key"
    assert restored.read_text() == original_master and file_mode(restored) == 0o600
    assert not (instance.keys / "master.key").exists()
    assert report.action_needed
    assert any("ACTION NEEDED" in line and "HAVEN_MASTER_KEY_FILE" in line and str(restored) in line
               for line in report.keys)  # fmt: skip
    assert settings.HAVEN_MASTER_KEY == original_master  # this process carries on with the restored key


# Backup refusals ------------------------------------------------------------------------------------------------


def test_backup_refuses_to_overwrite_unless_forced(made):
    instance, archive = made
    before = archive.read_bytes()
    with pytest.raises(BackupError, match=r"backup\.hvb exists: give --force to overwrite it"):
        backup(instance)
    assert archive.read_bytes() == before
    backup(instance, force=True)
    assert archive.read_bytes() != before


def test_backup_refuses_to_write_into_the_files_directory(instance):
    instance.write("a.txt", b"a")
    with pytest.raises(BackupError, match="is inside the files directory"):
        backup_create(path=instance.files / "backup.hvb", passphrase=PASSPHRASE, kdf=FAST_KDF)


def test_backup_skips_symbolic_links_in_the_files_directory(instance, tmp_path):
    secret = tmp_path / "outside.txt"
    secret.write_text("not evidence")
    instance.write("a.txt", b"a")
    (instance.files / "link.txt").symlink_to(secret)
    report = backup(instance)
    assert report.manifest["skipped"] == 1
    assert "files/link.txt" not in report.manifest["members"]


# The commands ---------------------------------------------------------------------------------------------------


@pytest.fixture
def passphrase_file(tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "passphrase"
    path.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return str(path)


def test_the_commands_round_trip_and_print_what_they_did(instance, passphrase_file, capsys):
    populate(instance)
    before = db_rows()
    archive = str(instance.home.parent / "cmd.hvb")

    call_command("backup", archive, passphrase_file=passphrase_file)
    out = capsys.readouterr().out
    assert f"Backup written to {archive}" in out
    assert f"database ({VENDOR_NAME[connection.vendor]}):" in out and "files: 4 (" in out
    assert PASSPHRASE not in out

    Event.objects.update(title="Changed")
    call_command("restore", archive, passphrase_file=passphrase_file)
    out = capsys.readouterr().out
    assert out.startswith(f"Verified {archive}: made ")
    assert "Restored the database" in out and "and 4 files." in out
    assert "audit chain" in out
    assert PASSPHRASE not in out
    assert_restored(before)


def test_the_passphrase_can_come_from_the_environment(instance, monkeypatch, capsys):
    monkeypatch.setenv("HAVEN_BACKUP_PASSPHRASE", PASSPHRASE)
    archive = str(instance.home.parent / "env.hvb")
    call_command("backup", archive)
    call_command("restore", archive)
    assert "Restored the database" in capsys.readouterr().out


def test_without_a_passphrase_and_without_a_terminal_the_commands_refuse(instance, monkeypatch):
    monkeypatch.delenv("HAVEN_BACKUP_PASSPHRASE", raising=False)
    with pytest.raises(CommandError, match=r"^no passphrase: give --passphrase-file PATH"):
        call_command("backup", str(instance.home.parent / "x.hvb"))


def test_a_damaged_archive_gives_a_one_line_error(made, passphrase_file):
    instance, archive = made
    flip(archive, chunk_offset(1))
    state = instance_state(instance)
    with pytest.raises(CommandError) as excinfo:
        call_command("restore", str(archive), passphrase_file=passphrase_file)
    assert str(excinfo.value) == "backup.hvb is damaged or was altered: chunk 1 fails authentication"
    keyring.clear_cache()
    assert instance_state(instance) == state


# The audit log, once haven.audit provides it ---------------------------------------------------------------------


def test_backup_and_restore_are_recorded_in_the_audit_log_and_the_chain_verifies(instance):
    pytest.importorskip("haven.audit.services")
    from haven.audit.models import AuditAction, AuditEntry

    populate(instance)
    report = backup(instance)
    entry = AuditEntry.objects.filter(action=AuditAction.BACKUP_MADE).last()
    assert entry is not None and entry.details["archive_id"] == report.manifest["archive_id"]
    result = restore(instance)
    assert result.audit_chain_ok and result.audit_chain.startswith("audit chain intact: ")
    restored = AuditEntry.objects.filter(action=AuditAction.BACKUP_RESTORED).last()
    assert restored is not None and restored.details["archive_id"] == report.manifest["archive_id"]
    # It names the newest entry before the restore, the backup's own, which the restore discarded.
    assert restored.details["replaced_audit_head"] == {"seq": entry.seq, "entry_hash": entry.entry_hash}
    # The backup was made before its own entry was written: the restored chain ends just before it.
    assert not AuditEntry.objects.filter(action=AuditAction.BACKUP_MADE).exists()


# Configurations -------------------------------------------------------------------------------------------------


def test_a_files_directory_outside_haven_home_is_restored_in_place(instance, settings, tmp_path):
    elsewhere = tmp_path / "evidence-disk" / "files"
    settings.HAVEN_FILES_DIR = elsewhere
    instance.files = elsewhere
    populate(instance)
    before, files = db_rows(), files_state(elsewhere)
    backup(instance)
    shutil.rmtree(elsewhere)
    restore(instance)
    assert_restored(before)
    assert files_state(elsewhere) == files
    assert sorted(p.name for p in elsewhere.parent.iterdir()) == ["files"]


def test_on_postgresql_tables_the_backup_lacks_are_refused_before_anything_changes(made):
    if connection.vendor != "postgresql":
        pytest.skip(
            "pg_restore --clean leaves unknown tables behind; an SQLite restore replaces the whole file"
        )
    instance, _ = made
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE from_a_newer_haven (id integer)")
    refused(instance, r"the database has 1 table that the backup does not have \(from_a_newer_haven\)")


def test_on_sqlite_a_copy_with_another_page_size_is_converted(transactional_db, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    from haven.backup.database import SqliteDatabase

    db = SqliteDatabase()
    copy = tmp_path / "copy.sqlite3"
    tables = db.dump(copy)
    with sqlite3.connect(copy, isolation_level=None) as other:
        other.execute("PRAGMA page_size=8192")
        other.execute("VACUUM")
        assert other.execute("PRAGMA page_size").fetchone()[0] == 8192
    before = db_rows()
    db.check_copy(copy, tables)
    db.replace(copy)
    assert db_rows() == before


def test_when_the_database_cannot_be_replaced_the_files_are_put_back_and_nothing_changes(made, monkeypatch):
    instance, _ = made
    instance.write("added-after-the-backup.txt", b"x")
    if connection.vendor == "postgresql":
        # A real failure half-way: pg_restore --clean cannot drop a table that a view it does not know uses.
        with connection.cursor() as cursor:
            cursor.execute("CREATE VIEW depends_on_persons AS SELECT id FROM records_person")
        message = r"^pg_restore \(the database was left as it was\) failed: .*depends_on_persons"
    else:
        from haven.backup.database import SqliteDatabase

        def failing(self, copy):  # type: ignore[no-untyped-def]
            raise BackupError("the database could not be replaced (disk I/O error); it was left as it was")

        monkeypatch.setattr(SqliteDatabase, "replace", failing)
        message = "could not be replaced"
    refused(instance, message)


def test_a_file_that_disappears_while_the_backup_runs_is_skipped(instance, monkeypatch):
    from haven.backup import services

    instance.write("kept.txt", b"kept")
    instance.write("upload.tmp", b"renamed away meanwhile")
    add_file = services._add_file

    def racing(tar, path, name):  # type: ignore[no-untyped-def]
        if path.name == "upload.tmp":
            path.unlink()
        return add_file(tar, path, name)

    monkeypatch.setattr(services, "_add_file", racing)
    report = backup(instance)
    assert report.manifest["skipped"] == 1
    assert (
        "files/kept.txt" in report.manifest["members"]
        and "files/upload.tmp" not in report.manifest["members"]
    )


def test_evidence_attached_through_haven_opens_again_after_a_wipe_and_restore(instance):
    personas = pytest.importorskip("haven.accounts.tests.personas")
    from haven.accounts.models import Role
    from haven.evidence.services import evidence_attach, evidence_open

    world = personas.World()
    content = ("증언 녹취록 (synthetic). " * 60_000).encode()  # several of the evidence store's 1 MiB chunks
    evidence = evidence_attach(
        actor=world.users[Role.DOCUMENTER], record=world.person_a, chunks=[content],
        original_name="testimony.txt", media_type="text/plain",
    )  # fmt: skip
    backup(instance)
    wipe_database()
    keyring.clear_cache()
    shutil.rmtree(instance.files)
    restore(instance, into_empty_only=True)
    evidence.refresh_from_db()
    assert b"".join(evidence_open(actor=world.users[Role.DOCUMENTER], evidence=evidence)) == content
