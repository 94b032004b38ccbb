"""Summaries written with fixed text keys (intro, a note per section, problems, plans) become
outlines (reporting/outline.py): the same document, now with sections the author can shape.
Every version is converted too, so old versions still open and restore."""

from django.db import migrations

from reporting.outline_legacy import downgrade, is_legacy, upgrade

BATCH = 500


def _rewrite(model, rows, change, sources) -> None:
    """Convert `rows` of `model`, writing them back BATCH at a time (versions can be many)."""
    changed = []
    for row in rows:
        texts = change(row.texts, row.figures, sources(row))
        if texts is not None:
            row.texts = texts
            changed.append(row)
        if len(changed) >= BATCH:
            model.objects.bulk_update(changed, ["texts"])
            changed = []
    model.objects.bulk_update(changed, ["texts"])


def _convert(apps, change) -> None:
    Summary = apps.get_model("reporting", "Summary")
    SummaryVersion = apps.get_model("reporting", "SummaryVersion")
    # A version's compiled paragraphs are known by its summary's sources.
    sources = dict(Summary.objects.values_list("pk", "sources"))
    summaries = Summary.objects.only("texts", "figures", "sources").order_by("pk")
    _rewrite(Summary, list(summaries), change, lambda row: row.sources)
    versions = SummaryVersion.objects.only("summary_id", "texts", "figures").order_by("pk")
    _rewrite(
        SummaryVersion, versions.iterator(BATCH), change, lambda row: sources.get(row.summary_id)
    )


def forwards(apps, schema_editor) -> None:
    _convert(apps, lambda t, f, s: upgrade(t, f, s) if is_legacy(t) else None)


def backwards(apps, schema_editor) -> None:
    _convert(apps, lambda t, f, s: None if is_legacy(t) else downgrade(t))


class Migration(migrations.Migration):
    dependencies = [("reporting", "0015_notification_month_review")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
