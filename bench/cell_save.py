"""Tally cell save over real HTTP, with its rollup refresh, against a bare POST of one UPDATE.

Run (PostgreSQL: four writers need row locks; it builds and drops its own test database):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chc_bench .venv/bin/python -m bench.cell_save

One centre with five years of tallies (40 indicators × 60 months, up to this month), served by
Django's threaded WSGI server in this process; 1 and 4 writers, each a logged-in clerk saving its
own indicator of the current month (open: months lock 30 days after they end). Refreshes run
eagerly after each save's commit, in the request's thread, so a save's time includes the refresh
it triggered (as a worker's time would come on top of it). The bare view goes through the same
server and middleware (session, auth, CSRF) and runs one UPDATE of the same cell. Ours and bare
alternate A B A B (PAIRS pairs); printed: p50 per configuration, ours ÷ bare, and the refresh
time per save. "before" is the full history rebuild (`build`) every save used to trigger; it is
timed against today's per-year refresh on the same data, and also served as a configuration
(the refresh task swapped for the full rebuild).

Client threads share the process (and the GIL) with the server: the milliseconds are ceilings,
compare the ratios.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
import statistics
import sys
import threading
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
warnings.filterwarnings("ignore", "No directory at")

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.views.decorators.http import require_POST  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from centers.models import Authority, Centre, CentreMembership  # noqa: E402
from services import rollups  # noqa: E402
from services.models import Indicator, RollupState, TallyValue  # noqa: E402

PAIRS = int(os.environ.get("PAIRS", 3))
SAVES = int(os.environ.get("SAVES", 30))  # per writer per run
WRITERS = ["opd_visits", "tcm_visits", "discharges", "referrals_up"]
THIS_MONTH = timezone.localdate().replace(day=1)


@require_POST
def bare(request):
    """The floor: one UPDATE of the same cell, behind the same middleware."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE services_tallyvalue SET value = %s WHERE centre_id = %s "
            "AND indicator_id = %s AND period = %s",
            [request.POST["value"], request.POST["centre"], request.POST["ind"], THIS_MONTH],
        )
    return HttpResponse("ok")


urlpatterns = [path("bench-bare/", bare), path("", include(settings.ROOT_URLCONF))]


def build() -> dict:
    city = Authority.objects.create(name="市卫健委", slug="city")
    centre = Centre.objects.create(name="磁器口社区卫生服务中心", slug="ciqikou", sponsor=city)
    indicators = list(Indicator.objects.filter(is_active=True).order_by("pk"))
    first = dt.date(THIS_MONTH.year - 4, 1, 1)
    rows = []
    for ind in indicators[:36] + [i for i in indicators if i.code in WRITERS]:
        month = first
        while month <= THIS_MONTH:
            if ind.frequency == "monthly" or month.month == 1:
                rows.append(TallyValue(centre=centre, indicator=ind, period=month, value=1000))
            month = (month + dt.timedelta(days=32)).replace(day=1)
    TallyValue.objects.bulk_create(rows, ignore_conflicts=True)
    User = get_user_model()
    clerks = [User.objects.create(username=f"clerk{i}") for i in range(len(WRITERS))]
    for clerk in clerks:
        CentreMembership.objects.create(user=clerk, centre=centre, role="CLERK")
    rollups.build([centre.pk])
    print(f"data: {len(rows):,} tally values, {THIS_MONTH.year - 4}–{THIS_MONTH:%Y-%m}")
    return {"centre": centre, "clerks": clerks}


def sessions(clerks, port: int) -> list[requests.Session]:
    out = []
    for clerk in clerks:
        client = Client()
        client.force_login(clerk)
        token = secrets.token_hex(16)  # a 32-character CSRF secret, sent as cookie and header
        s = requests.Session()
        s.cookies.set(
            settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value
        )
        s.cookies.set(settings.CSRF_COOKIE_NAME, token)
        s.headers.update(
            {"X-CSRFToken": token, "HX-Request": "true", "Referer": f"http://127.0.0.1:{port}/"}
        )
        out.append(s)
    return out


class Handler(WSGIRequestHandler):
    """No access log; TCP_NODELAY, or a response's second write waits on a delayed ACK (40 ms)."""

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args) -> None:
        pass


class Refreshes:
    """Times every refresh the saves trigger (in whatever thread runs it)."""

    def __init__(self, full: bool):
        self.full, self.lock, self.times, self.count = full, threading.Lock(), [], 0
        self.real, self.depth = rollups.refresh, threading.local()

    def __call__(self, centre_id: int) -> int:
        # Eager: a refresh that queues one more (a save outran it) runs it inside its own commit;
        # only the outermost is timed, so no time counts twice.
        depth = getattr(self.depth, "n", 0)
        self.depth.n = depth + 1
        start = time.perf_counter()
        try:
            if self.full:  # before: every refresh rebuilt the centre's whole history
                return rollups.build([centre_id], from_task=True)
            return self.real(centre_id)
        finally:
            self.depth.n = depth
            with self.lock:
                self.count += 1
                if depth == 0:
                    self.times.append((time.perf_counter() - start) * 1000)


def run(kind: str, n: int, data, port: int, sess, values) -> tuple[list[float], float, int]:
    """n writers × SAVES saves; returns the latencies (ms) and the refresh ms per save."""
    centre = data["centre"]
    ids = {c: Indicator.objects.get(code=c).pk for c in WRITERS}
    refreshes = Refreshes(full=kind == "before")
    rollups.refresh = refreshes
    latencies: list[float] = []
    lock = threading.Lock()

    def writer(i: int) -> None:
        code, s, mine = WRITERS[i], sess[i], []
        for _ in range(SAVES):
            old = values[code]
            values[code] = old + 1
            if kind == "bare":
                url = f"http://127.0.0.1:{port}/bench-bare/"
                form = {"value": values[code], "centre": centre.pk, "ind": ids[code]}
            else:
                url = f"http://127.0.0.1:{port}/centres/{centre.slug}/tallies/cell/"
                form = {
                    "indicator": code,
                    "period": THIS_MONTH.isoformat(),
                    "value": values[code],
                    "base": old,
                }
            start = time.perf_counter()
            r = s.post(url, data=form)
            mine.append((time.perf_counter() - start) * 1000)
            assert r.status_code == 200, (r.status_code, r.text[:300])
            assert kind == "bare" or "is-saved" in r.text, r.text[:500]
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rollups.refresh = refreshes.real
    saves = n * SAVES
    return latencies, sum(refreshes.times) / saves, refreshes.count


def timed(fn, runs: int = 7) -> float:
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("bench/cell_save.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    setup_test_environment()
    settings.ROOT_URLCONF = __name__
    settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
    settings.DEBUG = False
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    server = None
    try:
        with scopes_disabled():
            data = build()
            centre = data["centre"]

            def one_year_refresh() -> None:  # what a save in this month queues now
                state = RollupState.objects.get(centre=centre)
                state.dirty_years = {str(THIS_MONTH.year): state.changed}
                state.save(update_fields=["dirty_years"])
                rollups.refresh(centre.pk)

            full = timed(lambda: rollups.build([centre.pk]))
            part = timed(one_year_refresh)
            print(
                f"worker: full rebuild (before) {full:.1f} ms, per-year refresh (now) {part:.1f} ms"
            )
            server = ThreadedWSGIServer(("127.0.0.1", 0), Handler)
            server.set_app(get_wsgi_application())
            port = server.server_address[1]
            threading.Thread(target=server.serve_forever, daemon=True).start()
            sess = sessions(data["clerks"], port)
            values = {c: 2000 for c in WRITERS}
            for c in WRITERS:
                TallyValue.objects.filter(
                    centre=centre, indicator__code=c, period=THIS_MONTH
                ).update(value=2000)
            run("now", 1, data, port, sess, values)  # warm-up
            run("bare", 1, data, port, sess, values)
            results: dict[tuple[str, int], list] = {}
            for n in (1, 4):
                for _ in range(PAIRS):
                    for kind in ("now", "bare", "before"):  # interleaved A B (C) A B (C) …
                        lat, per_save, count = run(kind, n, data, port, sess, values)
                        results.setdefault((kind, n), []).append((lat, per_save, count))
            head = f"{'p50 ms':>8}{'÷ bare':>8}{'refresh ms/save':>17}{'refreshes':>11}"
            print(f"\n{'config':<22}{head}")
            for n in (1, 4):
                bare_p50 = statistics.median(x for lat, _, _ in results[("bare", n)] for x in lat)
                for kind in ("now", "before", "bare"):
                    runs = results[(kind, n)]
                    p50 = statistics.median(x for lat, _, _ in runs for x in lat)
                    per_save = statistics.median(p for _, p, _ in runs)
                    count = sum(c for _, _, c in runs)
                    saves = n * SAVES * len(runs)
                    note = f"{per_save:>17.1f}{count:>6}/{saves}" if kind != "bare" else ""
                    print(f"{kind + f' ×{n} writers':<22}{p50:>8.1f}{p50 / bare_p50:>7.2f}×{note}")
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
