from __future__ import annotations

import pytest

from haven.places.models import Location
from haven.places.services import gazetteer_load
from haven.vocab.models import Term, Vocabulary
from haven.vocab.services import vocabularies_load

pytestmark = pytest.mark.django_db

REQUIRED = [
    "act-types",
    "methods",
    "involvement-degrees",
    "source-connections",
    "source-types",
    "reliability",
    "perpetrator-types",
    "victim-status",
    "chain-types",
    "facility-types",
]


def test_the_required_vocabularies_are_loaded_in_english_and_korean():
    for code in REQUIRED:
        vocab = Vocabulary.objects.get(code=code)
        assert vocab.terms.exists(), code
        assert not vocab.terms.filter(label_ko="").exists(), code


def test_act_types_include_what_mt4_lacks_and_keep_huridocs_codes():
    torture = Term.objects.get(vocabulary__code="act-types", code="02011111")
    assert torture.label_en.lower().startswith("torture")
    assert torture.path.startswith("/02/")
    labels = " ".join(
        Term.objects.filter(vocabulary__code="act-types").values_list("label_en", flat=True)
    ).lower()
    for needed in ["forced marriage", "sexual exploitation", "forced labour", "repatriation"]:
        assert needed in labels, needed
    assert (
        Term.objects.get(vocabulary__code="act-types", code="380101")
        .label_en.lower()
        .startswith("refoulement")
    )


def test_loading_twice_changes_nothing():
    before = Term.objects.count()
    report = vocabularies_load()
    assert report.created == 0 and report.updated == 0
    assert Term.objects.count() == before
    again = gazetteer_load()
    assert again.created == 0 and again.updated == 0


def test_the_gazetteer_is_hierarchical_with_the_places_that_matter():
    hoeryong = Location.objects.get(name_en="Hoeryong")
    assert hoeryong.parent.code == "KP-09"
    assert Location.objects.get(name_en="Dalian").path.startswith("/CN/")
    inside_north_hamgyong = Location.objects.filter(path__startswith=Location.objects.get(code="KP-09").path)
    assert inside_north_hamgyong.filter(kind__in=["city", "county"]).count() >= 10
    for country in ["LA", "TH", "VN", "KH", "MN"]:
        assert Location.objects.filter(code=country, kind="country").exists(), country
    assert Location.objects.filter(kind="detention_facility", facility_type__isnull=False).exists()
