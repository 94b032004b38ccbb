"""Time the foundation's pages at city scale: 1 city, 40 districts, 1,000 centres.

Run:  .venv/bin/python bench/pages.py            (SQLite)
      DATABASE_URL=postgres://postgres@127.0.0.1:5432/chc .venv/bin/python bench/pages.py
It builds a throwaway test database, prints median milliseconds and query counts per page.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import warnings

import django

warnings.filterwarnings("ignore", "No directory at")

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from centers.models import (  # noqa: E402
    Authority,
    AuthorityMembership,
    Centre,
    CentreMembership,
)

RUNS = 30


def build() -> dict:
    """A city of 40 districts × 25 centres, 10 members each, plus one reviewer per level."""
    User = get_user_model()
    city = Authority.objects.create(name="市卫健委", slug="city")
    districts = Authority.objects.bulk_create(
        [Authority(name=f"第{i}区卫健委", slug=f"d{i}", parent=city) for i in range(40)]
    )
    centres = Centre.objects.bulk_create(
        [
            Centre(name=f"第{i}社区卫生服务中心", slug=f"c{i}", sponsor=districts[i % 40])
            for i in range(1000)
        ]
    )
    users = User.objects.bulk_create([User(username=f"u{i}") for i in range(10_000)])
    CentreMembership.objects.bulk_create(
        [
            CentreMembership(
                user=u, centre=centres[i // 10], role="MANAGER" if i % 10 == 0 else "CLERK"
            )
            for i, u in enumerate(users)
        ]
    )
    city_reviewer = User.objects.create(username="cityrev")
    AuthorityMembership.objects.create(user=city_reviewer, authority=city)
    return {"manager": users[0], "city_reviewer": city_reviewer, "centre": centres[0]}


def measure(client: Client, url: str) -> tuple[float, int]:
    """Median wall time in ms over RUNS requests, and the queries one request runs."""
    client.get(url)  # warm caches
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(times), len(queries)


def main() -> None:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        data = build()
        manager, reviewer = Client(), Client()
        manager.force_login(data["manager"])
        reviewer.force_login(data["city_reviewer"])
        slug = data["centre"].slug
        rows = [
            ("centre overview (manager)", manager, f"/centres/{slug}/"),
            ("members (manager, 10 members)", manager, f"/centres/{slug}/members/"),
            ("centre overview (city reviewer)", reviewer, f"/centres/{slug}/"),
            ("city centre list, page 1 of 40", reviewer, "/authorities/city/centres/"),
            ("city centre list, page 40", reviewer, "/authorities/city/centres/?page=40"),
            ("city centre list, search", reviewer, "/authorities/city/centres/?q=99"),
        ]
        print(f"{connection.vendor}, 1,000 centres, median of {RUNS} requests")
        print(f"{'page':<36}{'ms':>8}{'queries':>9}")
        for label, client, url in rows:
            ms, queries = measure(client, url)
            print(f"{label:<36}{ms:>8.1f}{queries:>9}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
