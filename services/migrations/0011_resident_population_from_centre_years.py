"""辖区常住人口 lives in one place, the yearly tally `res_pop` (the rates read it): a population
typed only on a centre's yearly figures (centers.CentreYear) is carried into the tally, and
centers 0006 then drops the field. Where both hold a value the tally's stays: it is the one
every figure was computed with."""

import datetime as dt

from django.db import migrations
from django.db.models import F
from django.utils import timezone


def carry_populations(apps, schema_editor):
    centre_year = apps.get_model("centers", "CentreYear")
    indicator = apps.get_model("services", "Indicator")
    tally = apps.get_model("services", "TallyValue")
    state = apps.get_model("services", "RollupState")
    res_pop = indicator.objects.filter(code="res_pop").first()
    if res_pop is None:
        return
    typed = centre_year.objects.exclude(resident_population=None).values_list(
        "centre_id", "year", "resident_population"
    )
    have = set(tally.objects.filter(indicator=res_pop).values_list("centre_id", "period"))
    new = [
        tally(centre_id=c, indicator=res_pop, period=dt.date(y, 1, 1), value=people)
        for c, y, people in typed
        if (c, dt.date(y, 1, 1)) not in have
    ]
    tally.objects.bulk_create(new)
    # Their rollups were built without these values: computed live until beat's sweep of stale
    # centres queues the refresh, which rebuilds them whole (another catalogue key).
    state.objects.filter(centre_id__in={t.centre_id for t in new}).update(
        catalogue="", changed=F("changed") + 1, changed_at=timezone.now()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0010_open_month_requests"),
        ("centers", "0005_reporting_since_and_backfill"),
    ]

    operations = [migrations.RunPython(carry_populations, migrations.RunPython.noop)]
