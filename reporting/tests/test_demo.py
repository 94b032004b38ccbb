"""manage.py load_demo: every app's demo data in one go, its printed logins, and idempotence.

The centres' part alone is tested in centers/tests/test_demo.py.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from reporting.models import AnnualFiling, Summary
from services.models import FrozenYear, TallyValue
from staff.models import Spell

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models()}


def test_load_demo_loads_every_app_and_prints_the_logins(capsys):
    call_command("load_demo", force=True)
    out = capsys.readouterr().out
    assert "Demo data is loaded. Demo logins:" in out
    for username in ("admin", "cityreviewer", "reviewer", "manager", "clerk", "othermanager"):
        assert f"  {username:<14} chc-demo   " in out
    assert Spell.objects.exists() and TallyValue.objects.exists() and Summary.objects.count() == 4
    statuses = dict(AnnualFiling.objects.filter(year=2024).values_list("centre__slug", "status"))
    assert statuses == {
        "ciqikou": "published",
        "shuangbei": "submitted",
        "xiaolongkan": "returned",
        "yangjiaping": "approved",
    }
    handed = dict(Summary.objects.exclude(centre=None).values_list("centre__slug", "status"))
    assert handed == {"ciqikou": "draft", "shuangbei": "accepted", "xiaolongkan": "submitted"}
    # The two approved or published 2024 filings froze their centre's year in services.
    frozen = set(FrozenYear.objects.values_list("centre__slug", "year"))
    assert frozen == {("ciqikou", 2024), ("yangjiaping", 2024)}


def test_load_demo_twice_changes_nothing():
    call_command("load_demo", force=True)
    before = _counts()
    passwords = dict(get_user_model().objects.values_list("username", "password"))
    call_command("load_demo", force=True)
    assert _counts() == before
    assert dict(get_user_model().objects.values_list("username", "password")) == passwords


def test_load_demo_refuses_without_debug_unless_forced():
    with pytest.raises(CommandError):
        call_command("load_demo")
    assert not get_user_model().objects.exists()


def test_demo_reviews_follow_separation_of_duties():
    """Every demo review step was taken by a reviewer of the centre's own commission."""
    from centers.access import review_refusal
    from centers.selectors import user_places
    from reporting.models import FilingEvent

    call_command("load_demo", force=True)
    # The steps on 事业单位在线 are recorded by the centre; the reviews by its commission.
    reviewed = FilingEvent.objects.filter(
        to_status__in=["returned", "approved", "published"], step=""
    )
    assert reviewed.exists()
    published = FilingEvent.objects.get(filing__centre__slug="ciqikou", to_status="published")
    assert (published.step, published.actor_name) == ("publicised", "manager")
    for event in reviewed.select_related("filing__centre__sponsor", "actor"):
        assert review_refusal(user_places(event.actor), event.filing.centre) == ""
    approved = FilingEvent.objects.get(filing__centre__slug="yangjiaping", to_status="approved")
    assert approved.actor_name == "otherreviewer"
