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

from centers.access import authority_view, centre_view
from centers.permissions import EDIT_RECORDS, VIEW_AUTHORITY, VIEW_CENTRE
from core.downloads import DOCX, attachment, download_name
from core.errors import DomainError
from core.stale import StaleEdit, conflict_status, stamp

from . import actions, summary_chain_views, summary_output
from .forms import SummaryCreateForm, SummaryTextsForm
from .models import Summary
from .summary import SECTION_TITLES, Owner


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


def _text_keys() -> list[tuple[str, str]]:
    keys = [("intro", _("Opening paragraph"))]
    keys += [
        (key, _("Notes after %(section)s") % {"section": t}) for key, t in SECTION_TITLES.items()
    ]
    return [*keys, ("problems", _("What the problems are")), ("plans", _("What comes next"))]


def _texts_form(summary: Summary, data=None) -> SummaryTextsForm:
    initial = {**summary.texts, "based_on": stamp(summary)}
    return SummaryTextsForm(data, keys=_text_keys(), initial=initial)


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


def _page_context(request: HttpRequest, summary: Summary, form=None, **extra) -> dict:
    form = form or _texts_form(summary)
    outline = summary_output.outline(summary.figures, summary.texts)
    chain = summary_chain_views.chain_context(request, summary)
    sources = chain.get("sources", {})
    return {
        "summary": summary,
        "f": summary.figures,
        "sections": [
            (s, form[s["key"]], sources.get(s["key"], []))
            for s in outline
            if s["key"] in form.fields
        ],
        "form": form,
        "versions": [
            (v, _restore_url(request, summary.pk, v.number)) for v in summary.versions.all()[:20]
        ],
        # Handed up or accepted, the text waits for the commission (summary_actions).
        "can_write": _side(request).can_write and not summary.locked,
        "urls": summary_urls(request, summary.pk),
        **chain,
        **extra,
    }


@require_GET
def summary_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The summary being written: generated figures (traced) between the author's text boxes."""
    summary = _get(request, pk)
    return render(request, "reporting/summary_page.html", _page_context(request, summary))


@require_POST
def summary_texts(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the texts as a new version; a stale or bad form comes back with what was typed."""
    _require_write(request)
    summary = _get(request, pk)
    form = _texts_form(summary, request.POST)
    status = 400
    if form.is_valid():
        try:
            summary = actions.summary_save_texts(
                summary_obj=summary,
                texts=form.values(),
                based_on=form.cleaned_data["based_on"],
                actor=request.user,
            )
        except StaleEdit as exc:
            form.refuse(exc)
            summary.refresh_from_db()
            status = conflict_status(request)
        except DomainError as exc:  # handed up meanwhile: what was typed stays in the form
            form.add_error(None, str(exc))
            summary.refresh_from_db()
            status = conflict_status(request)
        else:
            messages.success(
                request, _("Saved as version %(n)s.") % {"n": summary.versions.first().number}
            )
            return redirect(summary_urls(request, summary.pk)["summary"])
    context = _page_context(request, summary, form)
    return render(request, "reporting/summary_page.html", context, status=status)


@require_POST
def summary_regenerate(request: HttpRequest, pk: int) -> HttpResponse:
    """Figures from the data as it stands; the author's text stays."""
    side = _require_write(request)
    summary = _get(request, pk)
    try:
        actions.summary_regenerate(summary_obj=summary, owner=side.owner, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The figures were generated again from the current data."))
    return redirect(summary_urls(request, summary.pk)["summary"])


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
