"""The web import: an encrypted upload, a dry run listing every problem, then the import as a job with progress."""

from __future__ import annotations

import base64
import os
import time
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from haven.accounts.models import CompartmentGrant, Role, User
from haven.accounts.tests.personas import make_user
from haven.evidence import storage
from haven.exchange import uploads, webimport
from haven.exchange.models import ColumnMapping, ImportRun, ImportStatus
from haven.exchange.tests.helpers import PERSON_HEADERS, person_rows, setup_world
from haven.jobs.models import Job, JobStatus
from haven.jobs.progress import Cancelled
from haven.jobs.services import params_of, result_of
from haven.records.models import Person, PersonIndex, PersonName

pytestmark = pytest.mark.django_db

MARKER = "Yeonhui-Marker-Kim"  # a synthetic name that must never be found in clear on disk


def _csv(rows: list[list[str]], headers: list[str] = PERSON_HEADERS) -> bytes:
    lines = [",".join(headers), *[",".join(r) for r in rows]]
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture(autouse=True)
def files_dir(tmp_path: Path, settings: Any) -> Path:
    """Each test its own files directory: uploads, markers and scratch files of one test only."""
    settings.HAVEN_FILES_DIR = tmp_path / "files"
    return settings.HAVEN_FILES_DIR


@pytest.fixture
def setup(db: Any) -> dict[str, Any]:
    org, comp, _ = setup_world()
    user, _ = make_user(Role.DOCUMENTER, [comp])
    return {"org": org, "comp": comp, "user": user}


@pytest.fixture
def browser(client: Client, setup: dict[str, Any]) -> Client:
    client.force_login(setup["user"])
    return client


def _upload(
    client: Client, setup: dict[str, Any], content: bytes, name: str = "persons.csv", **extra: Any
) -> Any:
    data = {
        "file": SimpleUploadedFile(name, content, content_type="text/csv"),
        "kind": "persons",
        "organisation": setup["org"].pk,
        "compartment": setup["comp"].pk,
        **extra,
    }
    return client.post(reverse("exchange:upload"), data)


def _job_of(response: Any) -> Job:
    assert response.status_code == 302, getattr(response, "content", b"")[:2000]
    return Job.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[1]))


def _files_containing(needle: bytes, since: float) -> list[Path]:
    found = []
    roots = {Path(settings.HAVEN_FILES_DIR), Path(settings.HAVEN_HOME), Path("/tmp"), Path("/dev/shm")}  # noqa: S108
    for root in roots:
        if not root.is_dir():
            continue
        for dirpath, _dirs, names in os.walk(root):
            for name in names:
                path = Path(dirpath) / name
                try:
                    if path.stat().st_mtime >= since and path.stat().st_size < 5_000_000:
                        if needle in path.read_bytes():
                            found.append(path)
                except OSError:
                    continue
    return found


def test_a_dry_run_lists_every_problem_stores_nothing_and_keeps_the_upload_encrypted(
    browser: Client, setup: dict[str, Any]
) -> None:
    started = time.time() - 1
    rows, bad = person_rows(300, bad_every=50)
    rows[0][2] = MARKER
    content = _csv(rows)
    # Larger than Django's in-memory limit: its own handlers would write it to a plaintext temporary file.
    with override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=1024):
        assert len(content) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
        job = _job_of(_upload(browser, setup, content))
    assert job.status == JobStatus.DONE and job.done == job.total and job.total >= len(rows)
    result = result_of(job)
    assert result["url"] == reverse("exchange:review", args=[job.pk])
    assert {p[0] for p in result["problems"]} == set(bad)
    assert all(p[2] for p in result["problems"])
    assert Person.objects.count() == 0
    assert ImportRun.objects.get().status == ImportStatus.DRY_RUN
    # Encrypted at rest while it waits; no plaintext copy anywhere (uploads, scratch files, temp files).
    stored = uploads.StoredUpload.from_params(params_of(job)["upload"])
    assert uploads.exists(stored)
    assert MARKER.encode() not in storage.path_for(stored.storage_name).read_bytes()
    assert _files_containing(MARKER.encode(), started) == []
    page = browser.get(result["url"])
    html = page.content.decode()
    assert page.status_code == 200
    first_bad = min(bad)
    assert f"<td>persons.csv</td><td>{first_bad}</td>" in html
    assert "Import only the valid rows" in html


def test_problems_are_given_in_the_users_language(browser: Client, setup: dict[str, Any]) -> None:
    user = setup["user"]
    user.preferred_language = "ko"
    user.save()
    job = _job_of(_upload(browser, setup, _csv([["P1", "김하나", "", "maybe", "1980", "", ""]])))
    reasons = [p[2] for p in result_of(job)["problems"]]
    assert reasons and all(any("\uac00" <= ch <= "\ud7a3" for ch in r) for r in reasons), reasons


def test_importing_only_the_valid_rows_then_again_changes_nothing(
    browser: Client, setup: dict[str, Any]
) -> None:
    rows, bad = person_rows(120, bad_every=40)
    content = _csv(rows)
    review = _job_of(_upload(browser, setup, content))
    stored = uploads.StoredUpload.from_params(params_of(review)["upload"])
    # Without choosing to leave the bad rows out, nothing is imported.
    refused = browser.post(reverse("exchange:review", args=[review.pk]), {"action": "import"})
    assert refused.status_code == 302 and refused.url == reverse("exchange:review", args=[review.pk])
    assert Person.objects.count() == 0
    imported = _job_of(
        browser.post(reverse("exchange:review", args=[review.pk]), {"action": "import", "skip_invalid": "on"})
    )
    assert imported.status == JobStatus.DONE
    result = result_of(imported)
    assert result["status"] == ImportStatus.SUCCEEDED and result["created"] == len(rows) - len(bad)
    assert Person.objects.count() == len(rows) - len(bad)
    assert not uploads.exists(stored) and not storage.path_for(stored.storage_name).exists()
    assert imported.total > 0 and imported.done == imported.total
    page = browser.get(result["url"]).content.decode()
    assert "The valid rows are imported" in page
    # The upload is gone: a second confirmation imports nothing twice.
    again = browser.post(
        reverse("exchange:review", args=[review.pk]), {"action": "import", "skip_invalid": "on"}
    )
    assert again.status_code == 302 and again.url == reverse("exchange:upload")
    # The same file uploaded and imported again changes nothing.
    state = sorted(Person.objects.values_list("pk", "version"))
    second = _job_of(_upload(browser, setup, content))
    done = _job_of(
        browser.post(reverse("exchange:review", args=[second.pk]), {"action": "import", "skip_invalid": "on"})
    )
    assert result_of(done)["created"] == 0 and result_of(done)["unchanged"] == len(rows) - len(bad)
    assert sorted(Person.objects.values_list("pk", "version")) == state


def test_a_clean_file_imports_whole_and_its_problems_csv_is_empty(
    browser: Client, setup: dict[str, Any]
) -> None:
    rows, _ = person_rows(30)
    review = _job_of(_upload(browser, setup, _csv(rows)))
    html = browser.get(reverse("exchange:review", args=[review.pk])).content.decode()
    assert "Every row is valid" in html and "Import 30 rows" in html
    job = _job_of(browser.post(reverse("exchange:review", args=[review.pk]), {"action": "import"}))
    assert result_of(job)["created"] == 30 and Person.objects.count() == 30
    csv_text = browser.get(reverse("exchange:problems", args=[job.pk])).content.decode("utf-8-sig")
    assert csv_text.splitlines() == ["file,row,column,reason"]


def test_discarding_deletes_the_upload(browser: Client, setup: dict[str, Any]) -> None:
    review = _job_of(_upload(browser, setup, _csv(person_rows(5)[0])))
    stored = uploads.StoredUpload.from_params(params_of(review)["upload"])
    response = browser.post(reverse("exchange:review", args=[review.pk]), {"action": "discard"})
    assert response.status_code == 302 and not uploads.exists(stored)
    assert not storage.path_for(stored.storage_name).exists()
    assert "no longer kept" in browser.get(reverse("exchange:review", args=[review.pk])).content.decode()


def test_a_stopped_import_stores_nothing_and_deletes_the_upload(
    browser: Client, setup: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows, _ = person_rows(2500)
    review = _job_of(_upload(browser, setup, _csv(rows)))
    stored = uploads.StoredUpload.from_params(params_of(review)["upload"])
    original = webimport._Reporter.__call__

    def stop_while_writing(self: Any, stage: str, n: int) -> None:
        original(self, stage, n)
        if stage == "written" and n >= 1000:
            raise Cancelled()  # what Progress raises when the user presses Stop

    monkeypatch.setattr(webimport._Reporter, "__call__", stop_while_writing)
    job = _job_of(browser.post(reverse("exchange:review", args=[review.pk]), {"action": "import"}))
    assert job.status == JobStatus.CANCELLED
    assert Person.objects.count() == PersonName.objects.count() == PersonIndex.objects.count() == 0
    assert ImportRun.objects.filter(dry_run=False).get().status == ImportStatus.FAILED
    assert not uploads.exists(stored)


def test_the_form_refuses_bad_uploads_and_leaves_no_file_behind(
    browser: Client, setup: dict[str, Any]
) -> None:
    before = set(uploads.marker_dir().iterdir())
    wrong = _upload(browser, setup, b"id,name\n1,x\n", name="persons.pdf")
    assert wrong.status_code == 400 and "Unsupported file type" in wrong.content.decode()
    other_org, other_comp, _ = setup_world("other")
    mapping = ColumnMapping.objects.create(organisation=other_org, name="theirs", kind="persons", mapping={})
    mismatch = _upload(browser, setup, _csv(person_rows(2)[0]), mapping=mapping.pk)
    assert mismatch.status_code == 400 and "another organisation" in mismatch.content.decode()
    not_granted = _upload(browser, setup, _csv(person_rows(2)[0]), compartment=other_comp.pk)
    assert not_granted.status_code == 400
    with override_settings(HAVEN_IMPORT_MAX_BYTES=100):
        big = _upload(browser, setup, _csv(person_rows(50)[0]))
    assert big.status_code == 400 and "larger than the import limit" in big.content.decode()
    assert set(uploads.marker_dir().iterdir()) == before
    assert not Job.objects.exists()


def test_a_malformed_file_fails_the_dry_run_with_a_clear_message_and_is_deleted(
    browser: Client, setup: dict[str, Any]
) -> None:
    job = _job_of(_upload(browser, setup, b'id,name\n1,"unclosed\n' + b"\xff\xfe\x00garbage"))
    assert job.status == JobStatus.FAILED and job.error.startswith("persons.csv:")
    assert list(uploads.marker_dir().iterdir()) == []


def test_only_users_who_may_import_see_the_pages_and_csrf_holds(setup: dict[str, Any]) -> None:
    analyst, _ = make_user(Role.ANALYST, [setup["comp"]])
    client = Client()
    client.force_login(analyst)
    assert client.get(reverse("exchange:upload")).status_code == 404
    assert _upload(client, setup, _csv(person_rows(2)[0])).status_code == 404
    documenter = Client(enforce_csrf_checks=True)
    documenter.force_login(setup["user"])
    assert documenter.get(reverse("exchange:upload")).status_code == 200
    assert _upload(documenter, setup, _csv(person_rows(2)[0])).status_code == 403
    assert list(uploads.marker_dir().iterdir()) == [] and not Job.objects.exists()
    # Another user's import is a 404 like a missing one.
    mine = Client()
    mine.force_login(setup["user"])
    job = _job_of(_upload(mine, setup, _csv(person_rows(2)[0])))
    second_doc = User.objects.create_user("doc-two", password="x" * 20, role=Role.DOCUMENTER)
    CompartmentGrant.objects.create(user=second_doc, compartment=setup["comp"])
    TOTP.activate(second_doc, generate_totp_secret())
    intruder = Client()
    intruder.force_login(second_doc)
    assert intruder.get(reverse("exchange:review", args=[job.pk])).status_code == 404
    assert intruder.get(reverse("exchange:problems", args=[job.pk])).status_code == 404


def test_the_sweep_deletes_uploads_left_waiting(browser: Client, setup: dict[str, Any]) -> None:
    review = _job_of(_upload(browser, setup, _csv(person_rows(3)[0])))
    stored = uploads.StoredUpload.from_params(params_of(review)["upload"])
    assert uploads.sweep() == 0 and uploads.exists(stored)
    assert uploads.sweep(now=time.time() + 25 * 3600) == 1
    assert not uploads.exists(stored) and not storage.path_for(stored.storage_name).exists()


def test_the_encrypted_format_is_haven_evidence_format(tmp_path: Path, settings: Any) -> None:
    settings.HAVEN_FILES_DIR = tmp_path
    for size in (0, 5, storage.CHUNK, storage.CHUNK + 1, 2 * storage.CHUNK):
        data = os.urandom(size)
        writer = uploads.EncryptingWriter()
        for start in range(0, size, 65_536):
            writer.write(data[start : start + 65_536])
        stored = writer.close("x.csv")
        assert stored.size == size
        assert b"".join(storage.read_decrypted(stored.storage_name, base64.b64decode(stored.key))) == data
        with uploads.plaintext(stored) as path:
            assert (
                path.read_bytes() == data and path.name == "x.csv" and oct(path.stat().st_mode)[-3:] == "600"
            )
        assert not path.exists()


def test_progress_stages_become_a_progress_bar(tmp_path: Path) -> None:
    calls: list[tuple[int, int, str]] = []

    class FakeProgress:
        job_id = 1

        def __call__(
            self, done: int, total: int | None = None, message: str = "", *, force: bool = False
        ) -> None:
            calls.append((done, total or 0, message))

    reporter = webimport._Reporter(FakeProgress(), estimate=1000, planned_writes=900, dry_run=False)  # type: ignore[arg-type]
    reporter("read", 500)
    reporter("checked", 1000)
    reporter("writing", 0)
    reporter("written", 900)
    assert [(d, t) for d, t, _ in calls] == [(500, 1900), (1000, 1900), (1000, 1900), (1900, 1900)]
    sample = tmp_path / "rows.csv"
    sample.write_bytes(_csv(person_rows(40)[0]))
    assert webimport.estimate_rows(sample) == 40


def test_events_with_acts_import_through_the_web_too_and_the_job_page_leads_to_the_result(
    browser: Client, setup: dict[str, Any]
) -> None:
    persons = _csv([["V1", "김하나", "Kim Ha-na", "F", "1980", "함경북도", "2005"]])
    review = _job_of(_upload(browser, setup, persons))
    _job_of(browser.post(reverse("exchange:review", args=[review.pk]), {"action": "import"}))
    headers = ["id", "event_id", "title", "date", "place", "act_type", "victim_id", "victim_age"]
    events = _csv([["A1", "E1", "Arrest in Hoeryong", "2010-03", "KP-09", "030101", "V1", "30"]], headers)
    check = _job_of(_upload(browser, setup, events, name="events.csv", kind="events"))
    status = browser.get(reverse("jobs:detail", args=[check.pk]), HTTP_HX_REQUEST="true")
    assert status["HX-Redirect"] == reverse("exchange:review", args=[check.pk])
    done = _job_of(browser.post(reverse("exchange:review", args=[check.pk]), {"action": "import"}))
    assert result_of(done)["created"] == 1
    from haven.records.models import Act

    act = Act.objects.get(external_id="A1")
    assert act.event.title == "Arrest in Hoeryong" and act.victim.external_id == "V1"
    assert act.provenance["file"] == "events.csv" and act.provenance["row"] == 2


def test_the_pages_speak_korean(browser: Client, setup: dict[str, Any]) -> None:
    user = setup["user"]
    user.preferred_language = "ko"
    user.save()
    html = browser.get(reverse("exchange:upload")).content.decode()
    assert "파일 검사" in html and "출처 단체" in html


def test_cases_are_offered_and_import_through_the_web_for_a_case_worker(
    client: Client, setup: dict[str, Any]
) -> None:
    from haven.cases.models import Case

    documenter = Client()
    documenter.force_login(setup["user"])
    persons = _csv([["V1", "김하나", "Kim Ha-na", "F", "1980", "함경북도", "2005"]])
    review = _job_of(_upload(documenter, setup, persons))
    _job_of(documenter.post(reverse("exchange:review", args=[review.pk]), {"action": "import"}))
    # Cases are among the kinds offered (ImportKind); importing them needs EDIT_CASES too.
    assert 'value="cases"' in documenter.get(reverse("exchange:upload")).content.decode()
    worker, _ = make_user(Role.CASE_WORKER, [setup["comp"]])
    client.force_login(worker)
    assert 'value="cases"' in client.get(reverse("exchange:upload")).content.decode()
    headers = ["id", "person_id", "status", "risk_level", "risk_reasons", "needs", "journey", "opened_on"]
    cases = _csv([["C1", "V1", "plan", "high", "trafficked", "shelter", "crossed_border:Hoeryong:2018", "2021-03-05"]], headers)  # fmt: skip
    check = _job_of(_upload(client, setup, cases, name="cases.csv", kind="cases"))
    html = client.get(reverse("exchange:review", args=[check.pk])).content.decode()
    assert "Every row is valid" in html
    done = _job_of(client.post(reverse("exchange:review", args=[check.pk]), {"action": "import"}))
    assert result_of(done)["created"] == 1
    case = Case.objects.get(external_id="C1")
    assert case.person.external_id == "V1" and case.owner == worker and case.provenance["file"] == "cases.csv"


def test_sources_of_events_import_through_the_web_and_a_bad_source_is_listed_by_row_and_column(
    browser: Client, setup: dict[str, Any]
) -> None:
    from haven.records.models import Act, Information

    persons = _csv(
        [
            ["V1", "김하나", "Kim Ha-na", "F", "1980", "함경북도", "2005"],
            ["S1", "윤미래", "", "F", "1970", "", "2012"],
        ]
    )
    review = _job_of(_upload(browser, setup, persons))
    _job_of(browser.post(reverse("exchange:review", args=[review.pk]), {"action": "import"}))
    headers = ["id", "event_id", "title", "act_type", "victim_id", "source_id", "source_connection", "source_date",
               "source_interviewer", "source_language", "source_consent", "source_reliability", "source_remarks"]  # fmt: skip
    good = ["A1", "E1", "Arrest in Hoeryong", "030101", "V1", "S1", "witness", "2016-04", "Yoon (fictional)", "ko",
            "anonymous", "likely reliable", "Second interview"]  # fmt: skip
    bad = [*good[:5], "S1", "", *good[7:]]
    bad[0] = "A2"
    check = _job_of(_upload(browser, setup, _csv([good, bad], headers), name="events.csv", kind="events"))
    result = result_of(check)
    assert result["problems"] == [
        [3, "source_connection", "A value is required when the row gives a source."]
    ]
    assert Information.objects.count() == Act.objects.count() == 0
    fixed = _job_of(_upload(browser, setup, _csv([good], headers), name="events.csv", kind="events"))
    assert (result_of(fixed)["created"], result_of(fixed)["problems"]) == (2, [])
    done = _job_of(browser.post(reverse("exchange:review", args=[fixed.pk]), {"action": "import"}))
    assert result_of(done)["status"] == ImportStatus.SUCCEEDED and result_of(done)["created"] == 2
    info = Information.objects.get()
    assert (info.external_id, info.source.external_id, info.event.external_id) == ("E1:S1", "S1", "E1")
    assert (info.interviewer, info.remarks, info.consent) == (
        "Yoon (fictional)",
        "Second interview",
        "anonymous",
    )
    assert info.provenance["file"] == "events.csv" and info.provenance["row"] == 2
