"""Work summaries (工作总结) of a centre or an authority: list, edit, versions, print, PDF, DOCX.

Each view is written once and mounted twice, under a centre and under an authority; the owner
comes from the URL through `centre_view`/`authority_view`, so scoping is the decorators' job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from centers.access import authority_view, centre_view
from centers.permissions import EDIT_RECORDS, VIEW_AUTHORITY, VIEW_CENTRE
from core.downloads import DOCX, attachment, download_name
from core.errors import DomainError
from core.stale import StaleEdit, conflict_status, stamp

from . import (
    actions,
    outline,
    outline_edit,
    summary_chain_views,
    summary_editor,
    summary_output,
)
from .forms import SummaryCreateForm, SummaryTextsForm, initial_values
from .models import Summary
from .summary import Owner

# Sent with a save that changed the outline: the number check reloads itself.
SAVED_EVENT = "summary-saved"


@dataclass(frozen=True)
class Side:
    """Whose summaries a request is about, and what it may do with them."""

    owner: Owner
    summaries: QuerySet[Summary]
    can_write: bool
    url_prefix: str
    slug: str


def _side(request: HttpRequest) -> Side:
    """The centre or the authority the URL named (its decorator has checked the access)."""
    centre = getattr(request, "centre", None)
    access = request.access  # type: ignore[attr-defined]
    if centre is not None:
        return Side(
            Owner(name=centre.name, centre=centre),
            Summary.objects.filter(centre=centre),
            access.can(EDIT_RECORDS),
            "reporting:centre-",
            centre.slug,
        )
    authority = request.authority  # type: ignore[attr-defined]
    return Side(
        Owner(
            name=authority.name,
            authority=authority,
            authority_ids=tuple(request.authority_subtree),  # type: ignore[attr-defined]
        ),
        Summary.objects.filter(authority=authority),
        summary_chain_views.writes_own_summaries(request),
        "reporting:authority-",
        authority.slug,
    )


def _require_write(request: HttpRequest) -> Side:
    side = _side(request)
    if not side.can_write:
        raise PermissionDenied("read only")
    return side


def summary_urls(request: HttpRequest, pk: int | None = None) -> dict[str, str]:
    """Every summary URL of this owner, so that one template serves centres and authorities."""
    side = _side(request)
    prefix, slug = side.url_prefix, side.slug
    urls = {"list": reverse(prefix + "summaries", args=[slug])}
    if pk is not None:
        for name in ("summary", "texts", "regenerate", "document", "pdf", "docx"):
            view = "summary" if name == "summary" else f"summary-{name}"
            urls[name] = reverse(prefix + view, args=[slug, pk])
    return urls


def _restore_url(request: HttpRequest, pk: int, number: int) -> str:
    side = _side(request)
    return reverse(side.url_prefix + "summary-restore", args=[side.slug, pk, number])


def _texts_form(summary: Summary, data=None) -> SummaryTextsForm:
    texts = outline.load(summary.texts, summary.figures, summary.sources)
    initial = {"based_on": stamp(summary)}
    return SummaryTextsForm(data, outline=texts, figures=summary.figures, initial=initial)


def _get(request: HttpRequest, pk: int) -> Summary:
    return get_object_or_404(_side(request).summaries, pk=pk)


@require_http_methods(["GET", "POST"])
def summary_list(request: HttpRequest) -> HttpResponse:
    """The owner's summaries, newest period first, and the form that starts a new one."""
    form = SummaryCreateForm(request.POST or None)
    side = _require_write(request) if request.method == "POST" else _side(request)
    if request.method == "POST" and form.is_valid():
        kind, period = form.summary_period()
        created = actions.summary_create(
            owner=side.owner, period=period, kind=kind, actor=request.user
        )
        return redirect(summary_urls(request, created.pk)["summary"])
    context = {
        "summaries": [
            (s, reverse(side.url_prefix + "summary", args=[side.slug, s.pk]))
            for s in side.summaries.select_related("created_by")
        ],
        "form": form,
        "can_write": side.can_write,
        "urls": summary_urls(request),
        "owner_name": side.owner.name,
    }
    return render(
        request, "reporting/summary_list.html", context, status=400 if form.errors else 200
    )


def page_context(request: HttpRequest, summary: Summary, form=None, **extra) -> dict:
    can_write = _side(request).can_write and not summary.locked
    # Handed up or accepted, the text waits for the commission (summary_actions): shown, not edited.
    form = form or (_texts_form(summary) if can_write else None)
    texts = (
        form.outline
        if form is not None
        else outline.load(summary.texts, summary.figures, summary.sources)
    )
    return {
        "summary": summary,
        "f": summary.figures,
        "lead": outline.render_text(texts.get("lead", ""), outline.refs(summary.figures)),
        "rows": summary_editor.rows(texts, summary.figures, form),
        "suggestions": summary_editor.suggestions(summary.figures, texts),
        "form": form,
        "new_root": form["ns-root"] if form is not None else None,
        "versions": [
            (v, _restore_url(request, summary.pk, v.number)) for v in summary.versions.all()[:20]
        ],
        "can_write": can_write,
        "urls": summary_urls(request, summary.pk),
        **summary_chain_views.chain_context(request, summary),
        **extra,
    }


def render_page(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    """The page, or for htmx its editor alone (with the versions list swapped beside it)."""
    template = "reporting/summary_page.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#summary-outline"
        status = 200  # htmx 2 swaps no 4xx answer
    return render(request, template, context, status=status)


@require_GET
def summary_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The summary being written: generated figures (traced) between the author's text boxes."""
    summary = _get(request, pk)
    return render(request, "reporting/summary_page.html", page_context(request, summary))


@require_POST
def summary_texts(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the outline (and the move a button names) as a new version; a stale or bad form
    comes back with what was typed and a message beside the field."""
    _require_write(request)
    summary = _get(request, pk)
    before = summary.version  # a save that changed nothing makes no version
    summary, refused, acted = save_outline(request, summary)
    if refused is not None:
        return refused
    return _saved(request, summary, acted, changed=summary.version > before)


def save_outline(
    request: HttpRequest, summary: Summary
) -> tuple[Summary, HttpResponse | None, dict]:
    """Save the editor's form and the move its button names: (the summary as saved, None, where
    the page should stay), or (the summary, the page refusing it with what was typed kept and the
    message beside the part acted on, {}). Every button of the editor comes through here, 上报
    and 重新生成 too, so nothing typed is lost on the way to them."""
    _require_write(request)
    try:
        actions.summary_ensure_editable(summary)
    except DomainError as exc:  # handed up meanwhile: the page says so and keeps the typing
        context = page_context(request, summary, unsaved=_typed(request.POST), locked=str(exc))
        return summary, render_page(request, context, conflict_status(request)), {}
    if request.POST.get("based_on", "") != stamp(summary):
        # Built on an older outline: its fields are not this one's, so refuse before reading.
        form = _refused(summary, request.POST, actions.summary_refusal(summary))
        context = page_context(request, summary, form)
        return summary, render_page(request, context, conflict_status(request)), {}
    form = _texts_form(summary, request.POST)
    op = form.data.get("op", "")
    status, acted = 400, {}
    if form.is_valid():
        try:
            texts, note = form.result()
            saved = actions.summary_save_texts(
                summary_obj=summary,
                texts=texts,
                based_on=form.cleaned_data["based_on"],
                actor=request.user,
                note=note,
            )
        except StaleEdit as exc:
            summary.refresh_from_db()
            form = _refused(summary, request.POST, exc)
            status = conflict_status(request)
        except outline_edit.OutlineError as exc:  # a move that cannot be made: beside its button
            acted = summary_editor.refused_at(form.outline, op, str(exc))
            if not acted:
                form.add_error(None, str(exc))
            status = conflict_status(request)
        except DomainError as exc:  # handed up meanwhile
            form.add_error(None, str(exc))
            summary.refresh_from_db()
            status = conflict_status(request)
        else:
            return saved, None, summary_editor.acted_on(form.outline, saved.texts, op)
    else:
        acted = summary_editor.first_error_at(form)
    context = page_context(request, summary, form, acted=acted)
    return summary, render_page(request, context, status), {}


def _typed(data) -> list[str]:
    """The paragraphs a refused form carried, to copy from the page rather than lose."""
    names = [n for n in data if n == "lead" or n[:2] in ("t-", "n-")]
    return [data[n] for n in names if str(data[n]).strip()][:200]


def _refused(summary: Summary, data, exc: StaleEdit) -> SummaryTextsForm:
    """The form on the newer outline: what was typed where its parts still exist, their text
    where the typist had none (their new paragraphs), and their stamp for the next save."""
    fresh = _texts_form(summary)
    merged = data.copy()
    for name, value in fresh.initial.items():
        if name not in merged and name != "based_on":
            if isinstance(value, list):
                merged.setlist(name, value)
            else:
                merged[name] = value
    form = _texts_form(summary, merged)
    form.is_valid()
    form.refuse(exc)
    return form


def _saved(request: HttpRequest, summary: Summary, acted: dict, *, changed: bool) -> HttpResponse:
    """The editor again, kept on the part acted on; the number check hears of a change."""
    latest = summary.versions.first()
    number = latest.number if latest is not None else 0
    if changed:
        done = _("Saved as version %(n)s.") % {"n": number}
    else:
        done = _("Nothing changed; it is still version %(n)s.") % {"n": number}
    if request.htmx:  # type: ignore[attr-defined]
        context = page_context(request, summary, saved=done, acted=acted)
        response = render_page(request, context)
        if changed:
            trigger_client_event(response, SAVED_EVENT, after="settle")
        return response
    messages.success(request, done)
    url = summary_urls(request, summary.pk)["summary"]
    return redirect(url + (f"#{acted['anchor']}" if acted.get("anchor") else ""))


def save_before_step(request: HttpRequest, summary: Summary) -> tuple[Summary, HttpResponse | None]:
    """Before 上报 or 重新生成: save what the editor's form carried (refused as save_outline
    refuses). A form from a page opened before the last save that carries nothing but what is
    stored now (the back button, nothing typed) has nothing to save and is not refused."""
    if "based_on" not in request.POST:
        return summary, None
    if request.POST["based_on"] != stamp(summary) and not _typed_anything(request.POST, summary):
        return summary, None
    summary, refused, _acted = save_outline(request, summary)
    return summary, refused


def _typed_anything(data, summary: Summary) -> bool:
    """Whether the form says anything the stored outline does not: a heading or paragraph
    that differs, a new paragraph or section, other figures ticked."""
    stored = initial_values(
        outline.load(summary.texts, summary.figures, summary.sources), summary.figures
    )
    for name in data:
        value = str(data[name]).replace("\r\n", "\n")
        if name == "lead" or name[:2] in ("h-", "t-"):
            if name not in stored or value != stored[name]:
                return True
        elif name[:2] == "n-" or name[:3] in ("nf-", "ns-"):
            if value.strip():
                return True
        elif name[:2] == "c-" and sorted(data.getlist(name)) != sorted(stored.get(name) or []):
            return True
    return False


def after_step(request: HttpRequest, url: str) -> HttpResponse:
    """To the page after a step taken from the editor's form (htmx swaps the form itself, so it
    is told to load the page instead)."""
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponseClientRedirect(url)
    return redirect(url)


@require_POST
def summary_regenerate(request: HttpRequest, pk: int) -> HttpResponse:
    """Figures from the data as it stands; the author's text stays (what the editor's form
    carried is saved first)."""
    side = _require_write(request)
    summary = _get(request, pk)
    summary, refused = save_before_step(request, summary)
    if refused is not None:
        return refused
    try:
        actions.summary_regenerate(summary_obj=summary, owner=side.owner, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The figures were generated again from the current data."))
    return after_step(request, summary_urls(request, summary.pk)["summary"])


@require_POST
def summary_restore(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Put an earlier version's text back (as a new version)."""
    _require_write(request)
    summary = _get(request, pk)
    get_object_or_404(summary.versions, number=number)
    try:
        actions.summary_restore(summary_obj=summary, number=number, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The text of version %(n)s is back.") % {"n": number})
    return redirect(summary_urls(request, summary.pk)["summary"])


def _version_content(request: HttpRequest, summary: Summary) -> tuple[dict, dict, int | None]:
    """The current content, or a saved version's when ?version=n names one."""
    raw = request.GET.get("version", "")
    if not raw:
        return summary.figures, summary.texts, None
    if not re.fullmatch(r"[0-9]{1,9}", raw):
        raise Http404("no such version")
    version = get_object_or_404(summary.versions, number=int(raw))
    return version.figures, version.texts, version.number


@require_GET
def summary_document(request: HttpRequest, pk: int) -> HttpResponse:
    """The summary as a printable page (its own print CSS), current or of a saved version."""
    summary = _get(request, pk)
    figures, texts, number = _version_content(request, summary)
    html = summary_output.document_html(
        summary=summary,
        figures=figures,
        texts=texts,
        version=number,
        back=summary_urls(request, pk),
        csp_nonce=request.csp_nonce,  # type: ignore[attr-defined]  # its <style> needs it
    )
    return HttpResponse(html)


@require_GET
def summary_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The same document as PDF, with the annual report's engine and font."""
    summary = _get(request, pk)
    figures, texts, _number = _version_content(request, summary)
    data = summary_output.document_pdf(summary=summary, figures=figures, texts=texts)
    return attachment(
        data, content_type="application/pdf", filename=download_name(summary.title, ext="pdf")
    )


@require_GET
def summary_docx(request: HttpRequest, pk: int) -> HttpResponse:
    """The same document for Word, where the final edit happens."""
    summary = _get(request, pk)
    figures, texts, _number = _version_content(request, summary)
    data = summary_output.document_docx(summary=summary, figures=figures, texts=texts)
    return attachment(data, content_type=DOCX, filename=download_name(summary.title, ext="docx"))


VIEWS = {
    "summaries": ("", summary_list, VIEW_CENTRE, VIEW_AUTHORITY),
    "summary": ("<int:pk>/", summary_page, VIEW_CENTRE, VIEW_AUTHORITY),
    "summary-texts": ("<int:pk>/texts/", summary_texts, VIEW_CENTRE, VIEW_AUTHORITY),
    "summary-regenerate": ("<int:pk>/regenerate/", summary_regenerate, VIEW_CENTRE, VIEW_AUTHORITY),
    "summary-restore": (
        "<int:pk>/versions/<int:number>/restore/",
        summary_restore,
        VIEW_CENTRE,
        VIEW_AUTHORITY,
    ),
    "summary-document": ("<int:pk>/document/", summary_document, VIEW_CENTRE, VIEW_AUTHORITY),
    "summary-pdf": ("<int:pk>/pdf/", summary_pdf, VIEW_CENTRE, VIEW_AUTHORITY),
    "summary-docx": ("<int:pk>/docx/", summary_docx, VIEW_CENTRE, VIEW_AUTHORITY),
}


def mounted() -> list[tuple[str, str, object]]:
    """(route, name, view) for both owners: centres/<slug>/summaries/… and authorities/<slug>/…."""
    routes = []
    for name, (tail, view, centre_cap, authority_cap) in VIEWS.items():
        routes.append(
            (
                f"centres/<slug:centre_slug>/summaries/{tail}",
                f"centre-{name}",
                centre_view(centre_cap)(view),
            )
        )
        routes.append(
            (
                f"authorities/<slug:authority_slug>/summaries/{tail}",
                f"authority-{name}",
                authority_view(authority_cap)(view),
            )
        )
    return routes + summary_chain_views.routes()
