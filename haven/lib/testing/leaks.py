"""Whether a secret shows in what a reader got: for the tests that check masking and the audit log.

A plain ``secret not in text`` fails now and then for no leak at all: a birth year such as "1984" turns up
inside a timestamp's microseconds ("17:27:06.619845Z"), an HMAC's hex digits or a CSRF token. A secret
shows only where it stands on its own: not run together with other ASCII letters or digits on either side.
Hangul is not a boundary, so "최예린님" still shows "최예린".

What it cannot see: a secret written run together with digits or letters ("19840315" for 1984, "born%201984"
in a URL), or in other characters (full-width "１９８４"). Check such forms, where a page may write them, with
their own secret.
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=256)
def _pattern(secret: str) -> re.Pattern[str]:
    before = r"(?<![0-9A-Za-z])" if secret[:1].isascii() and secret[:1].isalnum() else ""
    after = r"(?![0-9A-Za-z])" if secret[-1:].isascii() and secret[-1:].isalnum() else ""
    return re.compile(before + re.escape(secret) + after)


def shows(secret: str, text: str) -> bool:
    """True when ``secret`` stands in ``text`` as a value of its own, not inside a longer run of letters or digits."""
    if not secret:
        raise ValueError("an empty secret shows everywhere")
    return _pattern(secret).search(text) is not None
