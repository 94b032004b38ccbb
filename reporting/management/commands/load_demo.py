"""python manage.py load_demo: demo organisations and logins, safe to run again."""

import logging
from contextlib import contextmanager

from django.conf import settings
from django.core import mail
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings
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
        with translation.override(settings.LANGUAGE_CODE), _quiet() as held:
            logins = load_demo()  # generated texts are in Chinese
        if held:
            self.stdout.write(
                f"{len(held)} notification mails of the demo reviews were kept back, not sent."
            )
        self.stdout.write(self.style.SUCCESS("Demo data is loaded. Demo logins:"))
        for login in logins:
            self.stdout.write(f"  {login.username:<14} {DEMO_PASSWORD}   {login.description}")


@contextmanager
def _quiet():
    """Keep the demo's notification mails (a list, yielded) and INFO logs off the console, so the
    logins are what the person reads; warnings and errors still show."""
    previous = logging.root.manager.disable
    logging.disable(logging.INFO)
    outbox = getattr(mail, "outbox", None)
    mail.outbox = []  # the locmem backend appends here
    held: list = []
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            yield held
            held.extend(mail.outbox)
    finally:
        logging.disable(previous)
        if outbox is None:
            del mail.outbox
        else:
            mail.outbox = outbox
