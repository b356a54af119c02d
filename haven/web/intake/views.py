"""The intake pages and their htmx endpoints. Thin: the form is in .forms, writes in haven.records.services.

Every action works without JavaScript: the form posts to :func:`intake_page` with ``action`` = ``save``,
``submit``, ``add-event``, ``add-act:<event>``, ``add-inv:<act>`` or ``find:<picker>``; the draft is saved
first, whatever the action. With JavaScript, htmx saves the draft on every change (:func:`autosave`), adds
parts in place (:func:`add_part`) and warns of likely namesakes as a name is typed (:func:`duplicates`).
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haven.accounts import policy
from haven.records import access
from haven.records.models import Person
from haven.records.services import WriteRefused, testimony_create
from haven.web.intake import drafts
from haven.web.intake.forms import (
    EXISTING,
    MAX_ACTS,
    MAX_EVENTS,
    MAX_INVOLVEMENTS,
    NEW,
    SOURCE,
    ActForm,
    ActFormSet,
    ActNode,
    EventForm,
    EventFormSet,
    EventNode,
    IntakeChoices,
    InvolvementForm,
    InvolvementFormSet,
    PersonPicker,
    Testimony,
    describe_persons,
)
from haven.web.intake.typeahead import audit_person_lookup, persons_matching
from haven.web.models import IntakeDraft
from haven.web.textsearch import event_text_sync

_PICKER = re.compile(r"\A(?:src-person|act-\d{1,3}-victim|inv-\d{1,3}-perp)\Z")
_ADD = re.compile(r"\Aadd-(?:event|act:\d{1,3}|inv:\d{1,3})\Z")
_TOTAL = {"event": "event-TOTAL_FORMS", "act": "act-TOTAL_FORMS", "inv": "inv-TOTAL_FORMS"}
_MAX = {"event": MAX_EVENTS, "act": MAX_ACTS, "inv": MAX_INVOLVEMENTS}


def _require_editor(request: HttpRequest) -> None:
    """Only roles that edit records, holding at least one compartment, have an intake (others: 404)."""
    if not policy.has(request.user, policy.C.EDIT_RECORDS) or not policy.compartment_ids(request.user):
        raise Http404("No such page.")


def _picker_modes(prefix: str) -> dict[str, Any]:
    if prefix == "src-person":
        return {"modes": (NEW, EXISTING)}
    if prefix.endswith("-victim"):
        return {"modes": (SOURCE, NEW, EXISTING)}
    return {"modes": (NEW, EXISTING), "allow_group": True}


def _total(fields: dict[str, list[str]], part: str) -> int:
    try:
        return max(int((fields.get(_TOTAL[part]) or ["0"])[0]), 0)
    except ValueError:
        return 0


def _added_fields(fields: dict[str, list[str]], action: str) -> tuple[dict[str, list[str]], str]:
    """Return the fields with one more event, act or involvement (for ``action``), and its anchor."""
    fields = {k: list(v) for k, v in fields.items()}
    part, _sep, parent = action.removeprefix("add-").partition(":")
    n = _total(fields, part)
    if n >= _MAX[part]:
        return fields, ""
    for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
        fields.setdefault(f"{part}-{name}", ["0"])
    fields[_TOTAL[part]] = [str(n + 1)]
    if part == "event":
        # A new event comes with its first act.
        m = _total(fields, "act")
        fields.setdefault("act-INITIAL_FORMS", ["0"])
        if m < MAX_ACTS:
            fields["act-TOTAL_FORMS"] = [str(m + 1)]
            fields[f"act-{m}-event"] = [str(n)]
            fields[f"act-{m}-victim-mode"] = [SOURCE]
        return fields, f"event-{n}-section"
    if part == "act":
        fields[f"act-{n}-event"] = [parent]
        fields[f"act-{n}-victim-mode"] = [SOURCE]
        return fields, f"act-{n}-section"
    fields[f"inv-{n}-act"] = [parent]
    fields[f"inv-{n}-perp-mode"] = [NEW]
    return fields, f"inv-{n}-section"


def _chosen_labels(request: HttpRequest, testimony: Testimony) -> None:
    """Label the recorded persons chosen in the pickers (each display is an audited view of the person)."""
    wanted = {}
    for picker in testimony.pickers():
        if picker.is_bound and picker.current_mode == EXISTING:
            raw = picker.data.get(picker.add_prefix("person"))
            if raw and str(raw).isdigit():
                wanted[picker] = int(raw)
    if not wanted:
        return
    persons = {
        p.pk: p
        for p in policy.visible(
            request.user, Person.objects.filter(pk__in=set(wanted.values()))
        ).prefetch_related("names")
    }
    for person in persons.values():
        access.audit_view(request.user, person, request=request, via="intake")
    for picker, pk in wanted.items():
        if pk in persons:
            _p, label, detail = describe_persons(request.user, [persons[pk]])[0]
            picker.chosen_label = f"{label} ({detail})"


def _render(
    request: HttpRequest,
    testimony: Testimony,
    *,
    draft: IntakeDraft | None,
    show_errors: bool = False,
    status: int = 200,
) -> HttpResponse:
    lookups = testimony.find_duplicates(require_choice=False) if testimony.source.is_bound else 0
    if lookups:
        audit_person_lookup(request.user, request, "", lookups, via="intake-duplicates")
    _chosen_labels(request, testimony)
    testimony.mark_for_render(show_errors=show_errors)
    context = {
        "t": testimony,
        "tree": testimony.tree(),
        "draft": draft,
        "show_errors": show_errors,
        "summary": testimony.error_summary() if show_errors else [],
        "draft_message": _saved_message(draft) if draft else _("Not saved yet."),
        "draft_id": draft.pk if draft else "",
        "revision": draft.revision if draft else "",
        "page_token": drafts.new_page_token(),
        "ok": True,
    }
    return render(request, "web/intake.html", context, status=status)


def _saved_message(draft: IntakeDraft) -> str:
    when = time_format(timezone.localtime(draft.updated_at), "H:i:s")
    return _("Draft saved at %(time)s.") % {"time": when}


@require_http_methods(["GET", "POST"])
def intake_page(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The intake form: empty (``/intake/``), a draft resumed (``/intake/<pk>/``), or an action posted."""
    _require_editor(request)
    if request.method == "POST":
        return _post(request)
    if pk is None:
        return _render(request, Testimony(request.user), draft=None)
    draft = drafts.draft_for_owner(request.user, pk)
    fields = drafts.draft_open(user=request.user, draft=draft, request=request)
    testimony = Testimony(request.user, drafts.as_querydict(fields))
    find = request.GET.get("find", "")
    if _PICKER.match(find):
        _find(request, testimony, find)
    return _render(request, testimony, draft=draft)


def _find(request: HttpRequest, testimony: Testimony, prefix: str) -> None:
    """Without JavaScript: list the persons matching a picker's search text, as radio buttons."""
    picker = next((p for p in testimony.pickers() if p.prefix == prefix), None)
    if picker is None:
        return
    text = str(picker.data.get(picker.add_prefix("q")) or "").strip()
    if not text:
        return
    found = persons_matching(request.user, text)
    audit_person_lookup(request.user, request, text, len(found), via="intake-find")
    picker.matches = describe_persons(request.user, found)


def _post(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action", "save")
    fields = drafts.fields_of(request.POST)
    anchor = ""
    if _ADD.match(action):
        fields, anchor = _added_fields(fields, action)
    elif action.startswith("find:") and _PICKER.match(action[5:]):
        fields[f"{action[5:]}-mode"] = [EXISTING]
        anchor = f"{action[5:]}-section"
    try:
        draft = drafts.draft_save(
            user=request.user,
            fields=fields,
            draft_id=request.POST.get("draft") or None,
            revision=request.POST.get("revision") or None,
            page=request.POST.get("page", "")[:40],
            request=request,
        )
    except drafts.StaleDraft:
        testimony = Testimony(request.user, drafts.as_querydict(fields))
        testimony.errors.append(
            _(
                "This draft was saved from another window after this page was loaded, so it was not saved over. "
                "What you go on typing here is kept as a new draft; the other one is in “My drafts”."
            )
        )
        return _render(request, testimony, draft=None, show_errors=True, status=409)
    except drafts.DraftGone:
        return _kept_as_new_draft(request, fields, anchor)
    except drafts.DraftError:
        testimony = Testimony(request.user, drafts.as_querydict(fields))
        testimony.errors.append(_("The form is too large to keep as a draft: split the testimony in two."))
        return _render(request, testimony, draft=None, show_errors=True, status=413)
    if action == "submit":
        return _submit(request, draft, fields)
    url = reverse("web:intake_draft", args=[draft.pk])
    if action.startswith("find:") and _PICKER.match(action[5:]):
        url += "?" + QueryDict.fromkeys(["find"], value=action[5:]).urlencode()
    elif action == "save":
        messages.success(request, _saved_message(draft))
    return redirect(url + (f"#{anchor}" if anchor else ""))


def _kept_as_new_draft(request: HttpRequest, fields: dict[str, list[str]], anchor: str = "") -> HttpResponse:
    """The page's draft is gone (submitted or discarded in another window, or expired): keep what was typed here
    as a new draft. Nothing is submitted, as the testimony may already have been, from the other window."""
    draft = drafts.draft_save(
        user=request.user, fields=fields, page=request.POST.get("page", "")[:40], request=request
    )
    messages.warning(
        request,
        _(
            "The draft this page was saving no longer exists: it was submitted or discarded in another window, "
            "or deleted after %(days)s days unused. What you typed is kept as this new draft; check "
            "“My drafts” and the records before you submit it."
        )
        % {"days": settings.HAVEN_DRAFT_DAYS},
    )
    return redirect(reverse("web:intake_draft", args=[draft.pk]) + (f"#{anchor}" if anchor else ""))


def _submit(request: HttpRequest, draft: IntakeDraft, fields: dict[str, list[str]]) -> HttpResponse:
    testimony = Testimony(request.user, drafts.as_querydict(fields))
    testimony_input = None
    if testimony.is_valid():
        lookups = testimony.find_duplicates(require_choice=True)
        if lookups:
            audit_person_lookup(request.user, request, "", lookups, via="intake-duplicates")
        if not testimony.has_errors():
            testimony_input = testimony.to_input()
    if testimony_input is not None:
        try:
            with transaction.atomic():
                drafts.draft_lock(user=request.user, draft=draft)
                result = testimony_create(actor=request.user, testimony=testimony_input)
                for event in result.events:
                    event_text_sync(event)  # searchable at once (the save signal does it too)
                drafts.draft_discard(user=request.user, draft=draft, reason="submitted", request=request)
        except ValidationError as error:
            testimony.add_service_errors(error)
        except WriteRefused:
            testimony.errors.append(_("You may not record testimonies in this compartment at this level."))
        except drafts.DraftGone:
            return _kept_as_new_draft(request, fields)
        else:
            messages.success(
                request,
                _("Testimony recorded: %(events)d event(s), %(acts)d act(s), %(persons)d new person(s).")
                % {
                    "events": len(result.events),
                    "acts": len(result.acts),
                    "persons": len(result.persons_created),
                },
            )
            return redirect("web:event", pk=result.events[0].pk)
    return _render(request, testimony, draft=draft, show_errors=True)


@require_POST
def autosave(request: HttpRequest) -> HttpResponse:
    """Save the draft (htmx, on every change); answer with the draft's number and revision, and a status."""
    _require_editor(request)
    created = not request.POST.get("draft")
    draft = None
    try:
        draft = drafts.draft_save(
            user=request.user,
            fields=drafts.fields_of(request.POST),
            draft_id=request.POST.get("draft") or None,
            revision=request.POST.get("revision") or None,
            page=request.POST.get("page", "")[:40],
            request=request,
        )
        message, ok = _saved_message(draft), True
    except drafts.StaleDraft:
        message, ok = (
            _("Not saved: this draft was saved from another window. Open it again from “My drafts”."),
            False,
        )
    except drafts.DraftGone:
        message, ok = (
            _(
                "Not saved: this draft no longer exists (it was submitted or discarded, or deleted after "
                "%(days)s days unused). Press “Save draft” to keep what is on this page as a new draft."
            )
            % {"days": settings.HAVEN_DRAFT_DAYS},
            False,
        )
    except drafts.DraftError:
        message, ok = _("Not saved: the form is too large to keep as a draft."), False
    response = render(
        request,
        "web/_intake_state.html",
        {
            "draft": draft,
            "draft_id": draft.pk if draft else request.POST.get("draft", ""),
            "revision": draft.revision if draft else request.POST.get("revision", ""),
            "draft_message": message,
            "ok": ok,
            "oob": True,
        },
    )
    if draft is not None and created:
        response["HX-Replace-Url"] = reverse("web:intake_draft", args=[draft.pk])
    return response


@require_POST
def add_part(request: HttpRequest, part: str) -> HttpResponse:
    """Return a new empty event, act or involvement (htmx), numbered after those on the page."""
    _require_editor(request)
    if part not in _TOTAL:
        raise Http404("No such part.")
    fields = drafts.fields_of(request.POST)
    n = _total(fields, part)
    if n >= _MAX[part]:
        response = HttpResponse(
            _("You cannot add more than %(max)d of these to one testimony.") % {"max": _MAX[part]}
        )
        response["HX-Retarget"] = "#draft-message"
        response["HX-Reswap"] = "innerHTML"
        return response
    try:
        parent = int(request.POST.get("parent", "0"))
    except ValueError:
        parent = 0
    choices = IntakeChoices(request.user)
    context: dict[str, Any] = {"show_errors": False, "added": part, "totals": {}}
    if part in ("event", "act"):
        m = _total(fields, "act")
        event_index = n if part == "event" else parent
        act = ActForm(prefix=f"act-{m}", initial={"event": event_index}, choices=choices)
        ActFormSet(prefix="act", form_kwargs={"choices": choices}).add_fields(act, m)  # its "remove" box
        act.index = m
        victim = PersonPicker(
            prefix=f"act-{m}-victim", initial={"mode": SOURCE}, **_picker_modes("act-0-victim")
        )
        node = ActNode(act, victim, [])
        context["totals"]["act"] = m + 1
        if part == "event":
            event = EventForm(prefix=f"event-{n}", choices=choices)
            EventFormSet(prefix="event", form_kwargs={"choices": choices}).add_fields(event, n)
            event.index = n
            context["event_node"] = EventNode(event, [node])
            context["totals"]["event"] = n + 1
        else:
            context["act_node"] = node
    else:
        inv = InvolvementForm(prefix=f"inv-{n}", initial={"act": parent}, choices=choices)
        InvolvementFormSet(prefix="inv", form_kwargs={"choices": choices}).add_fields(inv, n)
        inv.index = n
        perp = PersonPicker(prefix=f"inv-{n}-perp", initial={"mode": NEW}, **_picker_modes("inv-0-perp"))
        context["inv_pair"] = (inv, perp)
        context["totals"]["inv"] = n + 1
    for form in _forms_in(context):
        form.mark_for_render(show_errors=False)
    return render(request, "web/_intake_added.html", context)


def _forms_in(context: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    nodes = []
    if "event_node" in context:
        out.append(context["event_node"].form)
        nodes += context["event_node"].acts
    if "act_node" in context:
        nodes.append(context["act_node"])
    for node in nodes:
        out += [node.form, node.victim]
    if "inv_pair" in context:
        out += list(context["inv_pair"])
    return out


@require_POST
def duplicates(request: HttpRequest) -> HttpResponse:
    """Warn, as a new person's name is typed, of recorded persons who are likely the same (htmx)."""
    _require_editor(request)
    prefix = request.POST.get("prefix", "")
    if not _PICKER.match(prefix):
        raise Http404("No such picker.")
    picker = PersonPicker(request.POST, prefix=prefix, **_picker_modes(prefix))
    if picker.is_valid() and picker.cleaned_data.get("mode") == NEW and picker.names():
        if not picker.cleaned_data.get("group"):
            Testimony.duplicates_of(request.user, picker)
            audit_person_lookup(request.user, request, "", 1, via="intake-duplicates")
    return render(request, "web/_intake_duplicates.html", {"p": picker, "show_errors": False})


@require_GET
def drafts_page(request: HttpRequest) -> HttpResponse:
    """The user's own drafts, newest first, with what each is about (event titles, no names)."""
    _require_editor(request)
    rows = []
    for draft in drafts.drafts_of(request.user):
        fields = drafts.draft_fields(draft)
        titles = [
            v[0]
            for k, v in sorted(fields.items())
            if re.fullmatch(r"event-\d+-title", k) and v and v[0].strip()
        ]
        rows.append(
            {
                "draft": draft,
                "titles": titles,
                "acts": _total(fields, "act"),
                "kept_until": drafts.kept_until(draft),
            }
        )
    return render(request, "web/intake_drafts.html", {"rows": rows, "days": settings.HAVEN_DRAFT_DAYS})


@require_POST
def discard(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    draft = drafts.draft_for_owner(request.user, pk)
    drafts.draft_discard(user=request.user, draft=draft, request=request)
    messages.success(request, _("Draft discarded."))
    return redirect("web:intake_drafts")
