"""OpenAPI: the bearer-token scheme, and the schema endpoint (for a token or a logged-in session)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated

from haven.api.authentication import BearerTokenAuthentication, SchemaSessionAuthentication
from haven.api.throttling import TokenRateThrottle


class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "haven.api.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A personal API token (hvn_…), made on the API tokens page after re-entering your password. "
                "Each endpoint names the scope it needs; a token never grants more than its user's role."
            ),
        }


class SchemaView(SpectacularAPIView):
    """The OpenAPI document. A token (any scope) or a logged-in session may read it; it holds no data."""

    authentication_classes = [BearerTokenAuthentication, SchemaSessionAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [TokenRateThrottle]
