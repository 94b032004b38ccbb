"""manage.py load_demo prints a short summary and then the logins, not the review mails or logs."""

from __future__ import annotations

import logging

import pytest
from django.core import mail
from django.core.management import call_command

pytestmark = pytest.mark.django_db

LOGINS = [
    "admin",
    "cityreviewer",
    "reviewer",
    "districtadmin",
    "otherreviewer",
    "manager",
    "clerk",
    "othermanager",
]


@pytest.mark.django_db(transaction=True)  # the review mails go out when each step commits
def test_load_demo_holds_back_the_mails_and_ends_with_the_logins(capsys, settings, mailoutbox):
    # As under `make run`: mails would go to the console, INFO logs too.
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    call_command("load_demo", force=True)
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Content-Type:" not in text and "Subject:" not in text
    assert "celery.app.trace" not in text
    # 磁器口's report submitted, approved, filed online and published (the last two recorded by
    # the centre, which tells its commission), the other centres' reports, then the two H1
    # summaries handed up to 沙坪坝: twelve mails to those with an address. The demo's monthly
    # approvals tell nobody (months of history written at once).
    assert "12 notification mails of the demo reviews were kept back, not sent." in text
    lines = out.out.rstrip("\n").splitlines()
    assert lines[-len(LOGINS) - 1] == "Demo data is loaded. Demo logins:"
    assert [line.split()[0] for line in lines[-len(LOGINS) :]] == LOGINS
    # Afterwards mail and logging work as before.
    assert mailoutbox == [] and mail.outbox is mailoutbox
    assert logging.getLogger("chc").isEnabledFor(logging.INFO)


def test_a_second_load_sends_nothing_and_says_nothing_of_mails(capsys):
    call_command("load_demo", force=True)
    capsys.readouterr()
    call_command("load_demo", force=True)
    out = capsys.readouterr().out
    assert "notification mails" not in out
    assert out.splitlines()[0] == "Demo data is loaded. Demo logins:"
