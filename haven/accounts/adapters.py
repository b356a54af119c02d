from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter

from haven.crypto import keyring

_MFA_CONTEXT = "mfa_authenticator.data"


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: Any) -> bool:
        # Accounts are created by administrators, who also grant compartments; nobody signs themselves up.
        return False


class MFAAdapter(DefaultMFAAdapter):
    """Keep TOTP secrets and recovery-code seeds encrypted at rest, like every other secret in Haven."""

    def encrypt(self, text: str) -> str:
        return keyring.encrypt_str(text, _MFA_CONTEXT)

    def decrypt(self, encrypted_text: str) -> str:
        return keyring.decrypt_str(encrypted_text, _MFA_CONTEXT)
