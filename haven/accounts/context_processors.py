from __future__ import annotations

from typing import Any

from haven.accounts import policy


def capabilities(request: Any) -> dict[str, dict[str, bool]]:
    """Expose the user's capabilities to templates as ``perms_haven.<capability>``."""
    user = getattr(request, "user", None)
    return {"perms_haven": {c.value: policy.has(user, c) for c in policy.Capability}}
