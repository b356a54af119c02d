"""Envelope encryption: data keys in the database, wrapped by a master key that lives outside it.

Every identifying value is encrypted with AES-256-GCM under a data key. The ciphertext carries the id of
that key and is bound (as associated data) to the table and column it belongs to, so a ciphertext copied
into another column does not decrypt. Blind indexes (keyed HMACs of normalized forms) use a separate key,
so that the index key, which must be used for lookups, cannot decrypt anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import IntegrityError, transaction

CIPHERTEXT_PREFIX = "h1"
NONCE_BYTES = 12


class DecryptionError(Exception):
    """A value could not be decrypted: wrong master key, unknown key id, or a tampered ciphertext."""


_lock = threading.Lock()
_unwrapped: dict[str, bytes] = {}
_active: dict[str, str] = {}


def _master_key() -> bytes:
    # Stretch whatever secret text was configured into a 256-bit key-encryption key.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"haven-master-key", info=b"kek-v1").derive(
        settings.HAVEN_MASTER_KEY.encode("utf-8")
    )


def derived_key(purpose: str) -> bytes:
    """Return the long-lived secret key for ``purpose`` (e.g. "audit-chain"), creating it on first use.

    Such keys (the audit chain's HMAC key, for one) are stored wrapped under the master key like data keys,
    so they are out of reach of anyone holding only the database, and survive a change of master key (which
    re-wraps them); unlike data keys they are never rotated, because old entries must stay verifiable.
    """
    return _load(active_kid(purpose))


def _wrap_aad(kid: str, purpose: str) -> bytes:
    return f"haven-data-key:{kid}:{purpose}".encode()


def wrap_key(raw: bytes, kid: str, purpose: str, master: bytes | None = None) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(master or _master_key()).encrypt(nonce, raw, _wrap_aad(kid, purpose))
    return base64.b64encode(nonce + sealed).decode("ascii")


def unwrap_key(wrapped: str, kid: str, purpose: str, master: bytes | None = None) -> bytes:
    blob = base64.b64decode(wrapped)
    try:
        return AESGCM(master or _master_key()).decrypt(
            blob[:NONCE_BYTES], blob[NONCE_BYTES:], _wrap_aad(kid, purpose)
        )
    except InvalidTag:
        raise DecryptionError(
            f"data key {kid} cannot be unwrapped: the master key (HAVEN_MASTER_KEY) is not the one it was made with"
        ) from None


def clear_cache() -> None:
    with _lock:
        _unwrapped.clear()
        _active.clear()


def create_key(purpose: str) -> str:
    """Create a new active key for ``purpose``, retiring the previous one; return its id."""
    from django.utils import timezone

    from haven.crypto.models import DataKey

    with transaction.atomic():
        DataKey.objects.filter(purpose=purpose, active=True).update(active=False, retired_at=timezone.now())
        kid = f"{purpose[0]}{os.urandom(6).hex()}"
        DataKey.objects.create(kid=kid, purpose=purpose, wrapped=wrap_key(os.urandom(32), kid, purpose))
    clear_cache()
    return kid


def _load(kid: str) -> bytes:
    from haven.crypto.models import DataKey

    key = _unwrapped.get(kid)
    if key is not None:
        return key
    try:
        row = DataKey.objects.get(kid=kid)
    except DataKey.DoesNotExist:
        raise DecryptionError(f"unknown data key {kid!r}") from None
    key = unwrap_key(row.wrapped, row.kid, row.purpose)
    with _lock:
        _unwrapped[kid] = key
    return key


def active_kid(purpose: str) -> str:
    """Return the id of the active key for ``purpose``, creating the first one on first use."""
    from haven.crypto.models import DataKey

    kid = _active.get(purpose)
    if kid is not None:
        return kid
    row = DataKey.objects.filter(purpose=purpose, active=True).only("kid").first()
    if row is None:
        try:
            kid = create_key(purpose)
        except IntegrityError:  # another process created it first
            row = DataKey.objects.get(purpose=purpose, active=True)
            kid = row.kid
    else:
        kid = row.kid
    with _lock:
        _active[purpose] = kid
    return kid


def encrypt_str(plaintext: str, context: str) -> str:
    """Encrypt ``plaintext`` under the active data key, bound to ``context`` (e.g. ``table.column``)."""
    kid = active_kid("data")
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_load(kid)).encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
    return f"{CIPHERTEXT_PREFIX}:{kid}:{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"


def ciphertext_kid(ciphertext: str) -> str:
    prefix, kid, _ = ciphertext.split(":", 2)
    if prefix != CIPHERTEXT_PREFIX:
        raise DecryptionError("not a Haven ciphertext")
    return kid


def decrypt_str(ciphertext: str, context: str) -> str:
    try:
        prefix, kid, body = ciphertext.split(":", 2)
    except ValueError:
        raise DecryptionError(f"malformed ciphertext in {context}") from None
    if prefix != CIPHERTEXT_PREFIX:
        raise DecryptionError(f"malformed ciphertext in {context}")
    blob = base64.urlsafe_b64decode(body.encode("ascii"))
    try:
        plain = AESGCM(_load(kid)).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode("utf-8"))
    except InvalidTag:
        raise DecryptionError(f"ciphertext in {context} fails authentication (tampered or moved)") from None
    return plain.decode("utf-8")


def audit_fingerprint(value: str, domain: str) -> str:
    """Return a keyed HMAC of ``value`` for the audit log, under a key that is never rotated.

    Audit entries keep fingerprints of sensitive values (what a field changed from and to, what was searched
    for) so an auditor can tell whether two entries concern the same value without seeing it. The key must
    outlive every rotation, or fingerprints from before and after one could no longer be compared.
    """
    digest = hmac.new(derived_key("audit-values"), f"{domain}\x00{value}".encode(), hashlib.sha256).digest()
    return digest[:16].hex()


def blind_index(value: str, domain: str) -> str:
    """Return a keyed HMAC of an already-normalized ``value``, separated by ``domain`` (what kind of value).

    Equal inputs give equal indexes, which is what exact lookup needs; without the index key an index
    reveals nothing, and the key cannot decrypt any value.
    """
    key = _load(active_kid("index"))
    digest = hmac.new(key, f"{domain}\x00{value}".encode(), hashlib.sha256).digest()
    return digest[:16].hex()
