"""Rooms and departments the national standards require (domain.md §3), as data.

The names are those of the official documents, so they stay in Chinese. A department counts for
an item when it names it explicitly (Department.standard_item) or when its name is one of the
item's usual names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Room:
    """A room or department that a standard asks for, and the names centres use for it."""

    code: str
    name: str
    aliases: tuple[str, ...] = ()

    def matches(self, department_name: str) -> bool:
        name = department_name.strip()
        return name == self.name or name in self.aliases


ROOMS = {
    r.code: r
    for r in [
        Room("gp", "全科诊室", ("全科门诊", "全科医疗科", "全科")),
        Room("tcm", "中医诊室", ("中医科", "中医门诊", "中医馆", "中医康复科")),
        Room("rehab", "康复治疗室", ("康复科", "康复医学科", "中医康复科", "康复治疗科")),
        Room("resuscitation", "抢救室", ("急诊抢救室",)),
        Room("triage", "预检分诊室(台)", ("预检分诊室", "预检分诊台", "预检分诊")),
        Room("vaccination", "预防接种室", ("预防接种门诊", "预防接种科", "接种室", "预防接种")),
        Room(
            "child_care", "儿童保健室", ("儿童保健科", "儿保科", "妇女儿童保健科", "儿童保健门诊")
        ),
        Room(
            "women_care",
            "妇女保健与计划生育指导室",
            ("妇女保健科", "妇保科", "妇女儿童保健科", "妇女保健室"),
        ),
        Room("health_education", "健康教育室", ("健康教育科",)),
        Room("lab", "检验室", ("检验科", "化验室", "医学检验科", "医学检验科(化验室)")),
        Room("ultrasound", "B超室", ("超声科", "B超科", "彩超室", "超声室")),
        Room("ecg", "心电图室", ("心电图科",)),
        Room("pharmacy", "药房", ("西药房", "中药房", "药剂科", "西(中)药房", "药房(西药、中药)")),
        Room("treatment", "治疗室", ()),
        Room("disposal", "处置室", ()),
        Room("observation", "观察室", ("留观室", "输液观察室")),
        Room("health_info", "健康信息管理室", ("信息科", "健康档案室", "信息管理室")),
        Room("disinfection", "消毒间", ("消毒供应室", "供应室", "消毒室")),
        Room("gp_dept", "全科医疗科", ("全科门诊", "全科诊室", "全科")),
        Room("rehab_dept", "康复医学科", ("康复科", "中医康复科", "康复治疗室")),
        Room("tcm_dept", "中医科", ("中医诊室", "中医门诊", "中医康复科", "中医馆")),
        Room("prevention", "预防保健科", ("公共卫生科", "公卫科", "预防保健室")),
        Room("women_child", "妇儿保健门诊", ("妇女儿童保健科", "妇幼保健科", "妇儿保健科")),
        Room("family_planning", "计划生育技术服务室", ("计划生育服务室", "计划生育科")),
        Room("imaging", "医学影像科", ("放射科", "放射室", "影像科", "DR室")),
    ]
}


@dataclass(frozen=True)
class Standard:
    """A national standard: its groups of required rooms and its bed and floor-space minimums."""

    code: str
    title: str
    source: str
    groups: tuple[tuple[str, tuple[str, ...]], ...]
    min_beds: int
    max_beds: int | None = None
    min_floor_area: int | None = None
    floor_area_per_bed: int | None = None


STANDARDS = (
    Standard(
        code="chc2006",
        title="城市社区卫生服务中心基本标准",
        source="卫生部、国家中医药管理局, 2006",
        groups=(
            ("临床科室", ("gp", "tcm", "rehab", "resuscitation", "triage")),
            ("预防保健科室", ("vaccination", "child_care", "women_care", "health_education")),
            (
                "医技及其他科室",
                (
                    "lab",
                    "ultrasound",
                    "ecg",
                    "pharmacy",
                    "treatment",
                    "disposal",
                    "observation",
                    "health_info",
                    "disinfection",
                ),
            ),
        ),
        min_beds=5,
        max_beds=50,
        min_floor_area=1000,
        floor_area_per_bed=30,
    ),
    Standard(
        code="community_hospital2019",
        title="社区医院基本标准（试行）",
        source="国家卫生健康委, 2019",
        groups=(
            ("临床科室", ("gp_dept", "rehab_dept", "tcm_dept")),
            (
                "公共卫生科室",
                ("prevention", "vaccination", "women_child", "health_education", "family_planning"),
            ),
            ("医技科室", ("lab", "imaging", "ecg", "pharmacy")),
        ),
        min_beds=30,
    ),
)

STANDARD_ITEM_CHOICES = [(code, room.name) for code, room in ROOMS.items()]
