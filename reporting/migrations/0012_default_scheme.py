"""Ship the dashboard's fixed score as a scheme: every top commission gets it as its default,
and the commissions below read it from there until they set their own (reporting.selectors.
default_scheme). The items are frozen here as they were: reporting.assessment.DEFAULT_ITEMS."""

from decimal import Decimal

from django.db import migrations

WHOLE = {"zero_at": "0", "full_at": "100"}
ITEMS = [
    ("fd_rate", "value", Decimal(15), WHOLE),
    ("elderly_check_rate", "value", Decimal(20), WHOLE),
    ("htn_std_rate", "value", Decimal(20), WHOLE),
    ("dm_std_rate", "value", Decimal(20), WHOLE),
    ("completeness", "value", Decimal(15), WHOLE),
    ("opd_visits", "growth", Decimal(10), {"zero_at": "-50", "full_at": "50"}),
]


def ship(apps, schema_editor):
    Authority = apps.get_model("centers", "Authority")
    Scheme = apps.get_model("reporting", "Scheme")
    SchemeItem = apps.get_model("reporting", "SchemeItem")
    for authority in Authority.objects.filter(parent__isnull=True):
        if Scheme.objects.filter(authority=authority, is_default=True).exists():
            continue
        name = "综合得分"
        if Scheme.objects.filter(authority=authority, name=name).exists():
            name = "综合得分（默认）"
        scheme = Scheme.objects.create(
            authority=authority, name=name, period_kind="year", is_default=True
        )
        SchemeItem.objects.bulk_create(
            SchemeItem(
                scheme=scheme,
                code=code,
                measure=measure,
                weight=weight,
                rule="linear",
                params=dict(params),
                position=n,
            )
            for n, (code, measure, weight, params) in enumerate(ITEMS, 1)
        )


class Migration(migrations.Migration):
    dependencies = [("reporting", "0011_assessment_schemes")]

    operations = [migrations.RunPython(ship, migrations.RunPython.noop)]
