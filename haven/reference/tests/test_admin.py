from __future__ import annotations

import pytest
from django.urls import reverse

from haven.accounts.models import Role
from haven.accounts.tests.personas import make_user
from haven.reference.models import ReferenceDataset, ReferenceVersion

pytestmark = pytest.mark.usefixtures("shipped")


def test_the_admin_shows_datasets_and_versions_read_only(client):
    user, _ = make_user(Role.ADMINISTRATOR, [])
    client.force_login(user)
    dataset = ReferenceDataset.objects.get(name="unhcr-dprk-origin")
    listing = client.get(reverse("admin:reference_referencedataset_changelist"))
    assert listing.status_code == 200 and "unhcr-dprk-origin" in listing.content.decode()
    page = client.get(reverse("admin:reference_referencedataset_change", args=[dataset.pk]))
    assert page.status_code == 200 and "CC BY 4.0" in page.content.decode()
    assert client.get(reverse("admin:reference_referencedataset_add")).status_code == 403
    version = ReferenceVersion.objects.get(dataset=dataset)
    url = reverse("admin:reference_referenceversion_change", args=[version.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"note": "edited"}).status_code == 403
    assert (
        client.get(reverse("admin:reference_referenceversion_delete", args=[version.pk])).status_code == 403
    )
