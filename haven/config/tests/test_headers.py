"""Nothing leaves the server: strict CSP and security headers on every page, and no reference to other hosts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get(reverse("account_login"))
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "http" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_no_template_or_static_file_loads_anything_from_another_host():
    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)
    # Vendored libraries may carry links (Leaflet's own credit is an <a href>, which loads nothing), but
    # nothing that loads from elsewhere; the browser tests check every request at run time as well.
    loads = re.compile(r"""(?:src\s*=\s*["']|url\(\s*["']?|@import\s+["'])(?:https?:)?//""", re.IGNORECASE)
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.suffix in {".html", ".js", ".css"}
        and (loads if "static/vendor/" in p.as_posix() else pattern).search(
            p.read_text(encoding="utf-8", errors="ignore")
        )
    ]
    assert not offenders


def test_error_reports_hide_local_variables_and_request_data(rf):
    import sys

    from haven.accounts.logging import RedactingExceptionReporterFilter

    def fail(full_name: str) -> None:
        raise ValueError("boom")

    try:
        fail("최예린")
    except ValueError:
        tb = sys.exc_info()[2]
    frame = tb.tb_next.tb_frame
    request = rf.post("/x", {"full_name": "최예린"})
    reporter = RedactingExceptionReporterFilter()
    assert "최예린" not in str(reporter.get_traceback_frame_variables(request, frame))
    assert "최예린" not in str(reporter.get_post_parameters(request))
