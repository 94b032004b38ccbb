"""The values engine behind the API push and the import profiles: one validation, one lock, one
audit with the grid (services/value_sets.py). Today is 20 May 2024: April is open until 30 May,
March locked since 1 May."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from centers.models import CentreMembership
from centers.tests.factories import CentreFactory, CentreMembershipFactory
from core.models import AuditEntry
from services import actions
from services.models import Indicator, MonthReport, TallyValue, ValidationRule
from services.tests.data import put
from services.value_sets import (
    CentresRefused,
    Strategy,
    ValueRow,
    value_set_import,
    value_set_plan,
    value_set_read,
)

pytestmark = pytest.mark.django_db
D = dt.date
APRIL, MARCH = D(2024, 4, 1), D(2024, 3, 1)


@pytest.fixture(autouse=True)
def _may_2024():
    with time_machine.travel(dt.datetime(2024, 5, 20, 10, 0)):
        yield


def stored(centre, code, period=APRIL):
    cell = TallyValue.objects.filter(centre=centre, indicator__code=code, period=period).first()
    return cell.value if cell else None


def april(centre="ciqikou", **values) -> list[ValueRow]:
    return [ValueRow(centre, code, "2024-04", str(v)) for code, v in values.items()]


def counts(summary) -> tuple[int, int, int, int]:
    return (summary.imported, summary.updated, summary.deleted, summary.ignored)


def test_a_dry_run_says_what_would_change_and_the_push_then_writes_it(centre, clerk):
    put(centre, "discharges", APRIL, 30)
    put(centre, "tcm_visits", APRIL, 400)
    rows = april(opd_visits="5,241", total_visits=6000, discharges=35, tcm_visits=400)

    plan = value_set_plan(rows=rows, actor=clerk)
    # 门急诊 and 总诊疗 are new, 出院 30 → 35, 中医诊疗 400 as stored: 2 + 1 + 0, 1 ignored.
    assert counts(plan) == (2, 1, 0, 1) and plan.status == "SUCCESS" and plan.dry_run
    assert [(c.indicator.code, c.old, c.new, c.action) for c in plan.changes] == [
        ("opd_visits", None, Decimal("5241"), "imported"),
        ("total_visits", None, Decimal("6000"), "imported"),
        ("discharges", Decimal("30"), Decimal("35"), "updated"),
    ]
    assert stored(centre, "opd_visits") is None and stored(centre, "discharges") == 30
    assert not AuditEntry.objects.exists()

    summary = value_set_import(rows=rows, actor=clerk)
    assert counts(summary) == (2, 1, 0, 1) and not summary.dry_run
    assert stored(centre, "opd_visits") == 5241 and stored(centre, "discharges") == 35
    entries = {
        e.target_id: e.changes
        for e in AuditEntry.objects.filter(action="services.tally.changed", actor=clerk)
    }
    assert entries == {
        "opd_visits@2024-04": {"value": [None, "5241"]},
        "total_visits@2024-04": {"value": [None, "6000"]},
        "discharges@2024-04": {"value": ["30", "35"]},
    }
    assert summary.as_dict()["importCount"] == {
        "imported": 2,
        "updated": 1,
        "deleted": 0,
        "ignored": 1,
    }

    again = value_set_import(rows=rows, actor=clerk)  # idempotent by key
    assert counts(again) == (0, 0, 0, 4)
    assert AuditEntry.objects.count() == 3


def test_a_locked_and_an_approved_month_are_conflicts_with_the_grids_reasons(centre, clerk):
    MonthReport.objects.create(centre=centre, period=APRIL, state=MonthReport.State.APPROVED)
    put(centre, "discharges", MARCH, 12)
    rows = [
        ValueRow("ciqikou", "opd_visits", "2024-03", "10"),
        ValueRow("ciqikou", "opd_visits", "2024-04", "20"),
        ValueRow("ciqikou", "discharges", "2024-03", "12"),  # as stored: no lock needed
    ]
    summary = value_set_import(rows=rows, actor=clerk, atomic=False)
    assert counts(summary) == (0, 0, 0, 3) and summary.status == "WARNING"
    march, april_ = summary.conflicts
    assert (march.line, march.code, march.period) == (1, "locked", "2024-03")
    assert march.reason == "已于2024年5月1日锁定（月末后30天）；如需修改，请联系审核员开放。"
    assert (april_.line, april_.code) == (2, "locked")
    assert april_.reason == "卫健委已审核：本月数据已锁定；如需修改，请联系卫健委撤销审核。"
    for conflict, period in ((march, MARCH), (april_, APRIL)):  # the grid says the same
        grid = actions.tally_save(
            centre=centre,
            indicator=Indicator.objects.get(code="opd_visits"),
            period=period,
            raw="10",
            actor=clerk,
        )
        assert grid.error == conflict.reason
    assert not TallyValue.objects.filter(indicator__code="opd_visits").exists()


def test_a_value_the_grid_refuses_is_a_conflict_with_the_grids_message(centre, clerk):
    rule = ValidationRule.objects.get(left__code="opd_visits", right__code="total_visits")
    rule.severity = ValidationRule.Severity.ERROR
    rule.save()
    put(centre, "total_visits", APRIL, 400)
    opd = Indicator.objects.get(code="opd_visits")
    summary = value_set_import(
        rows=[*april(opd_visits="2.5"), *april("ciqikou", discharges=-3)], actor=clerk
    )
    assert [(c.code, c.reason) for c in summary.conflicts] == [
        ("value_invalid", "以“人次”计的数值必须是整数。"),
        ("value_invalid", "数值不能为负数。"),
    ]
    refused = value_set_import(rows=april(opd_visits=500), actor=clerk)
    grid = actions.tally_save(centre=centre, indicator=opd, period=APRIL, raw="500", actor=clerk)
    assert grid.error and [(c.code, c.reason) for c in refused.conflicts] == [("rule", grid.error)]
    assert "门急诊人次（500）" in grid.error and "总诊疗人次（400）" in grid.error
    # Both sides pushed together are checked against each other: 500 ≤ 600.
    both = value_set_import(rows=april(opd_visits=500, total_visits=600), actor=clerk)
    assert counts(both) == (1, 1, 0, 0) and stored(centre, "opd_visits") == 500


def test_create_ignores_stored_values_and_delete_removes_and_audits(centre, clerk):
    put(centre, "discharges", APRIL, 30)
    TallyValue.objects.filter(indicator__code="discharges").update(comment="病区搬迁")
    created = value_set_import(
        rows=april(discharges=35, opd_visits=100), actor=clerk, strategy=Strategy.CREATE
    )
    assert counts(created) == (1, 0, 0, 1)
    assert stored(centre, "discharges") == 30 and stored(centre, "opd_visits") == 100

    rows = [
        ValueRow("ciqikou", "discharges", "2024-04"),
        ValueRow("ciqikou", "tcm_visits", "2024-04"),
    ]
    deleted = value_set_import(rows=rows, actor=clerk, strategy=Strategy.DELETE)
    assert counts(deleted) == (0, 0, 1, 1)  # 中医诊疗 had no value: ignored
    assert stored(centre, "discharges") is None
    entry = AuditEntry.objects.get(target_id="discharges@2024-04")
    assert entry.changes == {"value": ["30", None], "comment": ["病区搬迁", None]}
    assert entry.centre == centre and entry.actor == clerk


def test_an_empty_value_is_not_a_deletion_without_the_delete_strategy(centre, clerk):
    put(centre, "discharges", APRIL, 30)
    summary = value_set_import(rows=april(discharges=""), actor=clerk)
    assert summary.conflicts[0].code == "value_missing" and stored(centre, "discharges") == 30


def test_atomic_refuses_everything_on_one_conflict_and_partial_imports_the_rest(centre, clerk):
    rows = [
        ValueRow("ciqikou", "opd_visits", "2024-04", "100"),
        ValueRow("ciqikou", "opd_visits", "2024-03", "90"),  # locked
        ValueRow("ciqikou", "discharges", "2024-04", "8"),
    ]
    atomic = value_set_import(rows=rows, actor=clerk)
    assert atomic.status == "ERROR" and counts(atomic) == (0, 0, 0, 3)
    assert atomic.description == "有1条冲突，未导入任何数据。"
    assert not TallyValue.objects.exists() and not AuditEntry.objects.exists()

    partial = value_set_import(rows=rows, actor=clerk, atomic=False)
    assert partial.status == "WARNING" and counts(partial) == (2, 0, 0, 1)
    assert [(c.line, c.code) for c in partial.conflicts] == [(2, "locked")]
    assert stored(centre, "opd_visits") == 100 and stored(centre, "discharges") == 8
    assert AuditEntry.objects.count() == 2


def test_centres_out_of_reach_or_without_the_right_are_refused(
    centre, other_centre, clerk, reviewer
):
    rows = [ValueRow("yangjiaping", "opd_visits", "2024-04", "1")]
    summary = value_set_import(rows=rows, actor=clerk)
    assert [(c.code, c.reason) for c in summary.conflicts] == [
        ("centre_unknown", "您可访问的范围内没有中心“yangjiaping”。")
    ]
    nowhere = value_set_import(
        rows=[ValueRow("no-such", "opd_visits", "2024-04", "1")], actor=clerk
    )
    assert nowhere.conflicts[0].reason == "您可访问的范围内没有中心“no-such”。"  # the same words
    with pytest.raises(CentresRefused) as refused:
        value_set_import(rows=rows, actor=clerk, strict_centres=True)
    assert refused.value.unknown == ["yangjiaping"] and refused.value.forbidden == []
    # A reviewer reads the centre but does not enter its data (the grid's EDIT_RECORDS).
    with pytest.raises(CentresRefused) as forbidden:
        value_set_import(rows=april(opd_visits=1), actor=reviewer, strict_centres=True)
    assert forbidden.value.forbidden == ["ciqikou"]
    assert str(forbidden.value) == "您无权在磁器口社区卫生服务中心录入数据。"  # in reach: named
    conflict = value_set_import(rows=april(opd_visits=1), actor=reviewer).conflicts[0]
    assert (conflict.code, conflict.reason) == (
        "centre_forbidden",
        "您无权在磁器口社区卫生服务中心录入数据。",
    )
    assert not TallyValue.objects.exists()


def test_a_centre_is_named_by_slug_credit_code_or_name(centre, clerk):
    centre.credit_code = "12500106MB1658247X"
    centre.save()
    rows = [
        ValueRow("12500106mb1658247x", "opd_visits", "2024-04", "1"),
        ValueRow("磁器口社区卫生服务中心", "discharges", "2024-04", "2"),
        ValueRow(centre, "tcm_visits", "202404", "3"),
    ]
    summary = value_set_import(rows=rows, actor=clerk)
    assert counts(summary) == (3, 0, 0, 0)


def test_periods_indicators_and_duplicates_are_checked_per_row(centre, clerk):
    rows = [
        ValueRow("ciqikou", "res_pop", "2024", "52000"),  # yearly: stored on 1 January
        ValueRow("ciqikou", "res_pop", "2024-04", "52000"),
        ValueRow("ciqikou", "opd_visits", "2024", "1"),
        ValueRow("ciqikou", "opd_visits", "2024-13", "1"),
        ValueRow("ciqikou", "nonexistent", "2024-04", "1"),
        ValueRow("ciqikou", "opd_visits", "2024-04", "5"),
        ValueRow("ciqikou", "opd_visits", "2024-04", "6"),
    ]
    summary = value_set_import(rows=rows, actor=clerk, atomic=False)
    assert [(c.line, c.code) for c in summary.conflicts] == [
        (2, "period_invalid"),
        (3, "period_invalid"),
        (4, "period_invalid"),
        (5, "indicator_unknown"),
        (7, "duplicate"),
    ]
    assert summary.conflicts[0].reason == "该指标按年填报：请写年份，如2024。"
    assert summary.conflicts[-1].reason == "同一中心、指标和期间已在第6行出现。"
    assert stored(centre, "res_pop", D(2024, 1, 1)) == 52000 and stored(centre, "opd_visits") == 5


@pytest.mark.parametrize("period", ["0000-01", "0000", "1999-12", "2101", "2024-00", "99999-01"])
def test_a_period_outside_the_years_a_push_takes_is_a_conflict_of_its_row(centre, clerk, period):
    """Year 0000 fits the pattern but is no date: refused as the row's conflict, not a 500."""
    rows = [ValueRow("ciqikou", "res_pop", period, "1"), *april(opd_visits=7)]
    summary = value_set_import(rows=rows, actor=clerk, atomic=False)
    assert [(c.line, c.code) for c in summary.conflicts] == [(1, "period_invalid")]
    assert stored(centre, "opd_visits") == 7


def test_values_read_back_in_the_shape_a_push_takes(centre, clerk):
    value_set_import(
        rows=[
            *april(opd_visits=100, discharges=8),
            ValueRow("ciqikou", "res_pop", "2024", "52000"),
        ],
        actor=clerk,
    )
    from core.periods import Period

    read = value_set_read(centre=centre, period=Period.month(2024, 4))
    assert [(v.indicator, v.period, v.value) for v in read] == [  # in catalogue order
        ("opd_visits", "2024-04", Decimal("100")),
        ("discharges", "2024-04", Decimal("8")),
        ("res_pop", "2024", Decimal("52000")),
    ]
    back = [ValueRow("ciqikou", v.indicator, v.period, str(v.value)) for v in read]
    assert counts(value_set_import(rows=back, actor=clerk)) == (0, 0, 0, 3)


def _push_queries(rows, actor) -> int:
    with CaptureQueriesContext(connection) as queries:
        summary = value_set_import(rows=rows, actor=actor)
    assert not summary.conflicts, summary.conflicts
    return len(queries)


def test_queries_grow_with_centres_written_not_with_values(district, clerk):
    codes = [i.code for i in Indicator.objects.filter(frequency="monthly")[:40]]
    centres = [CentreFactory(sponsor=district) for _ in range(4)]
    for c in centres:
        CentreMembershipFactory(user=clerk, centre=c, role=CentreMembership.Role.CLERK)
    value_set_plan(rows=[ValueRow(centres[0].slug, codes[0], "2024-04", "1")], actor=clerk)
    one = _push_queries([ValueRow(centres[0].slug, codes[0], "2024-04", "1")], clerk)
    forty = _push_queries(
        [ValueRow(centres[1].slug, code, "2024-04", "1") for code in codes], clerk
    )
    assert forty == one
    two_more = [ValueRow(c.slug, code, "2024-04", "2") for c in centres[2:] for code in codes]
    # Two centres more: their rollup stamps (a state row on a first write, and the refresh queued).
    assert _push_queries(two_more, clerk) <= one + 2 * 4


def test_a_partial_push_checks_rules_against_what_it_really_stores(centre, clerk):
    """门急诊 ≤ 总诊疗 passes only beside the pushed 总诊疗 600, which 中医诊疗 (700) ≤ 总诊疗 refuses;
    written alone, 门急诊 500 would stand against the stored 总诊疗 400."""
    ValidationRule.objects.filter(
        left__code__in=["opd_visits", "tcm_visits"], right__code="total_visits"
    ).update(severity=ValidationRule.Severity.ERROR)
    put(centre, "total_visits", APRIL, 400)
    put(centre, "tcm_visits", APRIL, 700)
    rows = april(opd_visits=500, total_visits=600)
    partial = value_set_import(rows=rows, actor=clerk, atomic=False)
    assert sorted(c.code for c in partial.conflicts) == ["rule", "rule"]
    assert (partial.imported, partial.updated) == (0, 0)
    assert stored(centre, "opd_visits") is None and stored(centre, "total_visits") == 400
    # All or nothing, the one real conflict is named: 总诊疗 600 below 中医诊疗 700.
    atomic = value_set_import(rows=rows, actor=clerk)
    assert [c.indicator for c in atomic.conflicts] == ["total_visits"]


def test_a_push_marks_the_indicators_it_wrote_and_a_month_pushed_whole_marks_the_year(
    centre, clerk
):
    from services.models import RollupState
    from services.rollups import CELL_KEYS

    value_set_import(rows=april(opd_visits=5000, discharges=35), actor=clerk)
    written = Indicator.objects.filter(code__in=["opd_visits", "discharges"])
    # Readers compute these two live for the centre and read its other figures from rollups.
    keys = {f"2024/{pk}" for pk in written.values_list("pk", flat=True)}
    assert set(RollupState.objects.get(centre=centre).dirty_years) == keys

    monthly = Indicator.objects.filter(frequency="monthly", aggregation="flow", is_active=True)
    codes = list(monthly.order_by("pk").values_list("code", flat=True)[: CELL_KEYS + 1])
    assert len(codes) == CELL_KEYS + 1
    value_set_import(rows=april(**{code: 7 for code in codes}), actor=clerk)
    assert set(RollupState.objects.get(centre=centre).dirty_years) == keys | {"2024"}
