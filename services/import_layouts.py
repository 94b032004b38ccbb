"""Import profiles shipped with the app, for the layouts of exports we can justify. They are not
rows: a centre imports through them as they are, or copies one to change it.

Where each layout comes from (the references in the repository's shared/ folder; no official
export specification of a HIS or 公卫 system was available, so the header texts are the terms
the sources use, and the tests' sample files are written as offices write such sheets):

- **基本公卫 monthly progress report** (基本公共卫生服务项目月报, one row per centre). Districts
  collect the 12 categories' progress from every centre each month; seed 001 reports them in
  exactly these terms (建档, 健康教育, 早孕建册, 产后访视, 老年人体检, 严重精神障碍 在管, 签约),
  seed 002 adds 重点人群签约 and 老年人体检, and domain.md §2.2 gives each indicator's numerator
  and denominator as the 规范 (第三版) words them; those counts are the columns here, grouped
  under their category as merged headers. A district's sheet names each centre by 机构名称 and
  统一社会信用代码 (the registry key of every 事业单位, domain.md §1.2); the month is in the title
  (“2024年4月”), so it is chosen at upload. Rates (建档率 …) are derived, never imported.
- **HIS 门急诊 workload export** (门急诊工作量统计, one row per month, CSV in GB18030). A centre's
  HIS gives its volume by month: 总诊疗人次, 门急诊人次, 出院人次, 中医诊疗人次 and the income
  behind 门急诊次均费用 (domain.md §4.1–§4.2: 门急诊次均费用 = 门急诊收入 ÷ 门急诊人次; seed 002
  cites 门急诊诊疗人次 and 出院人次 from the district's HIS 对接). HIS money columns are in 元 and
  our catalogue keeps 万元, hence the 0.0001 scale; 门诊/急诊 are read but not imported (the
  catalogue keeps their sum). Chinese HIS systems export CSV in GB18030/GBK.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import ImportProfile

SHIPPED_PREFIX = "shipped:"


@dataclass(frozen=True)
class Layout:
    key: str
    name: str
    file_type: str
    period_column: str
    centre_code_column: str
    centre_name_column: str
    columns: tuple[tuple[str, str, str], ...]  # (header, indicator code or "", scale)
    description: str
    encoding: str = "auto"
    missing: str = "skip"
    rows_combine: str = ""  # both shipped layouts have one row per centre and month


def _group(name: str, items: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str, str], ...]:
    return tuple((f"{name}/{header}", code, "1") for header, code in items)


GONGWEI_MONTHLY = Layout(
    key="gongwei-monthly",
    name="基本公卫月报（各中心一行）",
    file_type="xlsx",
    period_column="",
    centre_code_column="统一社会信用代码",
    centre_name_column="机构名称",
    columns=(
        ("序号", "", "1"),
        *_group(
            "居民健康档案",
            (
                ("累计建档人数", "rec_filed"),
                ("累计电子健康档案建档人数", "rec_e_filed"),
                ("有动态记录的档案份数", "rec_active"),
                ("档案总份数", "rec_total"),
            ),
        ),
        *_group(
            "健康教育",
            (
                ("讲座次数", "edu_lectures"),
                ("讲座参加人次", "edu_lecture_people"),
                ("咨询活动次数", "edu_consults"),
            ),
        ),
        *_group(
            "孕产妇健康管理",
            (("早孕建册人数", "early_registered"), ("产后访视人数", "postpartum_visited")),
        ),
        *_group(
            "老年人健康管理",
            (("健康管理人数", "elderly_managed"), ("体检人数", "elderly_checked")),
        ),
        *_group(
            "高血压患者管理",
            (
                ("已管理人数", "htn_managed"),
                ("规范管理人数", "htn_standard"),
                ("血压达标人数", "htn_controlled"),
            ),
        ),
        *_group(
            "2型糖尿病患者管理",
            (
                ("已管理人数", "dm_managed"),
                ("规范管理人数", "dm_standard"),
                ("血糖达标人数", "dm_controlled"),
            ),
        ),
        *_group(
            "严重精神障碍患者管理",
            (
                ("在册患者数", "smi_registered"),
                ("在管患者数", "smi_managed"),
                ("规范管理人数", "smi_standard"),
            ),
        ),
        *_group(
            "家庭医生签约",
            (("签约人数", "fd_signed"), ("重点人群签约人数", "fd_key_signed")),
        ),
    ),
    description=_(
        "A district's monthly 基本公卫 progress sheet: a title with the month, 填报单位, then "
        "one row per centre (机构名称, 统一社会信用代码) under merged category headers, and a "
        "合计 row. The month is chosen at upload."
    ),
)

HIS_OUTPATIENT = Layout(
    key="his-outpatient",
    name="HIS门急诊工作量（按月，CSV）",
    file_type="csv",
    encoding="gb18030",
    period_column="统计月份",
    centre_code_column="",
    centre_name_column="",
    columns=(
        ("总诊疗人次", "total_visits", "1"),
        ("门诊人次", "", "1"),
        ("急诊人次", "", "1"),
        ("门急诊人次", "opd_visits", "1"),
        ("出院人次", "discharges", "1"),
        ("中医诊疗人次", "tcm_visits", "1"),
        ("门急诊收入(元)", "opd_income", "0.0001"),
        ("医疗业务收入(元)", "medical_income", "0.0001"),
    ),
    description=_(
        "A centre's HIS export of its workload, one row per month (统计月份), money in 元 "
        "(imported as 万元), saved as CSV in GB18030. 门诊 and 急诊 are read but not imported: "
        "the catalogue keeps their sum, 门急诊人次."
    ),
    missing="dash_zero",
)

LAYOUTS = {layout.key: layout for layout in (GONGWEI_MONTHLY, HIS_OUTPATIENT)}


def shipped_profile(key: str) -> ImportProfile | None:
    """The layout as an unsaved profile (pk None), or None for an unknown key."""
    layout = LAYOUTS.get(key)
    if layout is None:
        return None
    profile = ImportProfile(
        name=layout.name,
        file_type=layout.file_type,
        encoding=layout.encoding,
        period_column=layout.period_column,
        centre_code_column=layout.centre_code_column,
        centre_name_column=layout.centre_name_column,
        rows_combine=layout.rows_combine,
        mappings=[
            {"header": header, "indicator": code, "scale": scale, "missing": layout.missing}
            for header, code, scale in layout.columns
        ],
    )
    profile.shipped_key = key  # type: ignore[attr-defined]
    profile.description = layout.description  # type: ignore[attr-defined]
    return profile


def shipped_profiles() -> list[ImportProfile]:
    return [p for key in LAYOUTS if (p := shipped_profile(key)) is not None]


def known_headers() -> dict[str, str]:
    """Every shipped header mapped to an indicator → its code: what a proposal recognises."""
    from core.spreadsheet import header_key

    known = {}
    for layout in LAYOUTS.values():
        for header, code, _scale in layout.columns:
            if code:
                known[header_key(header)] = code
    return known
