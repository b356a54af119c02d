"""The page where users make and revoke their own API tokens. Making one needs a fresh re-authentication."""

from __future__ import annotations

from allauth.account.internal.flows.reauthentication import is_reauthentication_required
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from haven.accounts.sudo import ensure_sudo
from haven.api import tokens
from haven.api.forms import TokenForm
from haven.audit.models import AuditAction
from haven.audit.services import audit_refusal


def _page(
    request: HttpRequest, form: TokenForm, *, new: tokens.NewToken | None = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "api/tokens.html",
        {
            "tokens": tokens.tokens_of(request.user),
            "form": form,
            "may_create": bool(tokens.scopes_allowed(request.user)),
            "new": new,
        },
        status=status,
    )


@require_GET
def token_list(request: HttpRequest) -> HttpResponse:
    return _page(request, TokenForm(user=request.user))


@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    if is_reauthentication_required(request, app=""):
        audit_refusal(
            actor=request.user,
            action=AuditAction.REAUTHENTICATION_REQUIRED,
            target=("api.apitoken", ""),
            request=request,
            details={"via": "api tokens page"},
        )
        ensure_sudo(request)  # raises: allauth asks for the password, then replays this POST
    form = TokenForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        new = tokens.token_create(
            actor=request.user,
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_in_days=form.cleaned_data["expires_in_days"],
            request=request,
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(None if field == "__all__" or field not in form.fields else field, error)
        return _page(request, form, status=400)
    # The secret is in this response only: it is never stored, and the page is not cached (no-store).
    return _page(request, TokenForm(user=request.user), new=new)


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = tokens.token_revoke(actor=request.user, token_id=pk, request=request)
    messages.success(request, _("The token %(prefix)s… is revoked.") % {"prefix": token.prefix})
    return redirect("api_tokens:list")
