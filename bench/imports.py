"""Time a 10,000-row 花名册 through the import pipeline against bare baselines, interleaved.

Run:  .venv/bin/python bench/imports.py            (SQLite)
      DATABASE_URL=postgres://postgres@127.0.0.1:5432/chc .venv/bin/python bench/imports.py

Each round, on a new centre: A = the pipeline's check (archive inspection, parse, plan against
the roster) beside a bare openpyxl read of the same file; B = the pipeline's apply (people,
spells, audit rows in bulk, one transaction) beside a bare bulk insert of the same people and
spells with no checks and no audit. Rounds alternate A/B pairs; medians and ratios are printed
with the query counts of the apply.
"""

from __future__ import annotations

import datetime as dt
import io
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
from django.core.files.base import ContentFile  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402
from openpyxl import Workbook, load_workbook  # noqa: E402

from centers.models import Authority, Centre, Department  # noqa: E402
from core import imports  # noqa: E402
from core.models import ImportJob  # noqa: E402
from staff.excel import HEADERS  # noqa: E402
from staff.models import Person, Spell  # noqa: E402
from staff.validators import id_check_digit  # noqa: E402

ROWS = 10_000
ROUNDS = 3


def roster(n: int) -> bytes:
    """n people as an office writes them: every column filled, a few who left."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for i in range(n):
        born = dt.date(1960, 1, 1) + dt.timedelta(days=(i % 2000) * 7)
        first17 = f"500106{born:%Y%m%d}{i // 2000:03d}"  # 2,000 birth dates × 5
        left = i % 10 == 0
        sheet.append(
            [
                f"职工{i:05d}", "女" if i % 2 else "男", born.isoformat(),
                first17 + id_check_digit(first17), "注册护士", "", "", "师级/助理", "", "本科",
                "编外-合同制", "职工", "全科门诊", "否", "2020-03-01",
                "2024-06-30" if left else "", "辞职" if left else "",
            ]
        )  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def new_centre(authority, n: int) -> Centre:
    centre = Centre.objects.create(name=f"测试中心{n}", slug=f"bench-{n}", sponsor=authority)
    Department.objects.create(
        centre=centre, name="全科门诊", kind="clinical", opened_on=dt.date(2019, 1, 1)
    )
    return centre


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def bare_read(content: bytes) -> None:
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    for _row in book.active.iter_rows(values_only=True):
        pass
    book.close()


def bare_insert(centre: Centre, rows: list[dict]) -> None:
    """The same people and spells, straight in: what any bulk write costs here."""
    with transaction.atomic():
        people, spells = [], []
        for r in rows:
            v = r["values"]
            person = Person(
                centre=centre, name=v["name"], gender=v["gender"],
                birth_date=dt.date.fromisoformat(v["birth_date"]), id_number=v["id_number"],
                education=v["education"], degree=v["degree"], party_member=v["party_member"],
            )  # fmt: skip
            people.append(person)
            spells.append(
                Spell(
                    person=person,
                    centre=centre,
                    hired_on=dt.date(2020, 3, 1),
                    category=v["category"],
                    title=v["title"],
                    establishment=v["establishment"],
                    contract_kind=v["contract_kind"],
                    position=v["position"],
                )
            )
        Person.objects.bulk_create(people, batch_size=1000)
        for spell in spells:
            spell.person = spell.person
        Spell.objects.bulk_create(spells, batch_size=1000)


def main() -> None:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with scopes_disabled():
            run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run() -> None:
    actor = get_user_model().objects.create(username="bench")
    authority = Authority.objects.create(name="区卫健委", slug="bench")
    content = roster(ROWS)
    print(f"{ROWS} rows, {len(content) / 1024:.0f} KB ({connection.vendor})")
    check, read, apply, insert, queries = [], [], [], [], []
    for n in range(ROUNDS):
        centre = new_centre(authority, n)
        job = ImportJob.objects.create(
            kind="roster",
            centre=centre,
            filename="花名册.xlsx",
            file=ContentFile(content, name="花名册.xlsx"),
        )
        check.append(timed(lambda job=job: imports.run_check(job.pk, in_worker=False)))
        read.append(timed(lambda: bare_read(content)))
        job.refresh_from_db()
        bad = [r["errors"] for r in job.plan.get("rows", []) if r["errors"]][:3]
        assert job.status == ImportJob.Status.PREVIEW and not bad, (job.errors, bad)
        rows = job.plan["rows"]
        # What import_confirm does, without its hand-off (which would run the apply inline here).
        job.status, job.result = ImportJob.Status.APPLYING, {"confirmed_by": actor.pk}
        job.save()
        with CaptureQueriesContext(connection) as captured:
            apply.append(timed(lambda job=job: imports.run_apply(job.pk)))
        queries.append(len(captured.captured_queries))
        job.refresh_from_db()
        assert job.status == ImportJob.Status.APPLIED, job.errors
        insert.append(
            timed(lambda rows=rows, n=n: bare_insert(new_centre(authority, 100 + n), rows))
        )
    for name, ours, bare in (("check", check, read), ("apply", apply, insert)):
        a, b = statistics.median(ours), statistics.median(bare)
        print(f"{name:6} {a:6.2f} s   bare {b:6.2f} s   ratio {a / b:5.2f}×")
    print(f"apply queries per run: {queries}")


if __name__ == "__main__":
    main()
