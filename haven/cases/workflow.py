"""The case workflow: which status may follow which. Pure data, no Django models, so it is tested on its own.

new → assessment → plan → in progress → closed, with a step back allowed where a plan has to be redone,
closing allowed from every open status (people disappear, move on or are returned), and reopening a closed
case taking it back to assessment: whatever brought the person back has to be assessed first.
"""

from __future__ import annotations

NEW = "new"
ASSESSMENT = "assessment"
PLAN = "plan"
IN_PROGRESS = "in_progress"
CLOSED = "closed"

OPEN_STATUSES = (NEW, ASSESSMENT, PLAN, IN_PROGRESS)

# status -> the statuses a case may move to through case_transition (closing and reopening have their own
# services, because they ask for a reason).
FORWARD: dict[str, frozenset[str]] = {
    NEW: frozenset({ASSESSMENT}),
    ASSESSMENT: frozenset({PLAN}),
    PLAN: frozenset({ASSESSMENT, IN_PROGRESS}),
    IN_PROGRESS: frozenset({PLAN}),
    CLOSED: frozenset(),
}
REOPEN_TO = ASSESSMENT


def may_move(current: str, target: str) -> bool:
    """Return whether case_transition may take a case from ``current`` to ``target``."""
    return target in FORWARD.get(current, frozenset())


def may_close(current: str) -> bool:
    return current in OPEN_STATUSES


def may_reopen(current: str) -> bool:
    return current == CLOSED


# Referrals: sent → accepted or rejected; accepted → done; sent or accepted → revoked (consent withdrawn,
# or the organisation withdrew it). Rejected, done and revoked are final.
R_SENT = "sent"
R_ACCEPTED = "accepted"
R_REJECTED = "rejected"
R_DONE = "done"
R_REVOKED = "revoked"
REFERRAL_NEXT: dict[str, frozenset[str]] = {
    R_SENT: frozenset({R_ACCEPTED, R_REJECTED, R_REVOKED}),
    R_ACCEPTED: frozenset({R_DONE, R_REVOKED}),
    R_REJECTED: frozenset(),
    R_DONE: frozenset(),
    R_REVOKED: frozenset(),
}
REFERRAL_OPEN = (R_SENT, R_ACCEPTED)


def referral_may_move(current: str, target: str) -> bool:
    return target in REFERRAL_NEXT.get(current, frozenset())
