"""Key rotation without downtime or loss.

Rotating the data key: a new key becomes active at once (new writes use it), while every value still under
an old key is re-encrypted in small transactions; old keys stay readable until nothing uses them, then their
wrapped copies are deleted. A crash part-way leaves every value readable (under the old or the new key) and
running the command again finishes the job.

Rotating the blind-index key recomputes every index from the decrypted values, batch by batch.

Changing the master key re-wraps every stored key in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, transaction

from haven.crypto import keyring
from haven.crypto.fields import EncryptedTextField
from haven.crypto.models import DataKey, KeyPurpose


@dataclass
class RotationReport:
    new_kid: str = ""
    reencrypted: dict[str, int] = field(default_factory=dict)
    retired_keys: list[str] = field(default_factory=list)


def encrypted_columns() -> Iterator[tuple[type, list[str]]]:
    """Yield every model with encrypted fields, and the names of those fields."""
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            yield model, names


def _stale_pks(model: type, names: list[str], kid: str, after: int, limit: int) -> list[int]:
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    cols = [connection.ops.quote_name(model._meta.get_field(n).column) for n in names]
    stale = " OR ".join(f"({c} IS NOT NULL AND {c} NOT LIKE %s)" for c in cols)
    sql = f"SELECT {pk} FROM {table} WHERE {pk} > %s AND ({stale}) ORDER BY {pk} LIMIT %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [after, *[f"{keyring.CIPHERTEXT_PREFIX}:{kid}:%"] * len(cols), limit])
        return [row[0] for row in cursor.fetchall()]


def _reencrypt_mfa(kid: str) -> int:
    """allauth keeps TOTP secrets and recovery seeds, encrypted by our adapter, inside a JSON column."""
    try:
        from allauth.mfa.models import Authenticator
    except ImportError:  # pragma: no cover - allauth is a dependency
        return 0
    from haven.accounts.adapters import _MFA_CONTEXT

    count = 0
    for auth in Authenticator.objects.all():
        changed = False
        for key, value in list(auth.data.items()):
            if isinstance(value, str) and value.startswith(f"{keyring.CIPHERTEXT_PREFIX}:"):
                if keyring.ciphertext_kid(value) != kid:
                    auth.data[key] = keyring.encrypt_str(
                        keyring.decrypt_str(value, _MFA_CONTEXT), _MFA_CONTEXT
                    )
                    changed = True
        if changed:
            auth.save(update_fields=["data"])
            count += 1
    return count


def rotate_data_key(*, batch: int = 500, progress: Callable[[str], None] = lambda s: None) -> RotationReport:
    report = RotationReport(new_kid=keyring.create_key(KeyPurpose.DATA))
    kid = report.new_kid
    for model, names in encrypted_columns():
        label = model._meta.label_lower
        done, last = 0, 0
        while True:
            pks = _stale_pks(model, names, kid, last, batch)
            if not pks:
                break
            with transaction.atomic():
                for obj in model._default_manager.filter(pk__in=pks).only("pk", *names):
                    # Reading decrypts with whichever key made each value; update() encrypts with the active one.
                    model._default_manager.filter(pk=obj.pk).update(**{n: getattr(obj, n) for n in names})
            done += len(pks)
            last = pks[-1]
            progress(f"{label}: {done} rows re-encrypted")
        report.reencrypted[label] = done
    with transaction.atomic():
        report.reencrypted["mfa.authenticator"] = _reencrypt_mfa(kid)
    report.retired_keys = _delete_unused(KeyPurpose.DATA, kid)
    return report


def _delete_unused(purpose: str, active: str) -> list[str]:
    """Delete retired keys of ``purpose`` once no stored value refers to them any more."""
    retired = list(DataKey.objects.filter(purpose=purpose, active=False).values_list("kid", flat=True))
    if purpose == KeyPurpose.DATA:
        for model, names in encrypted_columns():
            if _stale_pks(model, names, active, 0, 1):
                return []  # something is still under an old key: keep them all
    DataKey.objects.filter(kid__in=retired).delete()
    keyring.clear_cache()
    return retired


def rotate_index_key(*, batch: int = 500, progress: Callable[[str], None] = lambda s: None) -> RotationReport:
    from haven.records.models import Person, PersonIndex
    from haven.records.services import person_index_rows

    report = RotationReport(new_kid=keyring.create_key(KeyPurpose.INDEX))
    pks = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), batch):
        chunk = pks[start : start + batch]
        with transaction.atomic():
            people = Person.objects.filter(pk__in=chunk).prefetch_related("names")
            PersonIndex.objects.filter(person_id__in=chunk).delete()
            PersonIndex.objects.bulk_create(
                [row for p in people for row in person_index_rows(p, list(p.names.all()))]
            )
        progress(f"indexes: {min(start + batch, len(pks))}/{len(pks)} persons")
    report.reencrypted["records.personindex"] = len(pks)
    report.retired_keys = _delete_unused(KeyPurpose.INDEX, report.new_kid)
    return report


@transaction.atomic
def rewrap_all(new_master_secret: str) -> int:
    """Re-wrap every stored key under a new master key (the operator then switches HAVEN_MASTER_KEY)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    new_master = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"haven-master-key", info=b"kek-v1").derive(
        new_master_secret.encode("utf-8")
    )
    rows = list(DataKey.objects.select_for_update().order_by("pk"))
    for row in rows:
        raw = keyring.unwrap_key(row.wrapped, row.kid, row.purpose)
        row.wrapped = keyring.wrap_key(raw, row.kid, row.purpose, master=new_master)
        row.save(update_fields=["wrapped"])
    return len(rows)
