"""Factories for organisations, users and memberships."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from centers.models import Authority, AuthorityMembership, Centre, CentreMembership


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AuthorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Authority

    name = factory.Sequence(lambda n: f"第{n}区卫生健康委员会")
    slug = factory.Sequence(lambda n: f"authority-{n}")
    parent = None


class CentreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Centre

    name = factory.Sequence(lambda n: f"第{n}社区卫生服务中心")
    slug = factory.Sequence(lambda n: f"centre-{n}")
    sponsor = factory.SubFactory(AuthorityFactory)
    address = "重庆市沙坪坝区某路1号"
    legal_representative = "张三"
    # An established centre: its back-fill window (services.locking) is long past. Tests of a
    # new centre leave reporting_since to the model's default (the month it is created).
    reporting_since = dt.date(2020, 1, 1)


class CentreMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CentreMembership

    user = factory.SubFactory(UserFactory)
    centre = factory.SubFactory(CentreFactory)
    role = CentreMembership.Role.CLERK


class AuthorityMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuthorityMembership

    user = factory.SubFactory(UserFactory)
    authority = factory.SubFactory(AuthorityFactory)
    role = AuthorityMembership.Role.REVIEWER
