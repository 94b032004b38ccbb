"""Going back past services 0023: the cells a rollup state records fold into their years, the
only keys an older release reads."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps

from services.models import RollupState

pytestmark = pytest.mark.django_db


def test_going_back_folds_each_years_cells_into_the_year_with_the_latest_stamp(
    centre, other_centre
):
    migration = import_module("services.migrations.0023_dirty_cell_keys")
    RollupState.objects.create(
        centre=centre, dirty_years={"2024/5": 3, "2024/7": 6, "2023": 2, "2023/5": 4}
    )
    RollupState.objects.create(centre=other_centre, dirty_years={"2024": 9})
    migration.years_only(apps, None)
    assert RollupState.objects.get(centre=centre).dirty_years == {"2024": 6, "2023": 4}
    assert RollupState.objects.get(centre=other_centre).dirty_years == {"2024": 9}
