"""Rollup states may record cells written ("2024/17": indicator 17's cells of 2024) beside whole
years ("2024"), services.rollups.dirty_keys. Nothing changes going forward: the readers take
both. Going back (`migrate services 0022` before deploying a release older than this one), each
cell key becomes its year's key, the only kind an older release reads: without that it would take
a centre with a cell saved for fresh and fail to refresh it."""

from django.db import migrations


def years_only(apps, schema_editor):
    """Each year's cell keys folded into the year's key, with the latest stamp among them."""
    RollupState = apps.get_model("services", "RollupState")
    for state in RollupState.objects.exclude(dirty_years={}).iterator():
        folded: dict[str, int] = {}
        for key, stamp in state.dirty_years.items():
            year = key.partition("/")[0]
            folded[year] = max(stamp, folded.get(year, stamp))
        if folded != state.dirty_years:
            RollupState.objects.filter(pk=state.pk).update(dirty_years=folded)


class Migration(migrations.Migration):
    dependencies = [("services", "0022_tally_indicator_period_values")]

    operations = [migrations.RunPython(migrations.RunPython.noop, years_only)]
