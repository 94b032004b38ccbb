"""辖区常住人口 moved into one place: a population typed on a centre's yearly figures becomes its
res_pop tally, a tally already entered wins, and the centre's rollups go stale."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("centers", "0005_reporting_since_and_backfill"),
    ("services", "0010_open_month_requests"),
]
AFTER = [
    ("centers", "0006_resident_population_in_tallies"),
    ("services", "0011_resident_population_from_centre_years"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_typed_populations_become_tallies_and_a_tally_entered_wins():
    from services.catalogue import load_catalogue

    old = _migrate(BEFORE)
    models = [old.get_model("services", n) for n in ("Indicator", "Rate", "ValidationRule")]
    load_catalogue(*models, old.get_model("services", "ActivityKind"))  # flushed by the others
    authority = old.get_model("centers", "Authority").objects.create(name="区卫健委", slug="d")
    centre = old.get_model("centers", "Centre").objects.create(
        name="磁器口社区卫生服务中心", slug="c", sponsor=authority
    )
    year = old.get_model("centers", "CentreYear")
    year.objects.create(centre=centre, year=2023, resident_population=51000)
    year.objects.create(centre=centre, year=2024, resident_population=52000)
    year.objects.create(centre=centre, year=2022)  # none typed
    res_pop = old.get_model("services", "Indicator").objects.get(code="res_pop")
    tally = old.get_model("services", "TallyValue")
    tally.objects.create(centre=centre, indicator=res_pop, period=dt.date(2024, 1, 1), value=52015)
    old.get_model("services", "RollupState").objects.create(
        centre=centre, changed=3, built=3, catalogue="abc"
    )

    new = _migrate(AFTER)
    values = dict(
        new.get_model("services", "TallyValue")
        .objects.filter(indicator__code="res_pop")
        .values_list("period", "value")
    )
    assert values == {dt.date(2023, 1, 1): 51000, dt.date(2024, 1, 1): 52015}
    state = new.get_model("services", "RollupState").objects.get(centre_id=centre.pk)
    assert (state.catalogue, state.changed, state.built) == ("", 4, 3)
    fields = {f.name for f in new.get_model("centers", "CentreYear")._meta.get_fields()}
    assert "resident_population" not in fields and "served_population" in fields
    _migrate(_latest())


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()
