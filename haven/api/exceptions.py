"""Every error the API returns has one shape: ``{"detail": …, "code": …}``, plus ``field_errors`` for a 400."""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _code(exc: Any, default: str) -> str:
    detail = getattr(exc, "detail", None)
    code = getattr(detail, "code", None)
    if isinstance(code, str):
        return code
    return getattr(exc, "default_code", default)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API error: a bug, which Django reports as a 500 without details
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        response.data = {
            "detail": _("The request has problems: see field_errors."),
            "code": "invalid",
            "field_errors": detail if isinstance(detail, dict) else {"non_field_errors": detail},
        }
        return response
    if response.status_code == status.HTTP_400_BAD_REQUEST:
        # A body that is not JSON at all (ParseError): no field to point at.
        response.data = {
            "detail": str(getattr(exc, "detail", exc)),
            "code": _code(exc, "parse_error"),
            "field_errors": {},
        }
        return response
    if response.status_code == status.HTTP_404_NOT_FOUND:
        # The same answer for a record that does not exist and one the user may not see.
        response.data = {"detail": _("Not found."), "code": "not_found"}
        return response
    data = response.data if isinstance(response.data, dict) else {}
    detail = data.get("detail", str(exc))
    body: dict[str, Any] = {"detail": str(detail), "code": _code(exc, "error")}
    if isinstance(exc, exceptions.Throttled):
        body["wait_seconds"] = math.ceil(exc.wait or 0)
    response.data = body
    return response
