"""python manage.py load_demo: demo organisations and logins, safe to run again."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from centers.demo import DEMO_PASSWORD
from reporting.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo authorities, centres and logins (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even with DEBUG off (the demo logins share a known password).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Refusing to create demo logins with a known password while DEBUG is off; "
                "use --force on a throwaway database."
            )
        with translation.override(settings.LANGUAGE_CODE):  # generated texts are in Chinese
            logins = load_demo()
        self.stdout.write(self.style.SUCCESS("Demo data is loaded. Demo logins:"))
        for login in logins:
            self.stdout.write(f"  {login.username:<14} {DEMO_PASSWORD}   {login.description}")
