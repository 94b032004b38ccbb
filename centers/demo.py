"""Demo organisations and logins; loading twice leaves the database as it was."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django_scopes import scopes_disabled

from .models import (
    Authority,
    AuthorityMembership,
    Centre,
    CentreMembership,
    CentreYear,
    Department,
    FundingSource,
    Licence,
    PerformanceRecord,
    RegistrationChange,
)

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
    # Maintains 沙坪坝's own indicators, targets and schemes (and reviews like the above).
    DemoLogin("districtadmin", "区卫健委管理员", "shapingba", "ADMIN", "沙坪坝区卫健委 管理员"),
    # Filings are reviewed by the centre's own district (the city reads them): 杨家坪's needs one.
    DemoLogin(
        "otherreviewer", "九龙坡区卫健委审核员", "jiulongpo", "REVIEWER", "九龙坡区卫健委 审核员"
    ),
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
                # The demo's data starts in 2023; no month is open for back-filling.
                "reporting_since": dt.date(2023, 1, 1),
            },
        )
    return made


def _login(login: DemoLogin, authorities, centres):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=login.username,
        defaults={
            "first_name": login.full_name,
            "email": f"{login.username}@demo.chc.invalid",
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


# --- 磁器口: the record of seed 000 (its 2024 annual report) --------------------------------
# Seed 000 gives no credit code, certificate dates, founding date or yearly figures other than
# net assets: those below are invented (the code passes the GB 32100 check).
CIQIKOU_RECORD = {
    "credit_code": "12500106450412352T",
    "purpose": (
        "为人民健康提供基本医疗卫生服务。承担社区预防、社区保健、社区医疗、社区康复、"
        "社区健康教育、社区计划生育等工作。"
    ),
    "capital": Decimal("233.88"),
    "certificate_valid_from": dt.date(2021, 12, 20),
    "certificate_valid_to": dt.date(2026, 12, 19),
    "online_name": "无",
    "founded_on": dt.date(2019, 6, 18),
}
CIQIKOU_FUNDING = "财政补助(全额拨款)"
CIQIKOU_2024 = {
    "service_area_km2": Decimal("2.60"),
    "served_population": 48000,
    "floor_area_m2": Decimal("3200.00"),
    "beds": 20,
    "net_assets_begin": Decimal("244.64"),
    "net_assets_end": Decimal("233.88"),
}
# (item, old, new, date): seed 000 gives one date per change, used as both dates.
CIQIKOU_CHANGES = [
    ("legal_representative", "李洁", "彭娅", dt.date(2022, 2, 7)),
    ("address", "沙坪坝区磁器口正街48号", "重庆市沙坪坝区金磁路4号附1-23号", dt.date(2022, 3, 23)),
    ("capital", "96.70", "233.88", dt.date(2024, 4, 9)),
]
CIQIKOU_LICENCE = {
    "name": "中华人民共和国医疗机构执业许可证",
    "number": "45041235050010617D2152",
    "issuer": "重庆市沙坪坝区卫生健康委员会",
    "valid_from": dt.date(2024, 9, 5),
    "valid_to": dt.date(2026, 7, 4),
}
CIQIKOU_HONOURS = [
    (
        dt.date(2024, 7, 1),
        "中共重庆市沙坪坝区卫生健康工作委员会",
        "中心党支部获评“沙坪坝区卫生系统先进基层党组织”",
    ),
    (
        dt.date(2024, 12, 27),
        "重庆市沙坪坝区卫生健康委员会",
        "中心获评“沙坪坝区卫生健康工作2024年度考核优秀单位”",
    ),
]
# Departments named in seeds 000 and 001: (name, kind, opened on, counts as).
CIQIKOU_DEPARTMENTS = [
    ("全科门诊", "clinical", dt.date(2019, 6, 18), "gp"),
    ("中医康复科", "clinical", dt.date(2022, 5, 16), ""),
    ("口腔科", "clinical", dt.date(2022, 5, 16), ""),
    ("抢救室", "clinical", dt.date(2022, 5, 16), ""),
    ("预检分诊台", "clinical", dt.date(2022, 5, 16), ""),
    ("儿科门诊", "clinical", dt.date(2024, 3, 1), ""),
    ("两病门诊", "clinical", dt.date(2024, 3, 1), ""),
    ("耳鼻咽喉科", "clinical", dt.date(2024, 5, 6), ""),
    ("皮肤科", "clinical", dt.date(2024, 5, 6), ""),
    ("泌尿外科", "clinical", dt.date(2024, 6, 3), ""),
    ("营养门诊", "clinical", dt.date(2024, 6, 3), ""),
    ("检验科", "technical", dt.date(2022, 5, 16), ""),
    ("放射科", "technical", dt.date(2022, 5, 16), ""),
    ("B超室", "technical", dt.date(2022, 5, 16), ""),
    ("心电图室", "technical", dt.date(2022, 5, 16), ""),
    ("药房", "technical", dt.date(2019, 6, 18), ""),
    ("药学门诊", "technical", dt.date(2024, 6, 3), ""),
    ("治疗室", "technical", dt.date(2019, 6, 18), ""),
    ("处置室", "technical", dt.date(2022, 5, 16), ""),
    ("观察室", "technical", dt.date(2022, 5, 16), ""),
    ("消毒供应室", "technical", dt.date(2022, 5, 16), ""),
    ("预防接种门诊", "preventive", dt.date(2019, 6, 18), ""),
    ("妇女儿童保健科", "preventive", dt.date(2022, 5, 16), ""),
    ("健康教育室", "preventive", dt.date(2019, 6, 18), ""),
    ("公共卫生科", "preventive", dt.date(2019, 6, 18), ""),
    ("综合办公室", "administrative", dt.date(2019, 6, 18), ""),
    ("医务科", "administrative", dt.date(2022, 5, 16), ""),
    ("护理部", "administrative", dt.date(2022, 5, 16), ""),
    ("财务科", "administrative", dt.date(2019, 6, 18), ""),
    ("信息科", "administrative", dt.date(2022, 5, 16), "health_info"),
]


# Invented records for the other demo centres: (region, org code, address, legal rep, capital,
# net assets at the start and end of 2024).
OTHER_RECORDS = {
    "shuangbei": (
        "500106",
        "45041236",
        "重庆市沙坪坝区双碑街道双福路12号",
        "王敏",
        "180.00",
        "210.35",
        "226.10",
    ),
    "xiaolongkan": (
        "500106",
        "45041237",
        "重庆市沙坪坝区小龙坎新街88号",
        "陈刚",
        "260.50",
        "301.20",
        "318.75",
    ),
    "yangjiaping": (
        "500107",
        "45051238",
        "重庆市九龙坡区杨家坪正街5号",
        "刘静",
        "150.00",
        "162.40",
        "171.05",
    ),
}


def _credit_code(region: str, org_body: str) -> str:
    from .validators import credit_code_check_char

    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    check = 11 - sum(int(c) * w for c, w in zip(org_body, weights, strict=True)) % 11
    org = org_body + {10: "X", 11: "0"}.get(check, str(check))
    first17 = "12" + region + org
    return first17 + credit_code_check_char(first17)


def _other_record(centre: Centre) -> None:
    """Enough of a certificate for the demo centre's report to be complete."""
    if centre.credit_code or centre.slug not in OTHER_RECORDS:
        return
    region, org, address, legal_rep, capital, begin, end = OTHER_RECORDS[centre.slug]
    centre.credit_code = _credit_code(region, org)
    centre.purpose = CIQIKOU_RECORD["purpose"]
    centre.address, centre.legal_representative = address, legal_rep
    centre.capital = Decimal(capital)
    centre.certificate_valid_from, centre.certificate_valid_to = (
        dt.date(2022, 3, 1),
        dt.date(2027, 2, 28),
    )
    centre.funding_source, _ = FundingSource.objects.get_or_create(name=CIQIKOU_FUNDING)
    centre.save()
    CentreYear.objects.get_or_create(
        centre=centre,
        year=2024,
        defaults={"net_assets_begin": Decimal(begin), "net_assets_end": Decimal(end), "beds": 10},
    )


def _ciqikou_record(centre: Centre) -> None:
    """Fill 磁器口's certificate data and records once; a second run finds them and stops."""
    if not centre.credit_code:
        for name, value in CIQIKOU_RECORD.items():
            setattr(centre, name, value)
        centre.funding_source, _ = FundingSource.objects.get_or_create(name=CIQIKOU_FUNDING)
        centre.save()
    CentreYear.objects.get_or_create(centre=centre, year=2024, defaults=CIQIKOU_2024)
    for item, old, new, day in CIQIKOU_CHANGES:
        RegistrationChange.objects.get_or_create(
            centre=centre,
            item=item,
            registered_on=day,
            defaults={"old_value": old, "new_value": new, "effective_on": day},
        )
    Licence.objects.get_or_create(
        centre=centre, name=CIQIKOU_LICENCE["name"], defaults=CIQIKOU_LICENCE
    )
    for day, issuer, text in CIQIKOU_HONOURS:
        PerformanceRecord.objects.get_or_create(
            centre=centre, date=day, text=text, defaults={"kind": "honour", "issuer": issuer}
        )
    for name, kind, opened, standard in CIQIKOU_DEPARTMENTS:
        Department.objects.get_or_create(
            centre=centre,
            name=name,
            defaults={"kind": kind, "opened_on": opened, "standard_item": standard},
        )


@transaction.atomic
def load_centres_demo() -> dict[str, Centre]:
    """Create the demo authority tree, centres, records and one login per role, if missing.

    The other apps' demo data builds on these centres; reporting.demo.load_demo runs them all.
    """
    with scopes_disabled():  # demo data spans every centre
        authorities = _authorities()
        centres = _centres(authorities)
        _ciqikou_record(centres["ciqikou"])
        for centre in centres.values():
            _other_record(centre)
        for login in LOGINS:
            _login(login, authorities, centres)
    return centres
