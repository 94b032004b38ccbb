"""Problems worth reporting (存在的问题): what the figures say is wrong, above a threshold.

A fall on the same period of last year is suggested only when it is material (settings
SUMMARY_PROBLEM_MIN_*: 1 个百分点 for a % rate, 0.2 个千分点 for a ‰ rate, 5% for a count), so a
0.01-point wobble no longer reads as a problem. Beside the falls come the structural signals the
data support, which is what the filed summaries write about: high turnover (annualised 离职率
above SUMMARY_HIGH_DEPARTURE_RATE), a high 编外 share (SUMMARY_HIGH_OFF_SHARE), staffing below
《城市社区卫生服务中心基本标准》 (2006; the roster's checks, staff.selectors) and months not
reported.

Each suggestion is {"text", "kind", "why"}; "why" names the figures and the threshold that
triggered it. They are ranked by size: how many times its threshold each one is (a 2-point fall
against 1 point is 2; 离职率 41.67% against 15% is 2.78), so different kinds compare on one
scale. A shortfall against the staffing standard or an unreported month has no threshold to
exceed, since any is material: its size is 1 plus the share it falls short by (1 to 2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from services.figures import Figure

from . import sentences as s

DECLINE, TURNOVER, OFF_SHARE, STAFFING, UNREPORTED = (
    "decline",
    "turnover",
    "off_establishment",
    "staffing",
    "unreported",
)


@dataclass(frozen=True)
class Thresholds:
    """What is material, from settings (tests pass their own)."""

    points: Decimal
    permille_points: Decimal
    decline: Decimal
    departure_rate: Decimal
    off_share: Decimal

    @classmethod
    def from_settings(cls) -> Thresholds:
        return cls(
            points=Decimal(settings.SUMMARY_PROBLEM_MIN_POINTS),
            permille_points=Decimal(settings.SUMMARY_PROBLEM_MIN_PERMILLE_POINTS),
            decline=Decimal(settings.SUMMARY_PROBLEM_MIN_DECLINE),
            departure_rate=Decimal(settings.SUMMARY_HIGH_DEPARTURE_RATE),
            off_share=Decimal(settings.SUMMARY_HIGH_OFF_SHARE),
        )


@dataclass(frozen=True)
class Problem:
    text: str
    kind: str
    why: str
    size: Decimal

    def as_json(self) -> dict:
        return {"text": self.text, "kind": self.kind, "why": self.why}


def _times(value: Decimal, limit: Decimal) -> Decimal:
    """How many times its threshold a value is (the value itself when there is no threshold)."""
    return value / limit if limit > 0 else value


def declines(figures: dict[str, Figure], codes: Iterable[str], t: Thresholds) -> list[Problem]:
    """Rates that fell by at least the points threshold, counts by at least the % threshold.

    An amount per visit (门急诊次均费用) is left out: whether its fall is bad depends on why."""
    out = []
    for code in codes:
        f = figures.get(code)
        if f is None or f.change is None or f.change >= 0:
            continue
        if f.in_points:
            limit = t.permille_points if f.unit == "‰" else t.points
        elif f.is_rate:
            continue
        else:
            limit = t.decline
        if abs(f.change) < limit or not (text := s.weak_figure(f)):
            continue
        why = s.decline_why(f, limit)
        out.append(Problem(text, DECLINE, why, _times(abs(f.change), limit)))
    return out


def workforce(w, months: int, t: Thresholds) -> list[Problem]:
    """Turnover above the limit once scaled to a year, and a high 编外 share at the period's end
    (`w` is staff.selectors.workforce_brief's, for the summary's centres and months)."""
    out = []
    if w.departure_rate is not None and months:
        yearly = w.departure_rate * Decimal(12) / months
        if yearly > t.departure_rate:
            limit = _limit_words(t.departure_rate)
            if months == 12:
                text = s.high_departures_year(w.departure_rate, limit)
            else:
                text = s.high_departures(w.departure_rate, yearly, limit)
            out.append(
                Problem(
                    text,
                    TURNOVER,
                    s.turnover_why(w, yearly, limit),
                    _times(yearly, t.departure_rate),
                )
            )
    if w.off_share_end is not None and w.off_share_end > t.off_share:
        limit = _limit_words(t.off_share)
        out.append(
            Problem(
                s.high_off_share(w),
                OFF_SHARE,
                s.off_share_why(w, limit),
                _times(w.off_share_end, t.off_share),
            )
        )
    return out


def _limit_words(value: Decimal) -> str:
    return s.trim(Decimal(value), 2)


def _shortfall_size(actual: int, required: int) -> Decimal:
    return 1 + Decimal(required - actual) / required if required else Decimal(1)


def staffing(checks: dict[int, list], day: dt.date, *, single: bool) -> list[Problem]:
    """The minimums of the standard some centre misses on the period's last day, as one
    suggestion (for a commission, how many centres miss each); its size is the worst shortfall."""
    short: dict[str, list] = {}
    for centre_checks in checks.values():
        for check in centre_checks:
            if not check.met:
                short.setdefault(check.label, []).append(check)
    if not short:
        return []
    missed = [c for found in short.values() for c in found]
    worst = max(_shortfall_size(c.actual, c.required) for c in missed)
    text = s.staffing_short(missed) if single else s.staffing_short_centres(short)
    return [Problem(text, STAFFING, s.staffing_why(day, short), worst)]


def unreported(missing: dict, unmarked: dict, expected: int, *, single: bool) -> list[Problem]:
    """Months not reported (or entered and not marked 已报送), in the lead's own words (a
    centre's own text names its months, not a count of centres)."""
    text = s.late_reporting_words(missing, unmarked, single=single)
    if not text:
        return []
    gaps, loose = sum(missing.values()), sum(unmarked.values())
    share = Decimal(gaps + loose) / expected if expected else Decimal(0)
    return [Problem(text, UNREPORTED, s.unreported_why(gaps, loose, expected), 1 + share)]


def ranked(problems: list[Problem]) -> list[dict]:
    """Largest first; equal sizes keep the order they were found in (falls, staff, reporting)."""
    return [p.as_json() for p in sorted(problems, key=lambda p: -p.size)]
