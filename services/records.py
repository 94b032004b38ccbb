"""Activities (工作记录) as a record list, with counts by kind for a chosen period."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from centers.records import Column, RecordKind, Row, _cells

from . import figures
from .forms import ActivityForm, FiguresForm
from .models import Activity

ACTIVITY_COLUMNS = (
    Column(_("date"), lambda r: r.date),
    Column(_("kind"), lambda r: r.kind.name),
    Column(_("title"), lambda r: r.title),
    Column(_("people served or present"), lambda r: r.people, "num"),
    Column(_("note"), lambda r: r.note, "wide"),
)
LIST_LIMIT = 200
SUMMARY_PARTS = ("year", "h1", "h2", "q1", "q2", "q3", "q4")  # the counts' form has no month boxes


def _activity_rows(*, centre) -> list[Row]:
    recent = Activity.objects.filter(centre=centre).select_related("kind")[:LIST_LIMIT]
    return [Row(r, _cells(r, ACTIVITY_COLUMNS)) for r in recent]


def _summary(request) -> dict:
    this_year = timezone.localdate().year
    form = FiguresForm(
        request.GET or None, parts=SUMMARY_PARTS, initial={"year": this_year, "part": "year"}
    )
    period = form.period(this_year)
    counts = figures.activities(centre_ids=[request.centre.pk], period=period)
    return {"summary_form": form, "summary_period": period, "summary_counts": counts}


ACTIVITY_KINDS = (
    RecordKind(
        key="activity",
        path="activities",
        model=Activity,
        form=ActivityForm,
        form_kwargs=lambda centre: {"centre": centre},
        title=_("Work records"),
        intro=_(
            "Free clinics, lectures, community check-ups, drills, party meetings …, "
            "with the people served or present."
        ),
        columns=ACTIVITY_COLUMNS,
        rows=_activity_rows,
        namespace="services",
        summary_template="services/partials/activity_summary.html",
        summary=_summary,
    ),
)
