"""python manage.py load_demo: demo organisations and logins, safe to run again."""

from django.core.management.base import BaseCommand

from centers.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load the demo authorities, centres and logins (idempotent)."

    def handle(self, *args, **options):
        logins = load_demo()
        self.stdout.write(self.style.SUCCESS("Demo data is loaded. Demo logins:"))
        for login in logins:
            self.stdout.write(f"  {login.username:<14} {DEMO_PASSWORD}   {login.description}")
