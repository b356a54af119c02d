from __future__ import annotations

import pytest

from haven.audit.models import AuditAction, AuditEntry
from haven.reference.models import ReferenceDataset, ReferenceRow, ReferenceVersion
from haven.reference.selectors import UnknownReference, reference_rows
from haven.reference.services import DATA_DIR, reference_export, reference_load_shipped

pytestmark = pytest.mark.usefixtures("shipped")

NAMES = sorted(p.stem for p in DATA_DIR.glob("*.csv"))


def split_export(text: str) -> tuple[list[str], str]:
    lines = text.splitlines(keepends=True)
    header = [line for line in lines if line.startswith("# ")]
    return header, "".join(lines[len(header) :])


@pytest.mark.parametrize("name", NAMES)
def test_it_exports_the_shipped_file_exactly(name: str):
    header, body = split_export(reference_export(name))
    assert body == (DATA_DIR / f"{name}.csv").read_text(encoding="utf-8")
    dataset = ReferenceDataset.objects.get(name=name)
    text = "".join(header)
    assert f"# Publisher: {dataset.publisher}\n" in text
    assert f"# Source: {dataset.source_url}\n" in text
    assert "# Published: " in text and "# Cite as: " in text
    for caveat in dataset.caveats:
        assert " ".join(caveat.split()) in text


def test_the_header_cites_publisher_source_date_version_and_caveats():
    header, _ = split_export(reference_export("mou-arrivals-annual"))
    text = "".join(header)
    assert "# Publisher: Ministry of Unification, Republic of Korea (통일부)\n" in text
    assert "j-clawson/nkdefector_project" in text
    assert "# Published: 2026-02-04\n" in text
    assert "# Dataset: mou-arrivals-annual, version 1 of 1 (current)\n" in text
    assert "cumulative" in text and "224" in text  # the ~1998 and 2025 caveats
    unhcr = "".join(split_export(reference_export("unhcr-dprk-origin"))[0])
    assert "# Licence: CC BY 4.0; attribution to UNHCR required\n" in unhcr
    assert "between 1 and 5" in unhcr and "Republic of Korea never appears" in unhcr


def test_loading_the_shipped_data_twice_changes_nothing():
    counts = (ReferenceVersion.objects.count(), ReferenceRow.objects.count(), AuditEntry.objects.count())
    report = reference_load_shipped()
    assert report.versions_created == [] and report.metadata_updated == []
    assert counts == (
        ReferenceVersion.objects.count(),
        ReferenceRow.objects.count(),
        AuditEntry.objects.count(),
    )
    assert ReferenceDataset.objects.count() == len(NAMES)
    assert all(d.versions.get().is_current for d in ReferenceDataset.objects.all())


def test_loading_is_audited(db):
    entries = AuditEntry.objects.filter(action=AuditAction.IMPORTED, target_type="reference.referenceversion")
    names = {e.details["dataset"] for e in entries}
    assert names == set(NAMES)


def test_rows_are_exact_strings():
    rows = reference_rows("mou-arrivals-annual")
    assert rows[0] == {
        "period": "~1998",
        "male": "831",
        "female": "116",
        "total": "947",
        "status": "",
        "source": "",
        "note": "cumulative to 1998 (MOU column ~'98)",
    }
    assert reference_rows("mou-settlement-indicators")[5]["school_dropout_rate"] == "3.46"


def test_unknown_dataset_and_version_are_refused_with_the_known_names():
    with pytest.raises(UnknownReference, match="tip-tiers"):
        reference_export("no-such-thing")
    with pytest.raises(UnknownReference, match="versions: 1"):
        reference_export("tip-tiers", version=7)
