"""python manage.py build_rollups: compute every centre's half-year and year figures ahead."""

from django.core.management.base import BaseCommand
from django_scopes import scopes_disabled

from centers.models import Centre
from services.rollups import build


class Command(BaseCommand):
    help = "Build the figure rollups of all centres (afterwards each tally save refreshes its own)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=100, help="centres per batch")

    def handle(self, *args, **options):
        with scopes_disabled():
            ids = list(Centre.objects.order_by("pk").values_list("pk", flat=True))
            written = 0
            for i in range(0, len(ids), options["batch"]):
                written += build(ids[i : i + options["batch"]])
        self.stdout.write(f"{written} rollup rows for {len(ids)} centres")
