"""辖区常住人口 is entered once, as the yearly tally `res_pop`: services 0011 carried every value
typed here into it first."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("centers", "0005_reporting_since_and_backfill"),
        ("services", "0011_resident_population_from_centre_years"),
    ]

    operations = [migrations.RemoveField(model_name="centreyear", name="resident_population")]
