"""Reports: who may make which, the same 404 for missing and forbidden, audit entries, small cells, the views
(sudo mode), the command, the estimate, the obligations file and offline rendering."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.http import Http404
from django.urls import reverse
from weasyprint.urls import FatalURLFetchingError

from haven.accounts.models import Role
from haven.accounts.tests.personas import PASSWORD
from haven.analytics.estimation import CaptureHistories, loglinear_select
from haven.audit.models import AuditAction, AuditEntry
from haven.records.models import Act, Person
from haven.records.tests import factories as f
from haven.reports import estimates, selectors
from haven.reports.obligations import DATA, ObligationsFileError, obligations, parse
from haven.reports.rendering import OfflineFetcher, RenderError, html_to_pdf
from haven.reports.services import ReportError, ReportRefused, report_generate
from haven.vocab.models import Term
from haven.web.tests.stories import Story, story

pytestmark = pytest.mark.django_db


@pytest.fixture
def s(reference) -> Story:  # type: ignore[no-untyped-def]
    return story()


def html(output) -> str:  # type: ignore[no-untyped-def]
    return output.content.decode("utf-8")


# ---- who may make which report ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [Role.VIEWER, Role.ANALYST, Role.DOCUMENTER, Role.CASE_WORKER, Role.ADMINISTRATOR]
)
def test_roles_with_aggregate_export_make_the_organisation_report(s: Story, role: str) -> None:
    user = s.world.users[role]
    out = report_generate(actor=user, kind="organisation", organisation="alpha", fmt="html")
    text = html(out)
    assert "Periodic report: Org alpha" in text
    for name in (*s.world.IDENTIFYING_A, *s.world.IDENTIFYING_B, "김정훈", "리설주"):
        assert name not in text
    entry = AuditEntry.objects.filter(action=AuditAction.REPORT_GENERATED).get()
    assert (
        entry.actor == user
        and entry.details["kind"] == "organisation"
        and entry.details["sha256"] == out.sha256
    )


def test_an_auditor_may_not_and_the_refusal_is_audited(s: Story) -> None:
    auditor = s.world.users[Role.AUDITOR]
    with pytest.raises(ReportRefused):
        report_generate(actor=auditor, kind="organisation", organisation="alpha", fmt="html")
    refusal = AuditEntry.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=auditor).get()
    assert refusal.details["kind"] == "organisation" and refusal.details["reason"] == "capability"
    assert not AuditEntry.objects.filter(action=AuditAction.REPORT_GENERATED).exists()


def test_an_organisation_not_granted_is_refused_like_one_that_does_not_exist(s: Story) -> None:
    viewer = s.world.users[Role.VIEWER]
    for code in ("beta", "no-such-org"):
        with pytest.raises(ReportRefused):
            report_generate(actor=viewer, kind="organisation", organisation=code, fmt="html")
    reasons = AuditEntry.objects.filter(action=AuditAction.ACCESS_REFUSED).values_list("details", flat=True)
    assert [d["reason"] for d in reasons] == ["organisation", "organisation"]


def test_figures_come_only_from_visible_records_with_small_cells_protected(s: Story) -> None:
    viewer = s.world.users[Role.VIEWER]
    acts = selectors.acts_in_scope(viewer, organisation=s.world.org_a)
    # The viewer's clearance stops at "internal": the story's internal acts count, nothing of beta does.
    assert set(acts.values_list("organisation__code", flat=True)) == {"alpha"}
    assert (
        acts.count()
        == Act.objects.filter(organisation=s.world.org_a, confidentiality__in=["public", "internal"]).count()
    )
    out = report_generate(actor=viewer, kind="organisation", organisation="alpha", fmt="html")
    text = html(out)
    # Five acts against one victim: too few for any breakdown; the totals read "<5" or 5, never 1 to 4.
    assert "too few for a breakdown" in text
    assert "against &lt;5 victims" in text
    for table in out.context["tables"]:
        assert table.hidden or not table.rows
        assert table.total not in {"1", "2", "3", "4"}


def test_a_period_narrows_the_report(s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    out = report_generate(actor=doc, kind="organisation", organisation="alpha", fmt="html", first_year=2010,
                          last_year=2010)  # fmt: skip
    period_acts = selectors.acts_in_scope(
        doc, organisation=s.world.org_a, period=selectors.Period(2010, 2010)
    )
    assert period_acts.count() == 2  # the arrest (2010) and the return (2010-11); not c. 2011 or unknown
    assert "2010" in out.context["period"]
    with pytest.raises(ReportError, match="after the last"):
        report_generate(actor=doc, kind="organisation", organisation="alpha", first_year=2012, last_year=2010)


def test_bad_options_are_named(s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    with pytest.raises(ReportError, match="Unknown report kind"):
        report_generate(actor=doc, kind="weekly")
    with pytest.raises(ReportError, match="choose pdf or html"):
        report_generate(actor=doc, kind="organisation", organisation="alpha", fmt="docx")
    with pytest.raises(ReportError, match="choose ko or en"):
        report_generate(actor=doc, kind="organisation", organisation="alpha", lang="fr")
    with pytest.raises(ReportError, match="transit country"):
        report_generate(actor=doc, kind="transit", country="FR")


# ---- the dossier ---------------------------------------------------------------------------------------------------


def test_a_documenter_gets_the_dossier_with_names_and_obligations(s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    out = report_generate(actor=doc, kind="dossier", person=s.world.person_a.pk, lang="ko", fmt="html")
    text = html(out)
    assert "최예린" in text and "Choi Ye-rin" in text
    assert "대외비" in text and "체포 및 자의적 구금" in text and "자유권규약 제9조" not in text
    assert "시민적 및 정치적 권리에 관한 국제규약 제9조" in text
    entry = AuditEntry.objects.filter(action=AuditAction.REPORT_GENERATED).get()
    assert entry.target_type == "records.person" and entry.target_id == str(s.world.person_a.pk)
    assert "최예린" not in str(entry.details)
    viewed = AuditEntry.objects.filter(action=AuditAction.RECORD_VIEWED, target_id=str(s.world.person_a.pk))
    assert viewed.exists()  # the read went through haven.records.access


def test_the_dossier_is_the_same_404_for_missing_forbidden_and_unauthorised(s: Story) -> None:
    doc, analyst = s.world.users[Role.DOCUMENTER], s.world.users[Role.ANALYST]
    missing = Person.objects.order_by("-pk").first().pk + 100  # type: ignore[union-attr]
    for user, pk in ((doc, s.world.person_b.pk), (doc, missing), (analyst, s.world.person_a.pk)):
        with pytest.raises(Http404):
            report_generate(actor=user, kind="dossier", person=pk, fmt="html")
    assert AuditEntry.objects.filter(action=AuditAction.ACCESS_REFUSED).count() == 3
    assert not AuditEntry.objects.filter(action=AuditAction.REPORT_GENERATED).exists()


# ---- the views: permission, sudo mode, the file ---------------------------------------------------------------------


def test_the_report_page_and_generation_need_sudo(client, s: Story) -> None:
    viewer = s.world.users[Role.VIEWER]
    client.force_login(viewer)
    page = client.get(reverse("reports:index"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Organisation&#x27;s periodic report" in body or "Organisation's periodic report" in body
    assert "Person dossier" not in body  # a viewer may not see identifying data
    data = {"organisation": "alpha", "lang": "en", "fmt": "html", "first_year": "", "last_year": ""}
    response = client.post(reverse("reports:organisation"), data)
    assert response.status_code == 302 and "reauthenticate" in response["Location"]
    assert not AuditEntry.objects.filter(action=AuditAction.REPORT_GENERATED).exists()
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = client.post(reverse("reports:organisation"), data)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="haven-organisation-alpha-en.html"'
    assert b"Periodic report" in response.content
    assert AuditEntry.objects.filter(action=AuditAction.REPORT_GENERATED, actor=viewer).exists()


def test_bad_form_input_is_reported_on_the_page(client, s: Story) -> None:
    client.force_login(s.world.users[Role.VIEWER])
    data = {"organisation": "alpha", "lang": "en", "fmt": "pdf", "first_year": "2012", "last_year": "2010"}
    response = client.post(reverse("reports:organisation"), data)
    assert response.status_code == 400
    assert "The last year must not be before the first." in response.content.decode()


def test_an_auditor_gets_404s_and_a_case_worker_is_refused_a_foreign_dossier(client, s: Story) -> None:
    client.force_login(s.world.users[Role.AUDITOR])
    assert client.get(reverse("reports:index")).status_code == 404
    assert client.post(reverse("reports:organisation"), {"organisation": "alpha"}).status_code == 404
    client.force_login(s.world.users[Role.ANALYST])
    assert client.post(reverse("reports:dossier"), {"person": s.world.person_a.pk}).status_code == 404


# ---- the command ---------------------------------------------------------------------------------------------------


def test_the_report_command(s: Story, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "brief.html"
    call_command("report", "transit", "--user", s.world.users[Role.ANALYST].username, "--country", "CN",
                 "--lang", "ko", "--format", "html", "--out", str(out))  # fmt: skip
    text = out.read_text(encoding="utf-8")
    assert "경유국 브리핑: 중국" in text and "연길" not in text
    assert "written to" in capsys.readouterr().out
    entry = AuditEntry.objects.filter(action=AuditAction.REPORT_GENERATED).get()
    assert entry.details["file"] == "brief.html" and entry.details["country"] == "CN"
    with pytest.raises(CommandError, match="needs --org"):
        call_command(
            "report", "organisation", "--user", s.world.users[Role.ANALYST].username, "--out", str(out)
        )
    with pytest.raises(CommandError, match="No active user"):
        call_command("report", "transit", "--user", "nobody", "--country", "CN", "--out", str(out))
    with pytest.raises(CommandError, match="may not make this report"):
        call_command("report", "transit", "--user", s.world.users[Role.AUDITOR].username, "--country", "LA",
                     "--out", str(tmp_path / "x.html"))  # fmt: skip
    assert not (tmp_path / "x.html").exists()
    with pytest.raises(CommandError, match="No such person"):
        call_command("report", "dossier", "--user", s.world.users[Role.ANALYST].username, "--person",
                     str(s.world.person_a.pk), "--out", str(tmp_path / "d.pdf"))  # fmt: skip


# ---- the estimate ----------------------------------------------------------------------------------------------------


def test_the_estimate_is_log_linear_bic_over_linked_lists(reference) -> None:  # type: ignore[no-untyped-def]
    from haven.accounts.models import Compartment
    from haven.accounts.tests.personas import make_user

    # Three lists of one synthetic population of 60; overlaps known through a clusters mapping.
    patterns = {"111": 4, "110": 6, "101": 5, "011": 4, "100": 14, "010": 12, "001": 15}
    orgs = ["la", "lb", "lc"]
    event = {o: f.event("2010", o) for o in orgs}
    clusters: dict[tuple[str, str], str] = {}
    n = 0
    for pattern, count in patterns.items():
        for _ in range(count):
            n += 1
            for org, bit in zip(orgs, pattern, strict=True):
                if bit == "1":
                    p = f.person(org, hangul="가나다", roman="Ga Na-da")
                    p.external_id = f"{org}-{n}"
                    p.save()
                    f.act(event[org], p)
                    clusters[(org, p.external_id)] = f"c{n}"
    user = make_user(Role.ANALYST, list(Compartment.objects.all()))[0]
    acts = selectors.acts_in_scope(user)
    result = estimates.estimate_victims(acts, clusters)
    expected = loglinear_select(CaptureHistories.from_counts(patterns, lists=orgs), criterion="bic")
    assert result.available and result.observed == 60 and result.overlaps == 19
    assert result.estimate == pytest.approx(expected.estimate)
    assert result.lower == pytest.approx(expected.lower) and result.model == expected.chosen.model
    unlinked = estimates.estimate_victims(acts)
    assert not unlinked.available and "more than one list" in unlinked.reason


# ---- obligations and rendering -----------------------------------------------------------------------------------


def test_every_act_type_in_the_obligations_file_exists_and_key_patterns_are_mapped(reference) -> None:  # type: ignore[no-untyped-def]
    data = obligations()
    codes = set(Term.objects.filter(vocabulary__code="act-types").values_list("code", flat=True))
    for pattern in data.patterns:
        assert set(pattern.act_types) <= codes, pattern.code
    path = Term.objects.get(vocabulary__code="act-types", code="9201").path  # forced repatriation from China
    engaged = {i.code for p in data.patterns_for_path(path) for i in p.instruments}
    assert {"rc51-33", "cat-3", "iccpr-7"} <= engaged
    trafficking = Term.objects.get(vocabulary__code="act-types", code="9101").path
    assert {"palermo", "cedaw-6"} <= {
        i.code for p in data.patterns_for_path(trafficking) for i in p.instruments
    }
    arrest = Term.objects.get(vocabulary__code="act-types", code="030101").path
    assert [p.code for p in data.patterns_for_path(arrest)] == ["arbitrary-detention"]
    for instrument in data.instruments.values():
        assert instrument.summary["ko"] and instrument.summary["en"] and instrument.title["ko"]
    assert data.party_year("CN", "rc51-33") == 1982 and data.party_year("KP", "rc51-33") is None


def test_a_broken_obligations_file_is_refused_with_the_entry_named() -> None:
    doc = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    doc["patterns"][0]["instruments"] = ["no-such-treaty"]
    with pytest.raises(ObligationsFileError, match="pattern refoulement: unknown or missing instruments"):
        parse(doc)
    doc = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    del doc["instruments"][0]["summary"]["ko"]
    with pytest.raises(ObligationsFileError, match="instrument rc51-33: 'summary' needs English and Korean"):
        parse(doc)


def test_rendering_never_fetches_from_outside() -> None:
    fetcher = OfflineFetcher()
    with pytest.raises(FatalURLFetchingError, match="offline rendering refuses"):
        fetcher.fetch("https://example.invalid/font.woff")
    assert fetcher.refused == ["https://example.invalid/font.woff"]
    with pytest.raises(RenderError, match="offline rendering refuses"):
        html_to_pdf('<html><body><img src="http://example.invalid/x.png"></body></html>')
    pdf = html_to_pdf("<html><body><p>한글 漢字 English</p></body></html>")
    assert pdf.startswith(b"%PDF")
