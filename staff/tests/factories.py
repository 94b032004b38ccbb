"""Factories for people and their spells."""

from __future__ import annotations

import datetime as dt

import factory

from centers.tests.factories import CentreFactory
from staff.models import Person, Spell


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    centre = factory.SubFactory(CentreFactory)
    name = factory.Sequence(lambda n: f"职工{n}")
    gender = "F"
    birth_date = dt.date(1990, 6, 15)


class SpellFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Spell

    person = factory.SubFactory(PersonFactory)
    centre = factory.LazyAttribute(lambda o: o.person.centre)
    hired_on = dt.date(2020, 1, 1)
    category = "nurse"
    title = "junior"
    establishment = "off"
    contract_kind = "contract"
    position = "staff"
