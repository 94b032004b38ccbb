"""In-process profile of the tally cell save (bench/cell_save.py's request), one clerk, PostgreSQL.

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/chc .venv/bin/python -m bench.profile_save
      ... --queries          (list the SQL of one save)

Builds a throwaway test database with the demo, moves 磁器口's last two years forward to this
month as bench/cell_save.py does, and times `--runs` saves of an open month's cell through
django.test.Client (force_login; eager Celery, so the refresh each save queues is not counted:
it runs in the worker in production). Prints ms per save and the queries of one save, then a
cProfile of the saves.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.profile_pages import HOST, load_data, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--queries", action="store_true")
    args = parser.parse_args()
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core import rawsql

    settings.CELERY_TASK_ALWAYS_EAGER = False  # the refresh is the worker's, not the request's
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        load_data()
        client, month, value = _setup()
        url = "/centres/ciqikou/tallies/cell/"

        def save() -> None:
            nonlocal value
            data = {"indicator": "opd_visits", "period": month, "value": value + 1}
            response = client.post(url, data | {"base": value}, HTTP_HX_REQUEST="true")
            assert response.status_code == 200 and str(value + 1).encode() in response.content
            value += 1

        for _ in range(5):
            save()
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            save()
            times.append((time.perf_counter() - start) * 1000)
        with CaptureQueriesContext(connection) as queries, rawsql.round_trips() as reads:
            save()
        print(
            f"{args.runs} saves: median {statistics.median(times):.2f} ms, {len(queries)} queries, "
            f"{reads[0]} waits for PostgreSQL's answer (round trips)"
        )
        if args.queries:
            for i, q in enumerate(queries, 1):
                print(f"{i:>3}. {q['sql'][:300]}")
        import cProfile
        import pstats
        import sys

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.runs):
            save()
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.strip_dirs()
        stats.sort_stats("cumulative").print_stats(args.limit)
        stats.sort_stats("tottime").print_stats(args.limit // 2)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _setup():
    """A clerk's client and an open month of 磁器口 with history, as bench/cell_save.py builds."""

    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from centers.models import Centre
    from services.models import Indicator, TallyValue
    from services.rollups import build

    with scopes_disabled():
        centre = Centre.objects.get(slug="ciqikou")
        month = timezone.localdate().replace(day=1)
        last = TallyValue.objects.filter(centre=centre).order_by("-period").first().period
        shift = max(0, month.year - last.year)
        moved = []
        for v in TallyValue.objects.filter(centre=centre, period__year__gte=last.year - 1):
            period = v.period.replace(year=v.period.year + shift)
            if period <= month:
                moved.append(
                    TallyValue(
                        centre=centre, indicator_id=v.indicator_id, value=v.value, period=period
                    )
                )
        TallyValue.objects.bulk_create(moved, ignore_conflicts=True)
        ind = Indicator.objects.get(code="opd_visits")
        cell, _ = TallyValue.objects.get_or_create(
            centre=centre, indicator=ind, period=month, defaults={"value": 1000}
        )
        build([centre.pk])
    client = Client(HTTP_HOST=HOST)
    client.force_login(get_user_model().objects.get(username="clerk"))
    return client, f"{month:%Y-%m-%d}", int(cell.value)


if __name__ == "__main__":
    main()
