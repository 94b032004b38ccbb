"""The usual 经费来源 values; administrators may add more in the admin."""

from django.db import migrations

DEFAULTS = ["财政补助(全额拨款)", "财政补助(差额拨款)", "自收自支"]


def add_defaults(apps, schema_editor):
    FundingSource = apps.get_model("centers", "FundingSource")
    for position, name in enumerate(DEFAULTS, start=1):
        FundingSource.objects.get_or_create(name=name, defaults={"position": position})


class Migration(migrations.Migration):
    dependencies = [("centers", "0002_centre_record")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
