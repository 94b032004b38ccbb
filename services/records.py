"""Activities (工作记录) as a record list, with counts by kind for a chosen period."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from centers.records import Column, RecordKind, Row, _cells

from . import selectors
from .forms import ActivityForm, FiguresForm
from .models import Activity
from .periods import month_end

ACTIVITY_COLUMNS = (
    Column(_("date"), lambda r: r.date),
    Column(_("kind"), lambda r: r.kind.name),
    Column(_("title"), lambda r: r.title),
    Column(_("people served or present"), lambda r: r.people, "num"),
    Column(_("note"), lambda r: r.note, "wide"),
)
LIST_LIMIT = 200


def _activity_rows(*, centre) -> list[Row]:
    recent = Activity.objects.filter(centre=centre).select_related("kind")[:LIST_LIMIT]
    return [Row(r, _cells(r, ACTIVITY_COLUMNS)) for r in recent]


def _summary(request) -> dict:
    form = FiguresForm(
        request.GET or None, initial={"year": timezone.localdate().year, "part": "year"}
    )
    period = (
        form.period() if request.GET else FiguresForm({"year": timezone.localdate().year}).period()
    )
    counts = selectors.activity_counts(
        scope=selectors.centre_scope(request.centre),
        first=period.first,
        last=month_end(period.last),
    )
    return {"summary_form": form, "summary_period": period, "summary_counts": counts}


ACTIVITY_KINDS = (
    RecordKind(
        key="activity",
        path="activities",
        model=Activity,
        form=ActivityForm,
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
