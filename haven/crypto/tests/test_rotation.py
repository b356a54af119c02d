from __future__ import annotations

import pytest
from django.db import connection

from haven.crypto import keyring, rotation
from haven.crypto.models import DataKey
from haven.records.models import Person, PersonName
from haven.records.services import persons_find_by_name
from haven.records.tests import factories as f

pytestmark = pytest.mark.django_db


def _kids_in_use() -> set[str]:
    kids = set()
    for model, names in rotation.encrypted_columns():
        for name in names:
            column = model._meta.get_field(name).column
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {column} FROM {model._meta.db_table} WHERE {column} IS NOT NULL")  # noqa: S608
                kids |= {keyring.ciphertext_kid(row[0]) for row in cursor.fetchall()}
    return kids


def test_rotating_the_data_key_keeps_everything_readable_and_nothing_under_the_old_key():
    people = [f.person(hangul=h, roman=r) for h, r in [("강수민", "Kang Su-min"), ("리명호", "Ri Myong Ho")]]
    old = keyring.active_kid("data")
    before = {p.pk: sorted(n.full_name for n in p.names.all()) for p in people}
    report = rotation.rotate_data_key(batch=1)
    assert report.new_kid != old
    assert _kids_in_use() == {report.new_kid}
    assert old in report.retired_keys and not DataKey.objects.filter(kid=old).exists()
    keyring.clear_cache()
    after = {p.pk: sorted(n.full_name for n in PersonName.objects.filter(person=p)) for p in people}
    assert after == before
    assert Person.objects.get(pk=people[0].pk).birth_date == "1984"


def test_rotating_the_index_key_keeps_lookups_working():
    p = f.person(hangul="리명호", roman="Ri Myong Ho")
    rotation.rotate_index_key()
    keyring.clear_cache()
    assert persons_find_by_name("이명호") == [p.pk]


def test_rewrapping_under_a_new_master_key(settings):
    p = f.person(hangul="강수민", roman="Kang Su-min")
    count = rotation.rewrap_all("n" * 44)
    assert count >= 2
    settings.HAVEN_MASTER_KEY = "n" * 44
    keyring.clear_cache()
    assert "강수민" in {n.full_name for n in PersonName.objects.filter(person=p)}
