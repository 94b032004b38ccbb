"""The activity kinds the seeds' summaries count (支部共建, 集体谈话 …), added where missing."""

from django.db import migrations

KINDS = [
    ("支部共建", "人次"),
    ("组织生活会", "人"),
    ("集体谈话", "人"),
    ("个别谈话", "人次"),
    ("宣传月", "人次"),
    ("安全生产研判", "人次"),
    ("反恐防暴演练", "人次"),
]


def add_kinds(apps, schema_editor):
    kind = apps.get_model("services", "ActivityKind")
    last = kind.objects.order_by("-position").values_list("position", flat=True).first() or 0
    for offset, (name, counts) in enumerate(KINDS, 1):
        kind.objects.get_or_create(
            name=name, defaults={"counts_label": counts, "position": last + offset}
        )


class Migration(migrations.Migration):
    dependencies = [("services", "0014_rate_versions")]

    operations = [migrations.RunPython(add_kinds, migrations.RunPython.noop)]
