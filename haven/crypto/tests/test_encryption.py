from __future__ import annotations

import pytest
from django.db import connection

from haven.crypto import keyring
from haven.records.models import PersonName
from haven.records.services import persons_find_by_name
from haven.records.tests import factories as f

pytestmark = pytest.mark.django_db


def test_names_are_stored_encrypted_and_read_back_in_clear():
    p = f.person(hangul="한서윤", roman="Han Seo-yun")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT full_name FROM {PersonName._meta.db_table} WHERE person_id = %s", [p.pk])
        stored = [row[0] for row in cursor.fetchall()]
    assert all(value.startswith("h1:") for value in stored)
    assert not any("한서윤" in v or "Seo" in v for v in stored)
    assert sorted(n.full_name for n in p.names.all()) == ["Han Seo-yun", "한서윤"]


def test_a_ciphertext_moved_to_another_column_does_not_decrypt():
    sealed = keyring.encrypt_str("한서윤", "records_personname.full_name")
    with pytest.raises(keyring.DecryptionError):
        keyring.decrypt_str(sealed, "records_person.birth_date")


def test_a_tampered_ciphertext_is_refused():
    import base64

    sealed = keyring.encrypt_str("한서윤", "ctx")
    head, body = sealed.rsplit(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(body))
    for position in (0, 12, len(raw) - 1):  # the nonce, the ciphertext, the tag
        tampered = bytearray(raw)
        tampered[position] ^= 0x01
        with pytest.raises(keyring.DecryptionError):
            keyring.decrypt_str(f"{head}:{base64.urlsafe_b64encode(bytes(tampered)).decode()}", "ctx")


def test_encrypted_fields_cannot_be_filtered_on_by_accident():
    with pytest.raises(TypeError, match="encrypted"):
        PersonName.objects.filter(full_name="한서윤").exists()


def test_a_person_is_found_by_any_spelling_of_their_name_without_decryption():
    p = f.person(hangul="리설주", roman="Ri Sol Ju")
    other = f.person(hangul="김정은", roman="Kim Jong-un")
    for spelling in ["이설주", "Lee Seol-ju", "RI SOL JU", "리설주"]:
        assert persons_find_by_name(spelling) == [p.pk], spelling
    assert persons_find_by_name("Kim Jung-un") == [other.pk]


def test_the_wrong_master_key_cannot_unwrap_data_keys(settings):
    from haven.crypto.models import DataKey

    row = DataKey.objects.get(purpose="data", active=True)
    settings.HAVEN_MASTER_KEY = "another-key"
    with pytest.raises(keyring.DecryptionError, match="master key"):
        keyring.unwrap_key(row.wrapped, row.kid, row.purpose)
