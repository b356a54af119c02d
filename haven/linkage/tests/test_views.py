"""The review pages with the test client: who sees what, masking, deciding in place, sudo, undo, Korean."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from haven.accounts.models import Role
from haven.accounts.policy import MASK
from haven.accounts.tests.personas import PASSWORD
from haven.audit.models import AuditAction, AuditEntry
from haven.lib.testing.leaks import shows
from haven.linkage.models import (
    CandidatePair,
    ClusterMember,
    Decision,
    LinkageRun,
    Merge,
    ProposedCluster,
    ReviewDecision,
    RunStatus,
)
from haven.linkage.services import identity_map, pair_decide

from .conftest import Small
from .helpers import user

pytestmark = pytest.mark.django_db

EVIDENCE = {
    "surname": [2, 3.1],
    "given_name": [4, 9.5],
    "birth_year": [4, 4.2],
    "sex": [1, 0.4],
    "origin": [-1, 0.0],
    "exit_year": [0, -3.0],
}


@pytest.fixture
def run(small: Small) -> LinkageRun:
    """A finished run over A and B with three pairs (two within A, one across A and B) and a cluster."""
    run = LinkageRun.objects.create(
        created_by=small.analyst,
        threshold=0.5,
        seed=1,
        status=RunStatus.DONE,
        level_labels={"surname": {"2": "same surname"}, "origin": {"-1": "province is NULL"}},
        person_count=7,
    )
    run.compartments.set([small.comp_a, small.comp_b])
    a = small.a
    cluster = ProposedCluster.objects.create(
        run=run, number=1, size=2, min_probability=0.97, mean_probability=0.97
    )
    ClusterMember.objects.bulk_create([ClusterMember(cluster=cluster, person=p) for p in (a[0], a[1])])
    hidden = ProposedCluster.objects.create(
        run=run, number=2, size=2, min_probability=0.6, mean_probability=0.6
    )
    ClusterMember.objects.bulk_create([ClusterMember(cluster=hidden, person=p) for p in (a[2], small.b)])
    for left, right, p, c in [
        (a[0], a[1], 0.97, cluster),
        (a[4], a[5], 0.55, None),
        (a[2], small.b, 0.6, hidden),
    ]:
        CandidatePair.objects.create(
            run=run,
            left=left,
            right=right,
            match_probability=p,
            match_weight=2.0,
            uncertainty=abs(p - 0.5),
            evidence=EVIDENCE,
            cluster=c,
        )
    return run


def _pair(run: LinkageRun, left, right) -> CandidatePair:  # type: ignore[no-untyped-def]
    return CandidatePair.objects.get(run=run, left=left, right=right)


def _normalized(response) -> str:  # type: ignore[no-untyped-def]
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "", html)
    return re.sub(r'name="next" value="[^"]+"', "", html)


def test_the_queue_lists_the_least_certain_pair_first_with_names_for_a_documenter(client, small, run) -> None:  # type: ignore[no-untyped-def]
    client.force_login(small.doc)
    html = client.get(reverse("linkage:pairs", args=[run.pk])).content.decode()
    first = html.index(f"Records {small.a[4].pk} and {small.a[5].pk}")
    second = html.index(f"Records {small.a[0].pk} and {small.a[1].pk}")
    assert first < second  # 0.55 is less certain than 0.97
    for text in ("리설주", "Lee Seol-ju", "최예린", "Choe Ye Rin", "1984"):
        assert text in html, text
    assert "박은정" not in html and "Park Eun-jung" not in html  # the pair across A and B is not listed
    assert "same surname" in html and "same given name (any spelling)" in html and "different" in html
    assert 'hx-post="/linkage/pairs/' in html
    # Every person shown was audited as viewed, via linkage.
    viewed = AuditEntry.objects.filter(action=AuditAction.RECORD_VIEWED, actor=small.doc)
    assert viewed.count() == 4 and {e.details["via"] for e in viewed} == {"linkage"}


def test_an_analyst_sees_the_evidence_but_not_the_names(client, small, run) -> None:  # type: ignore[no-untyped-def]
    client.force_login(small.analyst)
    html = client.get(reverse("linkage:pairs", args=[run.pk])).content.decode()
    for text in ("리설주", "이설주", "Ri Sol-ju", "최예린", "Choi Ye-rin", "1984"):
        assert not shows(text, html), text
    assert MASK in html and "same surname" in html and "55%" in html
    assert 'hx-post="/linkage/pairs/' not in html  # no decision buttons for an analyst


def test_a_pair_or_cluster_with_a_hidden_record_is_a_404_like_a_missing_one(client, small, run) -> None:  # type: ignore[no-untyped-def]
    client.force_login(small.doc)
    across = _pair(run, small.a[2], small.b)
    hidden = ProposedCluster.objects.get(run=run, number=2)
    for name, pk, missing in [("pair", across.pk, 999_999), ("cluster", hidden.pk, 999_999)]:
        forbidden = client.get(reverse(f"linkage:{name}", args=[pk]))
        absent = client.get(reverse(f"linkage:{name}", args=[missing]))
        assert forbidden.status_code == absent.status_code == 404
        assert _normalized(forbidden) == _normalized(absent)
        assert "박은정" not in forbidden.content.decode()
    assert (
        client.post(reverse("linkage:pair_decide", args=[across.pk]), {"decision": "reject"}).status_code
        == 404
    )
    refusals = AuditEntry.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=small.doc)
    assert refusals.filter(target_type="linkage.candidatepair").count() >= 2
    # The reviewer of A and B sees it.
    client.force_login(small.doc_ab)
    assert "박은정" in client.get(reverse("linkage:pair", args=[across.pk])).content.decode()
    clusters = client.get(reverse("linkage:clusters", args=[run.pk])).content.decode()
    assert "Cluster 2" in clusters


def test_roles_without_the_capabilities_do_not_see_linkage(client, small, run) -> None:  # type: ignore[no-untyped-def]
    viewer = user("viewer-a", Role.VIEWER, [small.comp_a])
    worker = user("worker-a", Role.CASE_WORKER, [small.comp_a])
    outsider = user("analyst-c", Role.ANALYST, [])
    for who in (viewer, worker, outsider):
        client.force_login(who)
        for url in (
            reverse("linkage:index"),
            reverse("linkage:run", args=[run.pk]),
            reverse("linkage:pairs", args=[run.pk]),
            reverse("linkage:merges"),
        ):
            status = client.get(url).status_code
            # An analyst with no compartment may use linkage, but sees no run over others' compartments.
            open_to_outsider = url in (reverse("linkage:index"), reverse("linkage:merges"))
            assert status == (200 if who is outsider and open_to_outsider else 404), (who, url)
    client.force_login(viewer)
    assert "/linkage/" not in client.get(reverse("home")).content.decode()
    client.force_login(small.doc)
    assert 'href="/linkage/"' in client.get(reverse("home")).content.decode()


def test_an_analyst_starts_a_run_from_the_page(client, small) -> None:  # type: ignore[no-untyped-def]
    client.force_login(small.analyst)
    page = client.get(reverse("linkage:index")).content.decode()
    assert 'name="compartments"' in page and small.comp_a.code in page
    assert small.comp_b.code not in page  # not granted: not offered
    bad = client.post(reverse("linkage:run_create"), {"compartments": [small.comp_b.pk], "threshold": "0.5"})
    assert bad.status_code == 400 and not LinkageRun.objects.exists()
    response = client.post(
        reverse("linkage:run_create"), {"compartments": [small.comp_a.pk], "threshold": "0.5", "seed": "4"}
    )
    run = LinkageRun.objects.get()
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[run.job_id])
    # Six records are too few to train on: the job and the run say so.
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "could not be trained on 6 records" in run.error
    assert "could not be trained" in client.get(reverse("jobs:detail", args=[run.job_id])).content.decode()
    assert "could not be trained" in client.get(reverse("linkage:run", args=[run.pk])).content.decode()
    client.force_login(small.doc)
    assert 'name="compartments"' not in client.get(reverse("linkage:index")).content.decode()
    assert client.post(reverse("linkage:run_create"), {"compartments": [small.comp_a.pk]}).status_code == 404


def test_accepting_needs_a_fresh_password_then_merges_in_place(client, small, run) -> None:  # type: ignore[no-untyped-def]
    pair = _pair(run, small.a[0], small.a[1])
    url = reverse("linkage:pair_decide", args=[pair.pk])
    queue = reverse("linkage:pairs", args=[run.pk])
    client.force_login(small.doc)
    # htmx: sent to re-authenticate, then back to the queue.
    response = client.post(url, {"decision": "accept"}, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=queue)
    assert response.status_code == 204 and response["HX-Redirect"].startswith(
        reverse("account_reauthenticate")
    )
    assert "next=%2Flinkage%2Fruns%2F" in response["HX-Redirect"]
    # Without htmx: allauth keeps the POST and replays it after the password.
    response = client.post(url, {"decision": "accept", "next": queue})
    assert response.status_code == 302 and "reauthenticate" in response.url
    assert not Merge.objects.exists()
    assert (
        AuditEntry.objects.filter(action=AuditAction.REAUTHENTICATION_REQUIRED, actor=small.doc).count() == 2
    )
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = client.post(url, {"decision": "accept", "note": "same"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="pair-{pair.pk}"' in html and "same person" in html and "Merged (merge" in html
    assert identity_map([small.a[0].pk, small.a[1].pk]) == {
        small.a[0].pk: small.a[0].pk,
        small.a[1].pk: small.a[0].pk,
    }
    # Merged pairs leave the queue.
    assert f"Records {small.a[0].pk} and {small.a[1].pk}" not in client.get(queue).content.decode()


def test_rejecting_needs_no_password_and_works_without_javascript(client, small, run) -> None:  # type: ignore[no-untyped-def]
    pair = _pair(run, small.a[4], small.a[5])
    queue = reverse("linkage:pairs", args=[run.pk])
    client.force_login(small.doc)
    response = client.post(
        reverse("linkage:pair_decide", args=[pair.pk]), {"decision": "reject", "next": queue}
    )
    assert response.status_code == 302 and response.url == queue
    assert ReviewDecision.objects.get(current=True).decision == Decision.REJECT
    page = client.get(queue).content.decode()
    assert (
        "Recorded: different people." in page and f"Records {small.a[4].pk} and {small.a[5].pk}" not in page
    )
    decisions = client.get(reverse("linkage:decisions", args=[run.pk])).content.decode()
    assert "different people" in decisions and "current" in decisions
    # An analyst may not decide.
    client.force_login(small.analyst)
    assert (
        client.post(reverse("linkage:pair_decide", args=[pair.pk]), {"decision": "accept"}).status_code == 403
    )


def test_undo_from_the_merge_history(client, small, run) -> None:  # type: ignore[no-untyped-def]
    d = pair_decide(actor=small.doc, left=small.a[0], right=small.a[1], decision=Decision.ACCEPT)
    client.force_login(small.doc)
    html = client.get(reverse("linkage:merges")).content.decode()
    assert f'id="merge-{d.merge_id}"' in html and "Undo this merge" in html
    url = reverse("linkage:merge_undo", args=[d.merge_id])
    assert client.post(url, HTTP_HX_REQUEST="true").status_code == 204  # re-authenticate first
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = client.post(url, {"note": "mistake"}, HTTP_HX_REQUEST="true")
    assert "undone" in response.content.decode()
    assert identity_map([small.a[0].pk, small.a[1].pk]) == {
        small.a[0].pk: small.a[0].pk,
        small.a[1].pk: small.a[1].pk,
    }
    again = client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert "already been undone" in again
    # The merge history of another reviewer of A hides merges with records of B.
    pair_decide(actor=small.doc_ab, left=small.a[2], right=small.b, decision=Decision.ACCEPT)
    assert f"{small.b.pk}</a>" not in client.get(reverse("linkage:merges")).content.decode()


def test_a_cluster_is_shown_side_by_side_and_accepted_whole(client, small, run) -> None:  # type: ignore[no-untyped-def]
    cluster = ProposedCluster.objects.get(run=run, number=1)
    client.force_login(small.doc)
    html = client.get(reverse("linkage:cluster", args=[cluster.pk])).content.decode()
    assert "Choi Ye-rin" in html and "Choe Ye Rin" in html and "97%" in html
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = client.post(reverse("linkage:cluster_decide", args=[cluster.pk]), {"decision": "accept"})
    assert response.status_code == 302
    assert len(set(identity_map([small.a[0].pk, small.a[1].pk]).values())) == 1
    assert "Cluster 1" not in client.get(reverse("linkage:clusters", args=[run.pk])).content.decode()


def test_the_run_page_counts_only_what_the_user_may_see(client, small, run) -> None:  # type: ignore[no-untyped-def]
    client.force_login(small.doc)
    html = client.get(reverse("linkage:run", args=[run.pk])).content.decode()
    assert "2 pairs to review" in html and "1 cluster to review" in html
    assert "Records linked" not in html  # the run also covers B, not granted to this reviewer
    client.force_login(small.doc_ab)
    html = client.get(reverse("linkage:run", args=[run.pk])).content.decode()
    assert "3 pairs to review" in html and "Records linked" in html


def test_the_pages_speak_korean(client, small, run) -> None:  # type: ignore[no-untyped-def]
    small.doc.preferred_language = "ko"
    small.doc.save()
    client.force_login(small.doc)
    html = client.get(reverse("linkage:pairs", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    for text in ("검토할 쌍", "같은 사람 — 병합", "다른 사람", "같은 성", "일치 확률"):
        assert text in html, text
    index = client.get(reverse("linkage:index"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "레코드 연결" in index


def test_the_queue_reads_in_a_bounded_number_of_queries(
    client, small, run, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(small.doc)
    client.get(reverse("linkage:pairs", args=[run.pk]))  # warm caches (content types, sessions)
    with django_assert_max_num_queries(35):  # most of them: one audit entry per person shown
        client.get(reverse("linkage:pairs", args=[run.pk]))
    for i in range(0, 6, 2):
        pair_decide(actor=small.doc, left=small.a[i], right=small.a[i + 1], decision=Decision.ACCEPT)
    with django_assert_max_num_queries(20):  # members of all merges on the page in one query
        html = client.get(reverse("linkage:merges")).content.decode()
    assert html.count('class="merge-row"') == 3


def test_the_queue_reads_the_same_number_of_queries_however_many_pairs_it_shows(client, small, run) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from haven.records.tests import factories as f

    client.force_login(small.doc)
    url = reverse("linkage:pairs", args=[run.pk])
    client.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    before = count()
    for i in range(6):
        left = f.person("alpha", hangul=f"김하나{i}", roman=f"Kim Ha-na {i}")
        right = f.person("alpha", hangul=f"김한나{i}", roman=f"Kim Han-na {i}")
        CandidatePair.objects.create(
            run=run,
            left=left,
            right=right,
            match_probability=0.5 + i / 100,
            match_weight=1.0,
            uncertainty=i / 100,
            evidence=EVIDENCE,
        )
    html = client.get(url).content.decode()
    assert "김한나5" in html  # the new pairs are shown
    assert count() == before


def test_the_queue_pages_without_counting_the_whole_run(client, small, run, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from haven.linkage import views

    monkeypatch.setattr(views, "PAIRS_PER_PAGE", 1)
    client.force_login(small.doc)
    url = reverse("linkage:pairs", args=[run.pk])
    with CaptureQueriesContext(connection) as queries:
        first = client.get(url).content.decode()
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
    assert "Page 1" in first and "?page=2" in first and 'rel="prev"' not in first
    second = client.get(url, {"page": 2}).content.decode()  # the documenter of A sees two pairs
    assert "Page 2" in second and 'rel="prev"' in second and "?page=3" not in second
    assert first.count("Records ") == second.count("Records ") > 0  # one pair on each page
    # Past the end or not a number: an empty page or the first one, never an error.
    assert "Nothing left to review" in client.get(url, {"page": 9}).content.decode()
    assert "Page 1" in client.get(url, {"page": "x"}).content.decode()


def test_the_queue_reads_the_persons_of_both_sides_in_one_query(client, small, run) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(small.doc)
    url = reverse("linkage:pairs", args=[run.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(url).content.decode()
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    persons = [sql for sql in selects if 'FROM "records_person"' in sql]
    names = [sql for sql in selects if 'FROM "records_personname"' in sql]
    assert len(persons) == 1 and len(names) == 1, persons + names
    shown = {int(n) for n in re.findall(r'href="/records/persons/(\d+)/"', html)}
    assert len(shown) >= 4  # both sides of several pairs came from that one query


def test_a_pair_whose_person_was_deleted_meanwhile_is_left_out(small, run) -> None:  # type: ignore[no-untyped-def]
    from haven.linkage import selectors

    pairs = list(selectors.pairs_to_review(small.doc, run))
    assert len(pairs) >= 2
    gone = pairs[0].left_id
    # Deleted between reading the pairs and reading their persons (the pair row goes with it, not the list).
    from haven.records.models import Person

    Person.objects.filter(pk=gone).delete()
    loaded = selectors.with_persons(pairs, small.doc)
    assert loaded and all(gone not in (p.left_id, p.right_id) for p in loaded)
    assert all(p.left.pk == p.left_id and p.right.pk == p.right_id for p in loaded)


def test_a_reader_who_may_not_see_identifying_details_gets_none_read_or_decrypted(  # type: ignore[no-untyped-def]
    client, small, run, monkeypatch
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from haven.crypto import fields

    decrypted = []
    real = fields.EncryptedTextField.from_db_value
    monkeypatch.setattr(
        fields.EncryptedTextField,
        "from_db_value",
        lambda self, value, *a: decrypted.append(self.attname) or real(self, value, *a),
    )
    url = reverse("linkage:pairs", args=[run.pk])
    counts = {}
    for reader in (small.analyst, small.doc):
        client.force_login(reader)
        client.get(url)
        decrypted.clear()
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url).content.decode()
        reads = " ".join(q["sql"] for q in queries.captured_queries if "records_person" in q["sql"])
        counts[reader.username] = len(queries.captured_queries)
        if reader == small.analyst:
            assert "Identifying details are hidden for your role." in html and "Records " in html
            for column in ("full_name", "birth_date", "origin_detail", "sensitive_notes"):
                assert f'"{column}"' not in reads, column
            assert not {"full_name", "birth_date", "origin_detail"} & set(decrypted), decrypted
        else:
            assert "Identifying details are hidden" not in html
            assert '"full_name"' in reads and "full_name" in decrypted
    # The pair's own page reads the same way.
    pair = CandidatePair.objects.filter(run=run).first()
    client.force_login(small.analyst)
    client.get(reverse("linkage:pair", args=[pair.pk]))
    decrypted.clear()
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("linkage:pair", args=[pair.pk]))
    assert page.status_code == 200
    reads = " ".join(q["sql"] for q in queries.captured_queries if "records_person" in q["sql"])
    assert '"full_name"' not in reads and not {"full_name", "birth_date", "origin_detail"} & set(decrypted)

    # As many statements as when everything is read: nothing left out is read afterwards, one query at a time.
    from haven.linkage import selectors

    reading_all = selectors.with_persons
    # (as read for the documenter, who may see identifying details)
    monkeypatch.setattr(selectors, "with_persons", lambda pairs, user: reading_all(pairs, small.doc))
    client.force_login(small.analyst)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    assert counts[small.analyst.username] == len(queries.captured_queries)
