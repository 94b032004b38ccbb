"""Demo organisations and logins; loading twice leaves the database as it was."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import Authority, AuthorityMembership, Centre, CentreMembership

DEMO_PASSWORD = "chc-demo"

# (slug, name, parent slug)
AUTHORITIES = [
    ("chongqing", "重庆市卫生健康委员会", None),
    ("shapingba", "重庆市沙坪坝区卫生健康委员会", "chongqing"),
    ("jiulongpo", "重庆市九龙坡区卫生健康委员会", "chongqing"),
]

# (slug, name, sponsor slug, address, legal representative); 磁器口 as in seed 000.
CENTRES = [
    (
        "ciqikou",
        "重庆市沙坪坝区磁器口社区卫生服务中心",
        "shapingba",
        "重庆市沙坪坝区金磁路4号附1-23号",
        "彭娅",
    ),
    ("shuangbei", "重庆市沙坪坝区双碑社区卫生服务中心", "shapingba", "", ""),
    ("xiaolongkan", "重庆市沙坪坝区小龙坎社区卫生服务中心", "shapingba", "", ""),
    ("yangjiaping", "重庆市九龙坡区杨家坪社区卫生服务中心", "jiulongpo", "", ""),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    full_name: str
    place: str  # an authority or centre slug; "" for the system administrator
    role: str
    description: str


LOGINS = [
    DemoLogin("admin", "系统管理员", "", "", "系统管理员 (Django admin)"),
    DemoLogin("cityreviewer", "市卫健委审核员", "chongqing", "REVIEWER", "重庆市卫健委 审核员"),
    DemoLogin("reviewer", "区卫健委审核员", "shapingba", "REVIEWER", "沙坪坝区卫健委 审核员"),
    DemoLogin("manager", "磁器口中心管理员", "ciqikou", "MANAGER", "磁器口中心 管理员"),
    DemoLogin("clerk", "磁器口中心录入员", "ciqikou", "CLERK", "磁器口中心 录入员"),
    DemoLogin("othermanager", "杨家坪中心管理员", "yangjiaping", "MANAGER", "杨家坪中心 管理员"),
]


def _authorities() -> dict[str, Authority]:
    made: dict[str, Authority] = {}
    for slug, name, parent in AUTHORITIES:
        made[slug], _ = Authority.objects.get_or_create(
            slug=slug, defaults={"name": name, "parent": made.get(parent) if parent else None}
        )
    return made


def _centres(authorities: dict[str, Authority]) -> dict[str, Centre]:
    made: dict[str, Centre] = {}
    for slug, name, sponsor, address, legal_rep in CENTRES:
        made[slug], _ = Centre.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "sponsor": authorities[sponsor],
                "address": address,
                "legal_representative": legal_rep,
            },
        )
    return made


def _login(login: DemoLogin, authorities, centres):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=login.username,
        defaults={
            "first_name": login.full_name,
            "is_staff": not login.place,
            "is_superuser": not login.place,
        },
    )
    if created:  # never reset a password someone has changed since
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    if login.place in authorities:
        AuthorityMembership.objects.get_or_create(
            user=user, authority=authorities[login.place], defaults={"role": login.role}
        )
    elif login.place in centres:
        CentreMembership.objects.get_or_create(
            user=user, centre=centres[login.place], defaults={"role": login.role}
        )
    return user


@transaction.atomic
def load_demo() -> list[DemoLogin]:
    """Create the demo authority tree, centres and one login per role, if missing."""
    authorities = _authorities()
    centres = _centres(authorities)
    for login in LOGINS:
        _login(login, authorities, centres)
    return LOGINS
