"""The web run end to end: form → background job → saved run → run page; re-runs; who may see what."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from django.urls import reverse

from haven.accounts.models import Role
from haven.analytics.estimation import CaptureHistories, estimate, lcmcr_fit, loglinear_select
from haven.audit.models import AuditAction, AuditEntry
from haven.estimation import pages
from haven.estimation.compute import compute
from haven.estimation.models import EstimationRun
from haven.estimation.services import estimation_run_save
from haven.estimation.tests.world import ACT_TYPE, LISTS, PATTERNS, EstimationWorld, pooled
from haven.jobs.models import Job, JobStatus
from haven.lib.testing.leaks import shows
from haven.vocab.models import Term

pytestmark = pytest.mark.django_db


def _form(world: EstimationWorld, **kw) -> dict[str, object]:  # type: ignore[no-untyped-def]
    data: dict[str, object] = {
        "lists": world.ids(*LISTS),
        "population": "victims",
        "act_type": Term.objects.get(vocabulary__code="act-types", code=ACT_TYPE).pk,
        "year_from": 2000,
        "year_to": 2020,
        "band": 5,
        "method": "loglinear",
        "criterion": "aic",
        "burnin": 10_000,
        "samples": 1_000,
        "thinning": 10,
        "chains": 2,
    }
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def _submit(client, user, data) -> tuple[Job, EstimationRun]:  # type: ignore[no-untyped-def]
    client.force_login(user)
    response = client.post(reverse("estimation:new"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    job = Job.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))
    assert job.status == JobStatus.DONE, job.error
    result = json.loads(job.result_json)
    # The job page (polled by htmx) sends the browser on to the run.
    poll = client.get(reverse("jobs:detail", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert poll["HX-Redirect"] == result["url"] == reverse("estimation:run", args=[result["run"]])
    return job, EstimationRun.objects.get(pk=result["run"])


def _histories(counts: dict[str, int]) -> CaptureHistories:
    return CaptureHistories.from_counts(counts, lists=list(LISTS))


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


def test_it_runs_a_log_linear_estimate_from_the_form_to_the_run_page(client, world: EstimationWorld) -> None:
    job, run = _submit(client, world.analyst, _form(world))
    # The table estimated is the linked one, and the numbers are the package's on that table.
    assert {r["pattern"]: r["count"] for r in run.inputs["table"]} == pooled()
    expected = loglinear_select(_histories(pooled()), criterion="aic")
    assert run.estimate == pytest.approx(expected.chosen.estimate, rel=1e-12)
    assert (run.lower, run.upper) == pytest.approx((expected.chosen.lower, expected.chosen.upper), rel=1e-12)
    assert run.outputs["model"] == expected.chosen.model
    assert run.observed == sum(pooled().values())
    models = run.outputs["parts"][0]["models"]
    assert [m[0] for m in models] == [m.model for m in expected.table]
    assert [m[5] for m in models] == pytest.approx([m.aic for m in expected.table])
    assert run.inputs["versions"]["haven"] and run.inputs["settings"] == {
        "criterion": "aic",
        "max_order": None,
    }
    assert job.done == job.total

    page = client.get(reverse("estimation:run", args=[run.pk]))
    assert page.status_code == 200
    html = _text(page)
    assert f"{round(expected.chosen.estimate):,}" in html
    assert f"{round(expected.chosen.lower):,}–{round(expected.chosen.upper):,}" in html
    assert f"<code>{expected.chosen.model}</code>" in html
    assert "<svg" in html and 'role="img"' in html  # the interval plot, inline
    for model in expected.table[:5]:
        assert f"<code>{model.model}</code>" in html
    assert f"E-{run.pk}" in html and run.inputs_sha256[:16] in html  # citation
    entries = AuditEntry.objects.filter(target_type="estimation.estimationrun", target_id=str(run.pk))
    assert set(entries.values_list("action", flat=True)) == {
        AuditAction.ESTIMATION_RUN,
        AuditAction.RECORD_VIEWED,
    }
    run_entry = entries.get(action=AuditAction.ESTIMATION_RUN)
    assert (
        run_entry.details["lists"] == list(LISTS) and run_entry.details["inputs_sha256"] == run.inputs_sha256
    )


def test_the_model_table_pages_through_every_candidate_with_htmx(client, world: EstimationWorld) -> None:
    _job, run = _submit(client, world.analyst, _form(world, criterion="bic"))
    assert len(run.outputs["parts"][0]["models"]) == 8  # all hierarchical models of three lists
    fragment = client.get(
        reverse("estimation:models", args=[run.pk]) + "?part=0&page=1", HTTP_HX_REQUEST="true"
    )
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert client.get(reverse("estimation:models", args=[run.pk]) + "?part=7").status_code == 404
    expected = loglinear_select(_histories(pooled()), criterion="bic")
    assert run.outputs["model"] == expected.chosen.model


def test_an_lcmcr_run_and_its_rerun_give_identical_numbers(client, world: EstimationWorld) -> None:
    settings = {
        "method": "lcmcr",
        "burnin": 300,
        "samples": 200,
        "thinning": 2,
        "chains": 2,
        "seed": 20240607,
    }
    job, run = _submit(client, world.analyst, _form(world, **settings))
    direct = lcmcr_fit(_histories(pooled()), burnin=300, samples=200, thinning=2, chains=2, seed=20240607)
    assert run.estimate == direct.estimate and (run.lower, run.upper) == (direct.lower, direct.upper)
    assert run.outputs["rhat"] == pytest.approx(direct.rhat) and run.outputs["ess"] == pytest.approx(
        direct.ess
    )
    assert np.array_equal(np.array(run.outputs["trace"]), direct.trace)
    assert job.total == 500 + 300 + 200 * 2  # progress counted in sweeps (warm-up, burn-in, draws)
    page = _text(client.get(reverse("estimation:run", args=[run.pk])))
    assert "Trace of N" in page

    response = client.post(reverse("estimation:rerun", args=[run.pk]))
    assert response.status_code == 302
    again = EstimationRun.objects.exclude(pk=run.pk).get()
    assert again.rerun_of == run and again.inputs_sha256 == run.inputs_sha256
    assert again.inputs == run.inputs
    assert (again.estimate, again.lower, again.upper) == (run.estimate, run.lower, run.upper)
    assert again.outputs["trace"] == run.outputs["trace"]
    html = _text(client.get(reverse("estimation:run", args=[again.pk])))
    assert "Identical results." in html and f"E-{run.pk}" in html


def test_a_stratified_run_equals_the_package_on_the_same_strata(client, world: EstimationWorld) -> None:
    _job, run = _submit(client, world.analyst, _form(world, strata=["sex"]))
    patterns, counts, strata = [], [], []
    for sex, by_pattern in PATTERNS.items():
        for pattern, n in by_pattern.items():
            patterns.append(pattern)
            counts.append(n)
            strata.append(sex)
    expected = estimate(
        CaptureHistories.from_counts(patterns, counts, lists=list(LISTS), strata=strata), "loglinear"
    )
    assert run.estimate == pytest.approx(expected.estimate, rel=1e-12)
    assert (run.lower, run.upper) == pytest.approx((expected.lower, expected.upper), rel=1e-12)
    assert [p["key"] for p in run.outputs["parts"]] == ["F", "M"]
    html = _text(client.get(reverse("estimation:run", args=[run.pk])))
    assert "Female" in html and "Male" in html


def test_a_run_the_data_cannot_support_is_saved_with_its_reason(client, world: EstimationWorld) -> None:
    # In 1990-1999 only beta documented anyone: one list cannot be estimated from.
    _job, run = _submit(client, world.analyst, _form(world, year_from=1990, year_to=1999))
    assert run.status == "failed" and run.estimate is None
    assert "list has no captures" in run.outputs["error"]
    page = client.get(reverse("estimation:run", args=[run.pk]))
    assert page.status_code == 200 and "No estimate could be made" in page.content.decode()


def test_an_analyst_cannot_pick_a_list_they_may_not_see(client, world: EstimationWorld) -> None:
    client.force_login(world.analyst)
    form = client.get(reverse("estimation:new")).content.decode()
    assert world.hidden_org.name_en not in form
    response = client.post(reverse("estimation:new"), _form(world, lists=world.ids("alpha", "delta")))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Job.objects.exists()
    # A job asked for directly (a tampered or stale request) is refused by the runner, with an audit entry.
    from haven.jobs import services as jobs

    params = {
        "table": {
            "organisation_ids": world.ids("alpha", "delta"),
            "population": "victims",
            "strata": [],
            "band": 5,
        },
        "method": {"method": "loglinear"},
    }
    job = jobs.submit("estimation.run", user=world.analyst, params=params)
    assert job.status == JobStatus.FAILED and "not available to you" in job.error
    assert not EstimationRun.objects.exists()
    assert AuditEntry.objects.filter(
        action=AuditAction.ACCESS_REFUSED, target_type="accounts.organisation"
    ).exists()


def test_other_roles_are_refused_everywhere(client, world: EstimationWorld) -> None:
    _job, run = _submit(client, world.analyst, _form(world))
    for role in (Role.DOCUMENTER, Role.CASE_WORKER, Role.VIEWER, Role.AUDITOR, Role.ADMINISTRATOR):
        user = world.user(role, LISTS, username=f"other-{role}")
        client.force_login(user)
        for url in (
            reverse("estimation:runs"),
            reverse("estimation:new"),
            reverse("estimation:run", args=[run.pk]),
            reverse("estimation:plot", args=[run.pk, "interval"]),
        ):
            assert client.get(url).status_code == 404, (role, url)
        assert client.post(reverse("estimation:new"), _form(world)).status_code == 404
        assert client.post(reverse("estimation:rerun", args=[run.pk])).status_code == 404
        assert reverse("estimation:runs") not in client.get("/").content.decode()
    assert Job.objects.count() == 1


def test_runs_are_shared_within_the_organisation_with_small_counts_protected(
    client, world: EstimationWorld
) -> None:
    _job, run = _submit(client, world.analyst, _form(world, strata=["sex"]))
    small = PATTERNS["M"]["101"]
    assert 0 < small < 5

    owner_html = _text(client.get(reverse("estimation:run", args=[run.pk])))
    assert "&lt;5" not in owner_html and "counts from 1 to 4 are shown" not in owner_html

    # A colleague of the same organisation without the gamma compartment reads the run, small counts hidden.
    colleague = world.user(Role.ANALYST, ("alpha", "beta"), username="colleague")
    client.force_login(colleague)
    page = client.get(reverse("estimation:run", args=[run.pk]))
    assert page.status_code == 200
    html = _text(page)
    assert "&lt;5" in html and "counts from 1 to 4 are shown" in html
    cells = re.findall(
        r'<td class="num">([^<]*)</td>', html.split("est-patterns", 1)[1].split("</table>", 1)[0]
    )
    assert str(small) not in cells and "&lt;5" in cells
    entry = AuditEntry.objects.filter(actor=colleague, action=AuditAction.RECORD_VIEWED).get()
    assert entry.details == {"via": "page", "small_counts_shown": False}
    assert client.get(reverse("estimation:runs")).status_code == 200

    # A colleague holding every compartment sees the counts as they are.
    full = world.user(Role.ANALYST, LISTS, username="full")
    client.force_login(full)
    assert "&lt;5" not in _text(client.get(reverse("estimation:run", args=[run.pk])))

    # An analyst of another organisation gets the answer of a run that does not exist.
    stranger = world.user(Role.ANALYST, LISTS, username="stranger", organisation="delta")
    client.force_login(stranger)
    forbidden = client.get(reverse("estimation:run", args=[run.pk]))
    missing = client.get(reverse("estimation:run", args=[run.pk + 1000]))
    assert forbidden.status_code == missing.status_code == 404
    assert client.post(reverse("estimation:rerun", args=[run.pk])).status_code == 404
    assert client.get(reverse("estimation:runs")).context["items"] == []
    assert AuditEntry.objects.filter(actor=stranger, action=AuditAction.ACCESS_REFUSED).count() == 3


def test_the_form_explains_bad_input_field_by_field(client, world: EstimationWorld) -> None:
    client.force_login(world.analyst)
    cases = [
        (_form(world, lists=world.ids("alpha")), "lists", "at least two"),
        (_form(world, year_from=2015, year_to=2010), "year_to", "ends before it starts"),
        (_form(world, population="persons"), "population", "select victims"),
        (_form(world, method="lcmcr", samples=20_000, thinning=1_000), "samples", "sweeps per chain"),
        (_form(world, max_order=3), "max_order", "highest interaction order is 2"),
    ]
    for data, field, message in cases:
        response = client.post(reverse("estimation:new"), data)
        assert response.status_code == 200, field
        assert message in response.context["form"].errors[field][0], (field, response.context["form"].errors)
    assert not Job.objects.exists()


def test_the_form_can_start_from_an_earlier_run(client, world: EstimationWorld) -> None:
    _job, run = _submit(client, world.analyst, _form(world, strata=["sex"], criterion="bic"))
    form = client.get(reverse("estimation:new") + f"?from={run.pk}").context["form"]
    assert [o.code for o in form.initial["lists"]] == list(LISTS)
    assert form.initial["strata"] == ["sex"] and form.initial["criterion"] == "bic"


def test_the_plots_download_as_svg_files(client, world: EstimationWorld) -> None:
    _job, run = _submit(
        client, world.analyst, _form(world, method="lcmcr", burnin=50, samples=20, thinning=1, seed=3)
    )
    for name in ("interval", "trace"):
        response = client.get(reverse("estimation:plot", args=[run.pk, name]))
        assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")
        body = response.content.decode()
        assert body.startswith("<?xml") and "<script" not in body and "style=" not in body
    assert client.get(reverse("estimation:plot", args=[run.pk, "nope"])).status_code == 404


def test_the_page_is_in_korean_for_korean_readers(client, world: EstimationWorld) -> None:
    _job, run = _submit(client, world.analyst, _form(world))
    world.analyst.preferred_language = "ko"
    world.analyst.save()
    client.force_login(world.analyst)
    html = client.get(reverse("estimation:run", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "추정" in html and "같은 입력으로 다시 실행" in html


def test_a_run_with_nobody_to_count_is_saved_and_shown(client, world: EstimationWorld) -> None:
    _job, run = _submit(client, world.analyst, _form(world, year_from=1950, year_to=1960))
    assert run.status == "failed" and run.observed == 0 and run.inputs["table"] == []
    assert "no person matches" in run.outputs["error"]
    assert client.get(reverse("estimation:run", args=[run.pk])).status_code == 200
    assert client.get(reverse("estimation:runs")).status_code == 200


def _run_with_table(base: EstimationRun, by_stratum: dict[str, dict[str, int]]) -> EstimationRun:
    """A run like ``base`` (same owner, lists, method and compartments) estimated from another table."""
    table = [
        {"stratum": [sex] if sex else [], "pattern": p, "count": n}
        for sex, counts in by_stratum.items()
        for p, n in counts.items()
    ]
    inputs = {**base.inputs, "table": table, "strata": base.inputs["strata"] if "" not in by_stratum else []}
    return estimation_run_save(
        actor=base.owner,
        inputs=inputs,
        outputs=compute(inputs),
        compartment_ids=list(base.compartment_ids),
    )


def test_an_estimate_is_withheld_wherever_a_count_it_comes_from_is(client, world: EstimationWorld) -> None:
    _job, base = _submit(client, world.analyst, _form(world, strata=["sex"]))
    # Women: every count 0 or at least 5. Men: 4 people and a third stratum of 9, too few to show: their counts
    # are withheld, and so are their results and the total's (it is the sum of all three).
    women = {"111": 10, "110": 7, "101": 5, "100": 22, "011": 6, "010": 16, "001": 14}
    run = _run_with_table(
        base,
        {
            "F": women,
            "M": {"111": 1, "110": 1, "101": 1, "011": 1},
            "X": {"111": 2, "110": 2, "101": 2, "011": 2, "100": 1},
        },
    )
    parts = {p["key"]: p for p in run.outputs["parts"]}
    assert set(parts) == {"F", "M", "X"} and parts["X"]["estimate"] is not None, run.outputs
    colleague = world.user(Role.ANALYST, ("alpha", "beta"), username="colleague")
    client.force_login(colleague)
    context = client.get(reverse("estimation:run", args=[run.pk])).context
    rows = {r["label"]: r for r in context["strata_results"]}
    mark = pages.WITHHELD_MARK
    assert len(rows) == 3
    assert rows["Female"]["estimate"] == pages.number(parts["F"]["estimate"])
    assert rows["Female"]["interval"] != mark and rows["Female"]["lists"] != mark
    for label in [label for label in rows if label != "Female"]:
        row = rows[label]
        assert row["observed"] == row["estimate"] == row["interval"] == row["lists"] == row["status"] == mark
        assert row["warnings"] == []
    assert [p["part"]["key"] for p in context["parts"]] == ["F"]  # no model table of a withheld stratum
    assert context["estimate"] == context["interval"] == mark and context["se"] is None
    assert context["warnings"] == [] and context["chosen_model"] is None
    assert "withheld from this reader" in context["citation"]
    html = _text(client.get(reverse("estimation:run", args=[run.pk])))
    assert "An estimate is shown to you only where every count it comes from is" in html
    assert "Male" not in context["plots"]["interval"] and "Female" in context["plots"]["interval"]
    assert "Total" not in context["plots"]["interval"]
    models = reverse("estimation:models", args=[run.pk])
    assert client.get(models, {"part": 0}).status_code == 200
    assert client.get(models, {"part": 1}).status_code == client.get(models, {"part": 2}).status_code == 404
    # The owner holds every compartment the counts come from: everything is shown.
    client.force_login(world.analyst)
    owner = client.get(reverse("estimation:run", args=[run.pk])).context
    assert all(r["estimate"] != mark for r in owner["strata_results"]) and len(owner["parts"]) == 3
    assert owner["shown"].total and owner["estimate"] == pages.number(run.estimate)
    assert client.get(models, {"part": 1}).status_code == 200


def test_a_stratum_with_a_small_cell_is_withheld_though_its_total_is_shown(
    client, world: EstimationWorld
) -> None:
    # The test world's women number 71, but two of their counts are 3 and 4: their estimate and model table
    # would tell which (3, 4) it is, so they are withheld from a reader who sees "<5".
    _job, run = _submit(client, world.analyst, _form(world, strata=["sex"]))
    colleague = world.user(Role.ANALYST, ("alpha", "beta"), username="colleague")
    client.force_login(colleague)
    context = client.get(reverse("estimation:run", args=[run.pk])).context
    assert context["table"]["column_total_list"] == ["71", "62"]
    assert [r["estimate"] for r in context["strata_results"]] == [pages.WITHHELD_MARK] * 2
    assert context["parts"] == [] and "interval" not in context["plots"]
    assert context["estimate"] == pages.WITHHELD_MARK and context["status_text"] == "withheld"
    # The runs list withholds it too.
    listed = {item["run"].pk: item for item in client.get(reverse("estimation:runs")).context["items"]}
    assert (
        listed[run.pk]["estimate"]
        == listed[run.pk]["interval"]
        == listed[run.pk]["status"]
        == pages.WITHHELD_MARK
    )
    client.force_login(world.analyst)
    listed = {item["run"].pk: item for item in client.get(reverse("estimation:runs")).context["items"]}
    assert (
        listed[run.pk]["estimate"] == pages.number(run.estimate) and listed[run.pk]["status"] == "estimated"
    )


def test_the_estimate_of_a_run_of_a_few_people_is_withheld_everywhere(client, world: EstimationWorld) -> None:
    _job, base = _submit(client, world.analyst, _form(world))
    run = _run_with_table(base, {"": {"111": 1, "110": 1, "101": 1, "011": 1}})
    assert run.estimate is not None, run.outputs
    colleague = world.user(Role.ANALYST, ("alpha", "beta"), username="colleague")
    client.force_login(colleague)
    mark = pages.WITHHELD_MARK
    context = client.get(reverse("estimation:run", args=[run.pk])).context
    assert context["observed"] == "<5" and context["estimate"] == context["interval"] == mark
    assert context["se"] is None and context["parts"] == [] and context["plots"] == {}
    assert "withheld from this reader" in context["citation"]
    assert not shows(pages.number(run.estimate), context["citation"])
    assert client.get(reverse("estimation:plot", args=[run.pk, "interval"])).status_code == 404
    assert client.get(reverse("estimation:models", args=[run.pk]), {"part": 0}).status_code == 404
    listed = {item["run"].pk: item for item in client.get(reverse("estimation:runs")).context["items"]}
    assert listed[run.pk]["estimate"] == listed[run.pk]["interval"] == mark
    assert listed[base.pk]["estimate"] == pages.number(base.estimate)
    client.force_login(world.analyst)
    listed = {item["run"].pk: item for item in client.get(reverse("estimation:runs")).context["items"]}
    assert listed[run.pk]["estimate"] == pages.number(run.estimate)
