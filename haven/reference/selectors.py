"""Read reference datasets: the dataset, a version (the current one by default), its rows."""

from __future__ import annotations

from django.db.models import QuerySet

from haven.reference.files import DatasetSpec, ReferenceDataError
from haven.reference.models import ReferenceDataset, ReferenceVersion

__all__ = [
    "UnknownReference",
    "dataset_spec",
    "reference_dataset",
    "reference_datasets",
    "reference_rows",
    "reference_version",
    "version_rows",
]


class UnknownReference(ReferenceDataError, LookupError):
    """No dataset of that name, or no such version of it."""


def reference_datasets() -> QuerySet[ReferenceDataset]:
    return ReferenceDataset.objects.order_by("name")


def reference_dataset(name: str) -> ReferenceDataset:
    try:
        return ReferenceDataset.objects.get(name=name)
    except ReferenceDataset.DoesNotExist:
        known = ", ".join(reference_datasets().values_list("name", flat=True)) or "none loaded"
        raise UnknownReference(f"no reference dataset named {name!r} (known: {known})") from None


def reference_version(name: str, number: int | None = None) -> ReferenceVersion:
    """Return version ``number`` of dataset ``name``, or its current version when ``number`` is None."""
    dataset = reference_dataset(name)
    versions = dataset.versions.select_related("dataset")
    found = (
        versions.filter(is_current=True).first() if number is None else versions.filter(number=number).first()
    )
    if found is None:
        numbers = ", ".join(str(n) for n in dataset.versions.values_list("number", flat=True)) or "none"
        raise UnknownReference(f"{name} has no version {number} (versions: {numbers})")
    return found


def version_rows(version: ReferenceVersion) -> list[dict[str, str]]:
    return list(version.rows.order_by("index").values_list("values", flat=True))


def reference_rows(name: str, version: int | None = None) -> list[dict[str, str]]:
    """Return the rows of a version (the current one by default) as ``{column: exact string}``."""
    return version_rows(reference_version(name, version))


def dataset_spec(dataset: ReferenceDataset) -> DatasetSpec:
    return DatasetSpec.from_dict(dataset.name, dataset.columns, dataset.spec)
