"""City-scale benchmark: 1,000 centres in 40 districts, 60 staff each, 40 indicators × 60 months.

Run (PostgreSQL only; it builds and drops its own test database):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chc .venv/bin/python bench/city.py

Each figure is printed beside a bare baseline run in the same process on the same data, the two
interleaved A B A B: the plain SQL aggregate for the same figures (no rollups), or WeasyPrint on the
already-rendered page. The ratio is the median of the pairs' ours ÷ bare, with its min–max.
Summaries are timed fresh (every centre's rollups current) and stale (centres with a write whose
refresh has not run, which the figures door computes live from the tallies): one district's 25,
one centre in ten, and every centre, each having saved a cell (its indicator live, the rest from
rollups) or pushed a month (the whole year live). Targets (issue 12): district summary ≤ 50 ms
and ≤ 2× bare, fresh or stale; city summary ≤ 300 ms fresh or stale; city dashboard ≤ 300 ms
and ≤ 150 KB a page; PDF ≤ 1.5× bare. The cell save is measured on the production path by
bench/cell_save.py.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import random
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
warnings.filterwarnings("ignore", "No directory at")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import F  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from centers.models import Authority, AuthorityMembership, Centre  # noqa: E402
from core import heap  # noqa: E402
from core.periods import Period  # noqa: E402
from services.models import Indicator, RollupState  # noqa: E402
from services.rollups import dirty_keys  # noqa: E402

DISTRICTS, CENTRES, STAFF, MONTHS = 40, 1000, 60, 60
FIRST_YEAR = 2020  # 60 months: 2020-01 … 2024-12
RUNS = 15
PERIOD = Period.half(2024, 1)
TODAY = dt.date(2025, 3, 1)
# The 40 indicators: everything the summary and the dashboard quote, then others to make up 40.
NEEDED = [
    "res_pop", "rec_filed", "rec_e_filed", "rec_active", "rec_total", "vac_due", "vac_done",
    "live_births", "newborn_visited", "child_pop", "child_managed", "elderly_pop",
    "elderly_managed", "elderly_checked", "htn_expected", "htn_managed", "htn_standard",
    "dm_expected", "dm_managed", "dm_standard", "smi_registered", "smi_standard", "fd_signed",
    "key_pop", "fd_key_signed", "total_visits", "opd_visits", "discharges", "medical_income",
    "opd_income", "referrals_up", "referrals_down", "tcm_visits", "edu_lectures",
    "edu_lecture_people", "tb_notified", "tb_managed", "id_registered", "id_reported", "id_timely",
]  # fmt: skip


def _copy(table: str, columns: str, rows) -> None:
    """COPY rows into a table: the fast way to write millions of values."""
    with (
        connection.cursor() as cursor,
        cursor.connection.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _tally_rows(centres: list[int], indicators: list[Indicator]):
    rng = random.Random(7)
    months = [dt.date(FIRST_YEAR + i // 12, i % 12 + 1, 1) for i in range(MONTHS)]
    for centre in centres:
        size = rng.uniform(0.6, 1.6)
        for ind in indicators:
            base = 40_000 * size if ind.aggregation == "stock" else 2_000 * size
            periods = months if ind.frequency == "monthly" else months[::12]
            for i, month in enumerate(periods):
                if month == dt.date(2024, 5, 1) and centre % 97 == 0:
                    continue  # a few centres have not entered May 2024
                value = round(base * (1 + 0.004 * i) * rng.uniform(0.9, 1.1))
                yield (centre, ind.pk, month, value, "", TODAY)


def build() -> dict:
    """The city, its people, its tallies and month reports; prints how long each part took."""
    started = time.perf_counter()
    city = Authority.objects.create(name="市卫健委", slug="city")
    districts = Authority.objects.bulk_create(
        [Authority(name=f"第{i}区卫健委", slug=f"d{i}", parent=city) for i in range(DISTRICTS)]
    )
    centres = Centre.objects.bulk_create(
        [
            Centre(name=f"第{i}社区卫生服务中心", slug=f"c{i}", sponsor=districts[i % DISTRICTS])
            for i in range(CENTRES)
        ]
    )
    ids = [c.pk for c in centres]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, code FROM services_indicator")
        by_code = {code: pk for pk, code in cursor.fetchall()}
    indicators = list(Indicator.objects.filter(pk__in=[by_code[c] for c in NEEDED]))
    _copy(
        "staff_person",
        "centre_id, name, gender, birth_date, id_number, education, degree, party_member, "
        "created_at, updated_at",
        (
            (c, f"职工{c}-{n}", "F" if n % 3 else "M", dt.date(1970 + n % 35, 1 + n % 12, 1),
             "", "", "", False, TODAY, TODAY)
            for c in ids
            for n in range(STAFF)
        ),
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, centre_id FROM staff_person ORDER BY id")
        people = cursor.fetchall()
    categories = ["physician", "nurse", "nurse", "pharmacist", "technician", "other_health"]
    _copy(
        "staff_spell",
        "person_id, centre_id, hired_on, left_on, leave_reason, category, practice_type, "
        "general_practice, title, title_name, establishment, contract_kind, position, created_at, "
        "updated_at",
        (
            (pk, centre, dt.date(2015 + n % 9, 1 + n % 12, 1),
             dt.date(2024, 1 + n % 6, 15) if n % 13 == 0 else None,
             "resigned" if n % 13 == 0 else "", categories[n % 6], "", n % 6 == 0,
             "junior", "", "off" if n % 4 == 0 else "on", "contract", "staff", TODAY, TODAY)
            for n, (pk, centre) in enumerate(people)
        ),
    )  # fmt: skip
    staff_done = time.perf_counter()
    _copy(
        "services_tallyvalue",
        "centre_id, indicator_id, period, value, comment, updated_at",
        _tally_rows(ids, indicators),
    )
    _copy(
        "services_monthreport",
        "centre_id, period, state, created_at, updated_at",
        (
            (c, dt.date(FIRST_YEAR + i // 12, i % 12 + 1, 1), "submitted", TODAY, TODAY)
            for c in ids
            for i in range(MONTHS)
            if not (i == 52 and c % 97 == 0)
        ),
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM services_tallyvalue")
        values = cursor.fetchone()[0]
    User = get_user_model()
    reviewer = User.objects.create(username="cityrev")
    AuthorityMembership.objects.create(user=reviewer, authority=city, role="REVIEWER")
    print(
        f"built: {CENTRES:,} centres, {len(people):,} staff, {values:,} tally values "
        f"(staff {staff_done - started:.0f} s, tallies {time.perf_counter() - staff_done:.0f} s)"
    )
    return {"city": city, "district": districts[0], "centre": centres[0], "reviewer": reviewer}


def timed(fn, runs: int = RUNS) -> float:
    """Median milliseconds of fn() after one warm-up call."""
    fn()
    return statistics.median(_clock(fn) for _ in range(runs))


def _clock(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def paired(ours, bare, runs: int = RUNS) -> tuple[float, float, list[float]]:
    """Ours and the baseline interleaved A B A B after a warm-up of each: (median ms of ours,
    median ms of bare, the per-pair ratios ours ÷ bare)."""
    ours()
    bare()
    a, b = [], []
    for _ in range(runs):
        a.append(_clock(ours))
        b.append(_clock(bare))
    return statistics.median(a), statistics.median(b), [x / y for x, y in zip(a, b, strict=True)]


BARE_TALLIES = """
WITH rows AS (
  SELECT t.centre_id, t.indicator_id, i.aggregation, i.frequency, t.period, t.value
  FROM services_tallyvalue t
  JOIN services_indicator i ON i.id = t.indicator_id
  JOIN centers_centre c ON c.id = t.centre_id
  WHERE c.sponsor_id = ANY(%(authorities)s) AND t.period BETWEEN %(from)s AND %(to)s
), flows AS (
  SELECT centre_id, indicator_id,
         SUM(value) FILTER (WHERE period BETWEEN %(first)s AND %(last)s) AS now_v,
         SUM(value) FILTER (WHERE period BETWEEN %(pfirst)s AND %(plast)s) AS then_v
  FROM rows WHERE aggregation = 'flow' AND frequency = 'monthly' GROUP BY 1, 2
), stocks AS (
  SELECT DISTINCT ON (centre_id, indicator_id, span) centre_id, indicator_id, span, value
  FROM (SELECT *, CASE WHEN period BETWEEN %(first)s AND %(last)s THEN 0
                       WHEN period BETWEEN %(pfirst)s AND %(plast)s THEN 1 END AS span
        FROM rows WHERE frequency = 'monthly' AND aggregation = 'stock') s
  WHERE span IS NOT NULL ORDER BY centre_id, indicator_id, span, period DESC
)
SELECT indicator_id, SUM(now_v), SUM(then_v) FROM flows GROUP BY 1
UNION ALL
SELECT indicator_id, SUM(value) FILTER (WHERE span = 0), SUM(value) FILTER (WHERE span = 1)
FROM stocks GROUP BY 1
"""
MONTH_ENDS = ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30"]
ON_DAY = "hired_on <= '{d}' AND (left_on IS NULL OR left_on >= '{d}')"
BARE_STAFF = (
    "SELECT count(*) FILTER (WHERE left_on BETWEEN %(start)s AND %(end)s), "
    "count(*) FILTER (WHERE hired_on BETWEEN %(start)s AND %(end)s) , "
    + "".join(
        f"count(*) FILTER (WHERE {cond} AND {ON_DAY.format(d='2024-06-30')}), "
        for cond in (
            "category IN ('physician', 'assistant_physician')",
            "category IN ('physician', 'assistant_physician') AND general_practice",
            "category = 'nurse'",
            "category <> 'other'",
        )
    )
    + ", ".join(
        f"count(*) FILTER (WHERE {ON_DAY.format(d=d)}), "
        f"count(*) FILTER (WHERE establishment = 'off' AND {ON_DAY.format(d=d)})"
        for d in MONTH_ENDS
    )
    + " FROM staff_spell s JOIN centers_centre c ON c.id = s.centre_id"
    " WHERE c.sponsor_id = ANY(%(authorities)s)"
)  # the roster figures a summary quotes: month-end headcounts and off-establishment for the
# average, hires, departures, physicians, GPs, nurses, health professionals at the period's end


BARE_REPORTS = """
SELECT period, count(*) FROM services_monthreport r JOIN centers_centre c ON c.id = r.centre_id
WHERE c.sponsor_id = ANY(%(authorities)s) AND period BETWEEN %(first)s AND %(last)s GROUP BY 1
"""


def bare_summary(authorities: list[int]) -> None:
    """The same tally, roster and reporting figures in hand-written SQL, without sentences."""
    earlier = PERIOD.year_earlier()
    params = {
        "authorities": authorities,
        "from": earlier.first,
        "to": PERIOD.last,
        "first": PERIOD.first,
        "last": PERIOD.last,
        "pfirst": earlier.first,
        "plast": earlier.last,
        "start": PERIOD.first,
        "end": dt.date(2024, 6, 30),
    }
    with connection.cursor() as cursor:
        cursor.execute(BARE_TALLIES, params)
        cursor.fetchall()
        cursor.execute(BARE_STAFF, params)
        cursor.fetchall()
        cursor.execute(BARE_REPORTS, params)
        cursor.fetchall()


# Issue 12's targets: (most ms, most ours ÷ bare, most KB) by what the line measures.
TARGETS = {
    "district summary": (50, 2.0, None),
    "city summary": (300, None, None),
    "dashboard, city": (300, None, 150),
    "annual report PDF": (None, 1.5, None),
}


def verdict(label: str, ours: float, ratio: float | None, size: float | None) -> str:
    """The line's target and whether this run met it ("" for lines without one)."""
    target = next((t for prefix, t in TARGETS.items() if label.startswith(prefix)), None)
    if target is None:
        return ""
    ms, times, kb = target
    parts, met = [], True
    for limit, got, unit in ((ms, ours, " ms"), (times, ratio, "×"), (kb, size, " KB")):
        if limit is not None:
            parts.append(f"≤ {limit:g}{unit}")
            met = met and got is not None and got <= limit
    return f"[target {', '.join(parts)}: {'met' if met else 'NOT MET'}]"


def report(
    label: str, ours: float, bare: float | None, note: str = "", ratios=(), size=None
) -> None:
    """One line: ours, the baseline, the median ratio of the pairs and its min–max, the target."""
    mid = statistics.median(ratios) if bare and ratios else None
    ratio = " " * 20 if mid is None else f"{mid:>6.2f}× ({min(ratios):.2f}–{max(ratios):.2f})"
    base = f"{bare:>9.1f}" if bare else " " * 9
    print(f"{label:<44}{ours:>9.1f}{base}{ratio:<22}{note}  {verdict(label, ours, mid, size)}")


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("bench/city.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    setup_test_environment()
    keep = "--keepdb" in sys.argv  # reuse the city of an earlier --keepdb run (for profiling)
    # Not serialized: the test runner's copy for rolling back transactional tests, which read
    # every one of a kept city's two million tallies into a string (minutes, before any timing).
    old_name = connection.creation.create_test_db(
        verbosity=0, autoclobber=not keep, keepdb=keep, serialize=False
    )
    try:
        with scopes_disabled():
            run(_existing() if keep and Centre.objects.count() == CENTRES else build())
    finally:
        if not keep:
            connection.creation.destroy_test_db(old_name, verbosity=0)


def _existing() -> dict:
    """The data dict of a city built by an earlier run."""
    return {
        "city": Authority.objects.get(slug="city"),
        "district": Authority.objects.get(slug="d0"),
        "centre": Centre.objects.order_by("pk").first(),
        "reviewer": get_user_model().objects.get(username="cityrev"),
    }


def stale(centre_ids, year: int = 2024, indicator: str | None = "opd_visits") -> None:
    """As if each of these centres had just saved a cell of `indicator` in `year` (None: pushed
    a whole month of it, as an import or the API does) whose refresh has not run yet
    (services.rollups.mark_changed's stamp, without queueing the refresh)."""
    indicators = None if indicator is None else [Indicator.objects.get(code=indicator).pk]
    with connection.cursor() as cursor:
        for key in dirty_keys([year], indicators):
            cursor.execute(
                "UPDATE services_rollupstate SET changed = built + 1,"
                " dirty_years = jsonb_build_object(%s::text, built + 1) WHERE centre_id = ANY(%s)",
                [key, list(centre_ids)],
            )


def fresh() -> None:
    """Back to every centre's rollups being current (the data did not change)."""
    RollupState.objects.update(changed=F("built"), dirty_years={})


def run(data: dict) -> None:
    from django.core.management import call_command

    from reporting.summary import Owner, generate

    logging.getLogger("chc.request").setLevel(logging.WARNING)  # a line per request otherwise
    if RollupState.objects.filter(built__gte=1).count() < CENTRES:
        started = time.perf_counter()
        out = io.StringIO()
        call_command("build_rollups", stdout=out)
        print(f"rollups: {out.getvalue().strip()} in {time.perf_counter() - started:.0f} s")
        with connection.cursor() as cursor:
            # The planner's statistics and the visibility map, as autovacuum leaves them after a
            # bulk load (it may be off on a test server: without it every index-only read of the
            # tallies visits the table too).
            cursor.execute("VACUUM ANALYZE")
    fresh()
    # As a served worker runs (config/deploy/gunicorn.conf.py): what start-up loaded frozen, young
    # objects collected less often. Unfrozen, full collections that rescanned Django, the app and
    # this set-up added ~90 ms to every other city dashboard here.
    heap.settle()

    district, city = data["district"], data["city"]
    all_ids = [city.pk, *Authority.objects.filter(parent=city).values_list("pk", flat=True)]
    district_owner = Owner(name=district.name, authority=district, authority_ids=(district.pk,))
    city_owner = Owner(name=city.name, authority=city, authority_ids=tuple(all_ids))
    district_centres = list(district.centres.values_list("pk", flat=True))
    every = list(Centre.objects.values_list("pk", flat=True))
    print(f"{'median of ' + str(RUNS) + ', interleaved':<44}{'ours ms':>9}{'bare ms':>9}  ratio")
    # Stale: a cell saved into the summarised year 2024 (its indicator computed live, the rest
    # from rollups), a month pushed into it (the whole year live), or a cell saved into this
    # month (2025-02, open on TODAY), which leaves 2024's spans current.
    cell, month = "opd_visits", None
    cases = (
        ("district summary, fresh", district_owner, [district.pk], [], 2024, cell),
        ("district summary, its 25 saved a cell", district_owner, [district.pk],
         district_centres, 2024, cell),
        ("district summary, its 25 pushed a month", district_owner, [district.pk],
         district_centres, 2024, month),
        ("city summary, fresh", city_owner, all_ids, [], 2024, cell),
        ("city summary, 25 saved a cell", city_owner, all_ids, district_centres, 2024, cell),
        ("city summary, 100 saved a cell", city_owner, all_ids, every[::10], 2024, cell),
        ("city summary, all 1,000 saved a cell", city_owner, all_ids, every, 2024, cell),
        ("city summary, 100 pushed a month", city_owner, all_ids, every[::10], 2024, month),
        ("city summary, all 1,000 pushed a month", city_owner, all_ids, every, 2024, month),
        ("city summary, all 1,000 saved this month", city_owner, all_ids, every, 2025, cell),
    )  # fmt: skip
    for label, owner, ids, stale_ids, year, indicator in cases:
        if "--dashboards" in sys.argv:
            break
        if "--only" in sys.argv and sys.argv[sys.argv.index("--only") + 1] not in label:
            continue
        fresh()
        stale(stale_ids, year, indicator)
        with CaptureQueriesContext(connection) as queries:
            generate(owner=owner, period=PERIOD, today=TODAY)
        ours, bare, ratios = paired(
            lambda o=owner: generate(owner=o, period=PERIOD, today=TODAY),
            lambda i=ids: bare_summary(i),
        )
        report(label, ours, bare, f"{len(queries)} queries", ratios)
        if "--profile" in sys.argv:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.runcall(generate, owner=owner, period=PERIOD, today=TODAY)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(18)
        if "-v" in sys.argv:
            for q in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:6]:
                print(f"    {float(q['time']) * 1000:7.1f} ms  {q['sql'][:150]}")
    print("bare: the same tally, roster and reporting figures in hand-written SQL, no rollups")
    fresh()
    dashboards(data, district_centres, every)
    pdf(data)
    print("The cell save is measured on the production path by bench/cell_save.py.")


def dashboards(data: dict, district_centres: list[int], every: list[int]) -> None:
    """The city reviewer's pages over 1,000 centres (first page of a paged table), fresh and with
    some centres stale; no baseline: the targets are absolute (≤ 300 ms, ≤ 150 KB)
    and queries do not grow with centres. bench/pages_http.py compares pages with bare ones."""
    client = Client()
    client.force_login(data["reviewer"])
    for label, url in (
        (
            "dashboard, district",
            f"/authorities/{data['district'].slug}/dashboard/?year=2024&part=h1",
        ),
        ("dashboard, city", "/authorities/city/dashboard/?year=2024&part=h1"),
        ("city centre list, page 1 of 40", "/authorities/city/centres/"),
        ("city centre list, page 40", "/authorities/city/centres/?page=40"),
        ("city centre list, search", "/authorities/city/centres/?q=99"),
    ):
        for state, stale_ids, indicator in (
            ("fresh", [], None),
            ("25 saved a cell", district_centres, "opd_visits"),
            ("25 pushed a month", district_centres, None),
            ("all 1,000 saved a cell", every, "opd_visits"),
        ):
            if "centre list" in label and state != "fresh" and "25" not in state:
                continue
            fresh()
            stale(stale_ids, 2024, indicator)
            count = []
            # Counted by a wrapper: a request resets connection.queries, which CaptureQueries reads.
            with connection.execute_wrapper(lambda run, *args, c=count: c.append(1) or run(*args)):
                response = client.get(url)
            assert response.status_code == 200
            ours = timed(lambda u=url: client.get(u), runs=7)
            size = len(response.content) / 1024
            report(
                f"{label}, {state}",
                ours,
                None,
                f"{len(count)} queries, {size:.0f} KB",
                size=size,
            )
    fresh()


def pdf(data: dict) -> None:
    from weasyprint import HTML

    from reporting.actions import content_of, filing_open
    from reporting.pdf import font_config, report_html, report_pdf

    centre = data["centre"]
    filing = filing_open(centre=centre, year=2024, actor=data["reviewer"])
    content = content_of(filing)
    html = report_html(content=content, centre=centre, year=2024, pdf=True)

    def bare() -> None:
        HTML(string=html, base_url=str(Path(__file__).parent.parent)).write_pdf(
            font_config=font_config()
        )

    ours, base, ratios = paired(
        lambda: report_pdf(content=content, centre=centre, year=2024), bare, runs=5
    )
    report("annual report PDF", ours, base, "bare: WeasyPrint on the same HTML", ratios)


if __name__ == "__main__":
    main()
