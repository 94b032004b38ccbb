"""Load the default indicator catalogue, rates, validation rules and activity kinds."""

from django.db import migrations


def load(apps, schema_editor):
    from services.catalogue import load_catalogue

    load_catalogue(
        apps.get_model("services", "Indicator"),
        apps.get_model("services", "Rate"),
        apps.get_model("services", "ValidationRule"),
        apps.get_model("services", "ActivityKind"),
    )


class Migration(migrations.Migration):
    dependencies = [("services", "0001_tallies")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
