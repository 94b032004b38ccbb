"""Two people edit the same staff member: the edit page renders its stamp, the later save is
refused with both versions shown, and an ID number stays masked in the refusal as on the page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from centers.tests.editing import opened, rendered_stamp, sessions
from staff.models import Person, Spell
from staff.tests.factories import PersonFactory, SpellFactory
from staff.validators import id_check_digit

pytestmark = pytest.mark.django_db


def _spell(centre, **person):
    return SpellFactory(person=PersonFactory(centre=centre, name="刘洋", **person))


def _flat(data: dict) -> dict:
    """As a browser sends it: a ticked box is "on", an unticked one is absent."""
    return {k: ("on" if v is True else v) for k, v in data.items() if v is not False}


def test_the_edit_page_renders_its_stamp(client, clerk, centre):
    spell = _spell(centre)
    client.force_login(clerk)
    body = client.get(reverse("staff:staff-edit", args=[centre.slug, spell.pk])).content.decode()
    person = Person.objects.get()
    assert rendered_stamp(body) == f"{person.updated_at.isoformat()}|{spell.updated_at.isoformat()}"


def test_second_save_of_a_staff_member_is_refused_and_shows_both(centre, manager, clerk):
    spell = _spell(centre)
    url = reverse("staff:staff-edit", args=[centre.slug, spell.pk])
    first, second = sessions(manager, clerk)
    mine, theirs = _flat(opened(first, url)), _flat(opened(second, url))

    assert first.post(url, {**mine, "name": "刘阳"}).status_code == 302
    refused = second.post(url, {**theirs, "name": "柳洋", "title": "intermediate"})

    assert refused.status_code == 409
    body = refused.content.decode()
    assert "在您编辑期间，其他人（彭娅" in body
    assert 'value="柳洋"' in body and 'id="stale-conflict"' in body and "刘阳" in body
    assert Person.objects.get().name == "刘阳"
    assert Spell.objects.get().title == "junior"

    again = refused.context["form"]["based_on"].value()
    assert second.post(url, {**theirs, "name": "柳洋", "based_on": again}).status_code == 302
    assert Person.objects.get().name == "柳洋"


def test_a_refusal_shows_a_clerk_the_id_number_masked(centre, manager, clerk):
    body17 = "50010619920517012"
    number = body17 + id_check_digit(body17)
    spell = _spell(centre, birth_date=dt.date(1992, 5, 17), id_number=number)
    url = reverse("staff:staff-edit", args=[centre.slug, spell.pk])
    first, second = sessions(manager, clerk)
    mine, theirs = _flat(opened(first, url)), _flat(opened(second, url))
    first.post(url, {**mine, "name": "刘阳"})
    body = second.post(url, {**theirs, "name": "柳洋"}).content.decode()
    assert "刘阳" in body and number not in body


def test_second_departure_of_a_corrected_spell_is_refused(centre, manager, clerk):
    spell = _spell(centre)
    edit = reverse("staff:staff-edit", args=[centre.slug, spell.pk])
    depart = reverse("staff:staff-depart", args=[centre.slug, spell.pk])
    first, second = sessions(manager, clerk)
    leaving = opened(second, depart)
    mine = _flat(opened(first, edit))
    first.post(edit, {**mine, "hired_on": "2021-03-01"})
    refused = second.post(depart, {**leaving, "left_on": "2021-01-31", "leave_reason": "resigned"})
    body = refused.content.decode()
    assert refused.status_code == 409 and "在您编辑期间，其他人（彭娅" in body
    assert 'value="2021-01-31"' in body
    spell.refresh_from_db()
    assert spell.left_on is None and spell.hired_on == dt.date(2021, 3, 1)
