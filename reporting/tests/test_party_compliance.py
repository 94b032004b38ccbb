"""三会一课 held against the rule, worked by hand: a quarter with one missed meeting, months before
the branch (and its committee) not counted, a month not yet over left open; the pages in bounded
queries; the summary's 党建 clauses; and the demo reproducing seed 000."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from centers.tests.factories import CentreFactory
from core.periods import Period
from reporting import party
from reporting import sentences as s
from services.models import Activity, ActivityKind
from staff.models import CommitteeTerm, PartyBranch

pytestmark = pytest.mark.django_db


def _branch(centre, founded, committee=None):
    branch = PartyBranch.objects.create(centre=centre, name="测试党支部", founded_on=founded)
    if committee:
        CommitteeTerm.objects.create(
            centre=centre, branch=branch, elected_on=committee, kind="founded"
        )
    return branch


def _meetings(centre, kind, *days):
    found = ActivityKind.objects.get(name=kind)
    Activity.objects.bulk_create(
        Activity(centre=centre, kind=found, date=dt.date(*day), people=5) for day in days
    )


def _states(line):
    return [slot.state for slot in line.slots]


@pytest.fixture
def third_quarter(centre):
    """Branch 2021, committee 2023. In 2024's third quarter: 支部委员会 on 10 July, 12 August,
    9 and 23 September; 党课 on 30 August; no 党员大会."""
    _branch(centre, dt.date(2021, 5, 1), dt.date(2023, 7, 1))
    _meetings(centre, "支部委员会", (2024, 7, 10), (2024, 8, 12), (2024, 9, 9), (2024, 9, 23))
    _meetings(centre, "党课", (2024, 8, 30))
    _meetings(centre, "主题党日", (2024, 7, 1))  # counted beside, never due
    return centre


def test_a_quarter_with_one_missed_meeting(third_quarter):
    """Due: 3 committee months + 1 assembly + 1 lesson = 5; held on time 3 + 0 + 1 = 4 (80.00%);
    the one missed is 2024年第3季度's 党员大会."""
    c = party.compliance(
        centre_ids=[third_quarter.pk], period=Period.quarter(2024, 3), today=dt.date(2025, 1, 1)
    )[third_quarter.pk]
    assert [(line.due, line.met, line.held) for line in c.lines] == [
        (3, 3, 4),
        (1, 0, 0),
        (1, 1, 1),
    ]
    assert (c.due, c.met, c.rate) == (5, 4, Decimal("80.00"))
    assert [(rule.kind, slot.label) for rule, slot in c.missed] == [("党员大会", "2024年第3季度")]


def test_months_before_the_branch_and_its_committee_are_not_counted(centre):
    """Branch founded 2024-05-20, committee 2024-08-05. 支部委员会: January–July not due, August
    to November held, December missed (due 5, met 4). 党员大会: Q1 not due, Q2 and Q4 held, Q3
    missed (3, 2). 党课: Q2–Q4 missed (3, 0). Together 6 of 11 = 54.55%."""
    _branch(centre, dt.date(2024, 5, 20), dt.date(2024, 8, 5))
    _meetings(centre, "支部委员会", (2024, 8, 10), (2024, 9, 10), (2024, 10, 10), (2024, 11, 10))
    _meetings(centre, "党员大会", (2024, 6, 1), (2024, 10, 1))
    c = party.compliance(
        centre_ids=[centre.pk], period=Period.year(2024), today=dt.date(2025, 3, 1)
    )[centre.pk]
    committee, assembly, lesson = c.lines
    assert _states(committee) == ["before"] * 7 + ["met"] * 4 + ["missed"]
    assert _states(assembly) == ["before", "met", "missed", "met"]
    assert _states(lesson) == ["before", "missed", "missed", "missed"]
    assert (c.due, c.met, c.rate) == (11, 6, Decimal("54.55"))


def test_a_month_not_yet_over_is_open_not_missed(centre):
    """On 2024-12-15 the same records leave December and Q4's 党课 open: due 4 + 3 + 2 = 9."""
    _branch(centre, dt.date(2024, 5, 20), dt.date(2024, 8, 5))
    _meetings(centre, "支部委员会", (2024, 8, 10), (2024, 9, 10), (2024, 10, 10), (2024, 11, 10))
    _meetings(centre, "党员大会", (2024, 6, 1), (2024, 10, 1))
    c = party.compliance(
        centre_ids=[centre.pk], period=Period.year(2024), today=dt.date(2024, 12, 15)
    )[centre.pk]
    assert _states(c.lines[0])[-1] == "open" and _states(c.lines[2])[-1] == "open"
    assert (c.due, c.met) == (9, 6)


def test_no_branch_means_nothing_due(centre):
    _meetings(centre, "党员大会", (2024, 6, 1))
    c = party.compliance(
        centre_ids=[centre.pk], period=Period.year(2024), today=dt.date(2025, 1, 1)
    )[centre.pk]
    assert c.dates is None and c.due == 0 and c.rate is None


def test_the_summary_clause_names_what_was_missed(third_quarter):
    figures = party.party_figures(
        centre_ids=[third_quarter.pk], period=Period.quarter(2024, 3), today=dt.date(2025, 1, 1)
    )
    clauses = party.party_clauses(figures, single=True, within="期内")
    assert [c["key"] for c in clauses] == ["party.branch", "party.meetings"]  # no member on books
    assert clauses[0]["text"] == "中心于2021年5月成立党支部，2023年7月成立支部委员会"
    assert clauses[1]["text"] == (
        "落实“三会一课”制度，召开支部委员会4次（应开3个月，均按期召开），"
        "召开党员大会0次（应开1个季度，按期0个季度），讲党课1次（应开1个季度，均按期召开）；"
        "2024年第3季度未召开党员大会"
    )


def test_many_missed_months_are_cut_short():
    missed = [("支部委员会", f"2023年{m}月") for m in range(7, 13)]
    text = s.meetings_clause([("支部委员会", 1, 6, 0, 0)], missed)
    assert text.endswith("2023年7月、2023年8月、2023年9月、2023年10月等6个月未召开支部委员会")


def test_a_commission_counts_its_centres(district, third_quarter):
    """Two centres of the district, one with a branch: 2个中心中1个已成立党支部."""
    other = CentreFactory(sponsor=district)
    figures = party.party_figures(
        centre_ids=[third_quarter.pk, other.pk],
        period=Period.quarter(2024, 3),
        today=dt.date(2025, 1, 1),
    )
    clauses = party.party_clauses(figures, single=False, within="期内")
    assert clauses[0]["text"] == "2个中心中1个已成立党支部，其中1个成立支部委员会"
    assert clauses[-1]["text"].endswith("；1个中心存在未按期召开的情况")


# --- pages ----------------------------------------------------------------------------------


def test_the_centre_page_in_bounded_queries(
    client, clerk, third_quarter, django_assert_max_num_queries
):
    client.force_login(clerk)
    url = reverse("reporting:party-compliance", args=[third_quarter.slug])
    with django_assert_max_num_queries(8):
        response = client.get(url, {"year": 2024, "part": "q3"})
    body = response.content.decode()
    assert response.status_code == 200 and "<html" in body
    assert "2024年第3季度未召开党员大会" in body and "主题党日" in body
    fragment = client.get(url, {"year": 2024, "part": "q3"}, HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode()


def test_the_page_opens_on_this_year_and_says_it_has_no_meeting_yet(
    client, clerk, third_quarter, time_machine
):
    """In March 2026 the page opens on 2026, not 2024 (the last year with a meeting), and says
    plainly that 2026 has none yet, pointing to the latest (2024-09-23); a year picked stays."""
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC))
    client.force_login(clerk)
    url = reverse("reporting:party-compliance", args=[third_quarter.slug])
    response = client.get(url)
    body = response.content.decode()
    assert response.context["period"] == Period.year(2026)
    assert 'id="no-meetings"' in body and "2026年尚无三会一课会议记录。" in body
    assert "最近一次为2024-09-23" in body and f"{url}?year=2024" in body
    picked = client.get(url, {"year": 2024}, HTTP_HX_REQUEST="true")
    assert picked.context["period"] == Period.year(2024)
    assert 'id="no-meetings"' not in picked.content.decode()


def test_the_commission_overview_opens_on_this_year_too(
    client, reviewer, district, third_quarter, time_machine
):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC))
    client.force_login(reviewer)
    url = reverse("reporting:authority-party-compliance", args=[district.slug])
    response = client.get(url)
    body = response.content.decode()
    assert response.context["period"] == Period.year(2026)
    assert 'id="no-meetings"' in body and "所列中心2026年均尚无三会一课会议记录。" in body
    assert "最近一次为2024-09-23" in body
    assert 'id="no-meetings"' not in client.get(url, {"year": 2024}).content.decode()


def test_the_commission_overview_does_not_grow_with_its_centres(
    client, reviewer, district, third_quarter, django_assert_max_num_queries
):
    for i in range(6):
        centre = CentreFactory(sponsor=district, name=f"中心{i}")
        _branch(centre, dt.date(2022, 1, 1))
        _meetings(centre, "党员大会", (2024, 2, 1))
    client.force_login(reviewer)
    url = reverse("reporting:authority-party-compliance", args=[district.slug])
    with django_assert_max_num_queries(10):
        response = client.get(url, {"year": 2024})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('id="centre-') == 7
    assert "2024年第3季度 党员大会" in body


def test_another_commission_cannot_see_the_overview(client, other_member, district):
    client.force_login(other_member)
    url = reverse("reporting:authority-party-compliance", args=[district.slug])
    assert client.get(url).status_code == 404


# --- seed 000 -------------------------------------------------------------------------------


def test_the_demo_reproduces_seed_000():
    """磁器口 2024: branch founded 2021-05, committee 2023-07, 在职党员11人 at the year's end,
    4 admitted in 2024; 三会一课 20 due, 19 on time, 2024年第4季度's 党员大会 missed; the summary
    and the annual report's draft quote them."""
    from centers.demo import load_centres_demo
    from reporting.prefill import narrative_draft
    from reporting.summary import Owner, generate
    from services.demo import load_services_demo
    from staff.demo import load_staff_demo

    centres = load_centres_demo()
    load_staff_demo(centres)
    load_services_demo(centres)
    ciqikou = centres["ciqikou"]
    figures = party.party_figures(
        centre_ids=[ciqikou.pk], period=Period.year(2024), today=dt.date(2025, 6, 1)
    )
    counts = figures.counts
    assert (counts.at_work, counts.developed, counts.probationary) == (11, 4, 4)
    assert counts.transferred_out == 1  # the member who left in January
    c = figures.compliance[ciqikou.pk]
    assert (c.due, c.met) == (20, 19)
    assert [(r.kind, slot.label) for r, slot in c.missed] == [("党员大会", "2024年第4季度")]

    summary = generate(owner=Owner(name=ciqikou.name, centre=ciqikou), period=Period.year(2024))
    (section,) = [x for x in summary["sections"] if x["key"] == "activities"]
    texts = [clause["text"] for clause in section["clauses"][:3]]
    assert texts[0] == "中心于2021年5月成立党支部，2023年7月成立支部委员会"
    assert texts[1] == "在职党员11人（其中预备党员4人），本年度发展党员4人"
    assert "召开党员大会3次（应开4个季度，按期3个季度）" in texts[2]
    assert summary["refs"]["party.at_work"]["value"] == "11人"
    narrative = narrative_draft(ciqikou, 2024)
    assert "中心于2021年5月成立党支部，2023年7月成立支部委员会" in narrative
    assert "在职党员11人" in narrative and "2024年第4季度未召开党员大会" in narrative
