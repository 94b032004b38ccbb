"""Factories for training, practising registrations, promotions and 核定编制 (issue 18)."""

from __future__ import annotations

import datetime as dt

import factory

from staff.models import EstablishmentQuota, PractisingLicence, Promotion, Training
from staff.tests.factories import PersonFactory


class TrainingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Training

    person = factory.SubFactory(PersonFactory)
    centre = factory.LazyAttribute(lambda o: o.person.centre)
    kind = "further_study"
    place = "重庆医科大学附属第一医院"
    started_on = dt.date(2024, 3, 1)
    ended_on = dt.date(2024, 3, 31)


class LicenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PractisingLicence

    person = factory.SubFactory(PersonFactory)
    centre = factory.LazyAttribute(lambda o: o.person.centre)
    kind = "nurse"
    licence_number = factory.Sequence(lambda n: f"2025500{n:08d}")
    issued_on = dt.date(2020, 1, 1)


class PromotionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Promotion

    person = factory.SubFactory(PersonFactory)
    centre = factory.LazyAttribute(lambda o: o.person.centre)
    title = "intermediate"
    passed_on = dt.date(2024, 3, 1)


class QuotaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EstablishmentQuota

    kind = "full"
    approved = 10
    effective_on = dt.date(2021, 1, 1)
