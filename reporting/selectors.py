"""Reads about filings: what a reviewer sees, how versions differ, where a subtree stands."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from centers.models import Centre
from centers.selectors import authority_ancestor_ids
from core import memo
from core.periods import Period
from services import figures

from . import assessment, textdiff
from .models import (
    AnnualFiling,
    FilingEvent,
    FilingVersion,
    Notification,
    Ranking,
    Scheme,
)
from .sections import SECTIONS


def year_begun(year: int) -> bool:
    """A year's report can be started from 1 January of that year, never for a later year."""
    return year <= timezone.localdate().year


def due_date(year: int) -> dt.date:
    month, day = settings.FILING_DUE_MONTH_DAY
    return dt.date(year + 1, month, day)


@dataclass
class Difference:
    key: str
    label: str
    old: str
    new: str
    pieces: list[tuple[str, str]]  # ("equal" | "delete" | "insert", text) for a long text


def _pieces(old: str, new: str) -> list[tuple[str, str]]:
    """The difference by words and numbers (a number is one token: reporting/textdiff.py)."""
    return textdiff.runs(old, new)


def version_diff(old: dict, new: dict) -> list[Difference]:
    """Field by field, in the form's order, what changed between two submitted versions."""
    changes = []
    for section in SECTIONS:
        before, after = str(old.get(section.key) or ""), str(new.get(section.key) or "")
        if before != after:
            prose = section.key == "narrative" or len(before) + len(after) > 80
            pieces = _pieces(before, after) if prose else []
            changes.append(Difference(section.key, section.label, before, after, pieces))
    return changes


def return_step(filing: AnnualFiling, events: list[FilingEvent]) -> FilingEvent | None:
    """The step that handed a returned filing back, so its reason can lead the page."""
    if filing.status != AnnualFiling.Status.RETURNED:
        return None
    returns = [e for e in events if e.to_status == AnnualFiling.Status.RETURNED]
    return returns[-1] if returns else None


# The audited edits of a filing that its history box lists beside the workflow's steps.
HISTORY_ACTIONS = ("reporting.filing.narrative_saved", "reporting.filing.narrative_imported")


@dataclass(frozen=True)
class EditLine:
    """An audited edit of the narrative as its history line: when, who, what (and from where)."""

    created_at: dt.datetime
    who: str
    label: str
    source: str


def filing_history(filing: AnnualFiling, events: list[FilingEvent]) -> list:
    """The workflow's steps and the narrative's saves and imports in time order, as
    ("step", FilingEvent) or ("edit", EditLine); one query besides the steps."""
    from core.history import action_label, person_name
    from core.models import AuditEntry

    entries = AuditEntry.objects.filter(
        target_type=AnnualFiling._meta.label_lower,
        target_id=str(filing.pk),
        action__in=HISTORY_ACTIONS,
    ).select_related("actor")
    lines = [
        (
            e.created_at,
            1,
            "edit",
            EditLine(
                e.created_at,
                person_name(e.actor, e.actor_name),
                action_label(e.action),
                _source(e.changes.get("summary")),
            ),
        )
        for e in entries
    ]
    lines += [(e.created_at, 0, "step", e) for e in events]
    return [(kind, item) for _at, _order, kind, item in sorted(lines, key=lambda x: x[:2])]


def _source(change) -> str:
    """The summary an import took its text from, as the audit row names it."""
    if isinstance(change, list) and len(change) == 2:
        return str(change[1] or "")
    return ""


def filing_versions(filing: AnnualFiling) -> list[FilingVersion]:
    return list(filing.versions.select_related("pdf").order_by("number"))


STATE_NOT_STARTED = "not_started"


@dataclass
class FilingRow:
    centre: Centre
    filing: AnnualFiling | None
    overdue: bool

    @property
    def state(self) -> str:
        return self.filing.status if self.filing else STATE_NOT_STARTED


def subtree_filings(*, centres, year: int, today: dt.date) -> list[FilingRow]:
    """Every centre of a subtree with its filing for the year (2 queries) and whether it is late:
    not filed on 事业单位在线 (or returned from there) after the due day."""
    late = today > due_date(year)
    filings = AnnualFiling.objects.filter(year=year)
    rows = []
    for centre in centres.prefetch_related(
        Prefetch("filings", queryset=filings, to_attr="year_filings")
    ):
        filing = centre.year_filings[0] if centre.year_filings else None
        # Due on 事业单位在线 by 31 March: overdue until filed there, again once returned.
        waiting = filing is None or not filing.handed_in
        rows.append(FilingRow(centre, filing, late and waiting))
    return rows


def published_filing(pk: int) -> tuple[AnnualFiling, FilingVersion] | None:
    """A published filing and the version it was approved in; nothing else is public."""
    filing = (
        AnnualFiling.objects.filter(pk=pk, status=AnnualFiling.Status.PUBLISHED)
        .select_related("centre__sponsor")
        .first()
    )
    if filing is None:
        return None
    version = filing.versions.order_by("-number").first()
    return (filing, version) if version else None


def notification_list(*, user):
    """A person's own notifications, newest first (never anyone else's), for paging."""
    return Notification.objects.filter(recipient=user)


def unread_count(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


# --- assessment schemes -------------------------------------------------------------------


def scheme_specs(scheme) -> tuple[assessment.ItemSpec, ...]:
    """A scheme's items as scoring sees them (reads `scheme.items`, prefetched or not)."""
    return tuple(
        assessment.ItemSpec(i.code, i.weight, i.rule, i.params, i.measure)
        for i in scheme.items.all()
    )


SCHEMES = "schemes"  # the memo version every write of a scheme or its items moves (apps.py)


def _read_defaults() -> dict[int, Scheme]:
    return {
        s.authority_id: s
        for s in Scheme.objects.filter(is_default=True, is_active=True).prefetch_related("items")
    }


# Every commission's default scheme with its items, read once per process until one changes: a
# dashboard is the page reviewers reload most (1.8 ms of its ~15 were these two queries).
_DEFAULTS = memo.Versioned(SCHEMES, _read_defaults)


def default_scheme(*, authority_id: int, tree) -> Scheme | None:
    """The scheme giving a commission's dashboard score: its own default, else the nearest
    commission above's (shared by the process's requests: read, never change); None means the
    built-in default."""
    parents = {node.pk: node.parent_id for node in tree}
    found = _DEFAULTS.get()
    return next(
        (found[pk] for pk in authority_ancestor_ids(authority_id, parents) if pk in found), None
    )


def scheme_list(*, authority) -> list[Scheme]:
    """A commission's own schemes with their items (two queries)."""
    return list(Scheme.objects.filter(authority=authority).prefetch_related("items"))


@dataclass
class RankRow:
    """A centre on a ranking page: score, rank, and per column (value, points, completion)."""

    centre: Centre
    score: Decimal
    rank: int
    cells: list[tuple[str | None, str, str | None]]


def _columns(specs, known: dict[str, str]) -> list[dict]:
    """What a ranking keeps of its items, so its columns read right after the scheme changes."""
    return [
        {
            "key": s.key,
            "label": assessment.item_label(s, known),
            "weight": assessment.plain(s.weight),
            "most": assessment.plain(assessment.most(s)),
            "rule": assessment.rule_text(s),
        }
        for s in specs
    ]


def ranking_columns(*, scheme: Scheme, columns: list[dict]) -> list[dict]:
    """The columns with their points heading (`marks`), the one the page, the printed sheet and
    the spreadsheet show. A ranking kept before columns held their most takes it from the
    scheme's item of the same key and weight (one query), else its heading claims no 满分."""
    current: dict[str, assessment.ItemSpec] = {}
    if any("most" not in c for c in columns):
        current = {s.key: s for s in scheme_specs(scheme)}
    out = []
    for c in columns:
        most = c.get("most")
        spec = current.get(c["key"])
        if most is None and spec is not None and assessment.plain(spec.weight) == c["weight"]:
            most = assessment.plain(assessment.most(spec))
        out.append(c | {"marks": assessment.marks(c["weight"], most)})
    return out


def _cells(columns: list[dict], breakdown: dict) -> list[tuple[str | None, str, str | None]]:
    cells = []
    for column in columns:
        entry = breakdown.get(column["key"], {})
        cells.append((entry.get("value"), entry.get("points", "0.00"), entry.get("completion")))
    return cells


def ranking_live(
    *, scheme: Scheme, authority_ids, period: Period, today: dt.date | None = None
) -> tuple[list[dict], list[RankRow]]:
    """(columns, rows) of a scheme for a period over the centres of the subtree, computed now:
    the centres, the catalogue, the door's figures, the month reports and the targets (each
    read once, whatever the number of centres)."""
    today = today or timezone.localdate()
    catalogue = figures.catalogue()
    specs = scheme_specs(scheme)
    centres = list(
        Centre.objects.filter(sponsor_id__any_of=list(authority_ids)).only(
            "name", "slug", *Centre.OWES_FIELDS
        )
    )
    values, completions = assessment.read_values(
        specs, centres=centres, period=period, today=today, catalogue=catalogue
    )
    scored = assessment.score_centres(specs, values, completions)
    columns = _columns(specs, assessment.names(catalogue))
    rows = [
        RankRow(c, scored[c.pk].score, scored[c.pk].rank, _cells(columns, scored[c.pk].breakdown))
        for c in centres
    ]
    rows.sort(key=lambda r: (r.rank, r.centre.name))
    return columns, rows


def ranking_stored(*, scheme: Scheme, period: Period) -> tuple[Ranking | None, list[RankRow]]:
    """The kept ranking of a scheme for a period and its rows (two queries), if computed."""
    ranking = Ranking.objects.filter(scheme=scheme, first=period.first, last=period.last).first()
    if ranking is None:
        return None, []
    rows = [
        RankRow(r.centre, r.score, r.rank, _cells(ranking.items, r.breakdown))
        for r in ranking.rows.select_related("centre").only(
            "score", "rank", "breakdown", "ranking_id", "centre__name", "centre__slug"
        )
    ]
    rows.sort(key=lambda r: (r.rank, r.centre.name))
    return ranking, rows


def scheme_rankings(*, scheme: Scheme) -> list[Ranking]:
    """The periods a scheme has kept rankings for, latest first (without their rows)."""
    return list(scheme.rankings.only("first", "last", "label", "computed_at", "scheme_id"))
