"""The whole demo (`manage.py load_demo`), and its filings: 磁器口 2024 approved, filed online and
published (its report reproduces seed 000's sections), 磁器口 2025 a draft, and the other centres
spread over the states.

Reporting sits above every other app, so the loader that runs each app's demo in turn lives here.
"""

from __future__ import annotations

import io

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled
from PIL import Image, ImageDraw

from centers.access import Access
from centers.demo import LOGINS, DemoLogin, load_centres_demo
from centers.models import Centre
from centers.permissions import CLERK, MANAGER, REVIEWER
from core.stale import stamp
from services.demo import load_services_demo
from staff.demo import load_staff_demo

from . import actions, attachments, chain, outline_edit
from .annual_narrative import TO_WRITE
from .models import AnnualFiling

MANAGER_ACCESS = Access(frozenset({MANAGER, CLERK}))
REVIEWER_ACCESS = Access(frozenset({REVIEWER}))

# slug → (year, steps): the workflow each demo filing goes through.
PLAN = {
    "ciqikou": [(2024, ["submit", "approve", "scan", "file", "publicise"]), (2025, [])],
    "shuangbei": [(2024, ["submit"])],
    "xiaolongkan": [(2024, ["submit", "return"])],
    "yangjiaping": [(2024, ["submit", "approve"])],
}


@transaction.atomic
def load_demo() -> list[DemoLogin]:
    """Every app's demo data, each built on the ones below it; loading twice changes nothing."""
    with scopes_disabled():  # demo data spans every centre
        centres = load_centres_demo()
        # Later apps build on what is above: rosters on departments, filings on everything.
        load_staff_demo(centres)
        load_services_demo(centres)
        load_filings_demo(centres)
        load_summaries_demo(centres)
        load_handed_up_summaries_demo(centres)
        load_schemes_demo()
    return LOGINS


# What the demo centres write where the draft leaves a part to them (annual_narrative.TO_WRITE):
# the problems if no figure named any, then the coming year's plans.
WRITTEN = [
    "1.家庭医生签约服务的履约质量有待提高，部分签约居民对随访频次不满意；"
    "2.中医药适宜技术人员不足。",
    "1.推进家庭医生签约服务提质增效，重点人群签约率保持在60%以上；"
    "2.引进中医类别执业医师1名，扩大中医药服务覆盖面；3.完成慢病管理信息系统升级。",
]


def _write_own_parts(filing: AnnualFiling, manager) -> AnnualFiling:
    """Replace the draft's markers with the centre's own words, as its manager would."""
    narrative = filing.narrative
    if TO_WRITE not in narrative:
        return filing
    pieces = narrative.split(TO_WRITE)
    own = WRITTEN[len(WRITTEN) - (len(pieces) - 1) :]  # the plans always, the problems if marked
    written = pieces[0] + "".join(text + rest for text, rest in zip(own, pieces[1:], strict=True))
    return actions.filing_save_narrative(
        filing=filing,
        narrative=written,
        based_on=stamp(filing),
        actor=manager,
        access=MANAGER_ACCESS,
    )


def _step(filing: AnnualFiling, step: str, manager, reviewer) -> AnnualFiling:
    if step == "submit":
        filing = _write_own_parts(filing, manager)
        return actions.filing_submit(
            filing=filing, actor=manager, access=MANAGER_ACCESS, render_pdf=False
        )
    if step == "approve":
        return actions.filing_approve(
            filing=filing, comment="经审核，情况属实。", actor=reviewer, access=REVIEWER_ACCESS
        )
    if step == "scan":
        scan = attachments.check(_signed_scan())
        chain.attachment_add(
            filing=filing,
            kind="signed_scan",
            checked=scan,
            name="年度报告书签章页.png",
            actor=manager,
            access=MANAGER_ACCESS,
        )
        return filing
    # The demo is loaded on the day it is approved: filed and published the same day.
    if step == "file":
        return chain.filing_record_filed(
            filing=filing, filed_on=timezone.localdate(), actor=manager, access=MANAGER_ACCESS
        )
    if step == "publicise":
        return chain.filing_record_publicised(
            filing=filing, publicised_on=timezone.localdate(), actor=manager, access=MANAGER_ACCESS
        )
    return actions.filing_return(
        filing=filing,
        reason="请补充医疗服务数据的同比说明。",
        actor=reviewer,
        access=REVIEWER_ACCESS,
    )


def _signed_scan() -> bytes:
    """A page with a red seal, standing in for the scan of the signed and sealed report."""
    page = Image.new("RGB", (620, 877), "white")
    draw = ImageDraw.Draw(page)
    for y in range(80, 700, 28):
        draw.line((60, y, 560, y), fill=(170, 170, 170), width=2)
    draw.ellipse((380, 640, 540, 800), outline=(200, 20, 20), width=8)
    out = io.BytesIO()
    page.save(out, format="PNG")
    return out.getvalue()


def load_filings_demo(centres: dict[str, Centre]) -> None:
    """Create each planned filing once; a second run finds it and leaves it alone."""
    User = get_user_model()
    # Each centre's filings are reviewed by its own district's reviewer, never the city's.
    reviewers = {
        "shapingba": User.objects.get(username="reviewer"),
        "jiulongpo": User.objects.get(username="otherreviewer"),
    }
    for slug, plan in PLAN.items():
        centre = centres[slug]
        manager = centre.memberships.filter(role="MANAGER").first()
        manager = manager.user if manager else User.objects.get(username="admin")
        for year, steps in plan:
            if AnnualFiling.objects.filter(centre=centre, year=year).exists():
                continue
            filing = actions.filing_open(centre=centre, year=year, actor=manager)
            for step in steps:
                filing = _step(filing, step, manager, reviewers[centre.sponsor.slug])


def load_summaries_demo(centres: dict[str, Centre]) -> None:
    """沙坪坝区 and 磁器口 each have their H1 2024 summary, once, with an opening paragraph."""
    from centers.models import Authority
    from core.periods import Period

    from .models import Summary
    from .summary import Owner

    User = get_user_model()
    ciqikou = centres["ciqikou"]
    district = Authority.objects.get(slug="shapingba")
    subtree = tuple(Authority.objects.filter(parent=district).values_list("pk", flat=True))
    owners = [
        (
            Owner(name=district.name, authority=district, authority_ids=(district.pk, *subtree)),
            "reviewer",
        ),
        (Owner(name=ciqikou.name, centre=ciqikou), "manager"),
    ]
    for owner, username in owners:
        mine = Summary.objects.filter(centre=owner.centre, authority=owner.authority)
        if mine.filter(first="2024-01-01", last="2024-06-01").exists():
            continue
        summary = actions.summary_create(
            owner=owner,
            period=Period.half(2024, 1),
            kind="half",
            actor=User.objects.get(username=username),
        )
        intro = "2024年上半年，围绕年度目标任务，扎实推进各项工作，现将有关情况总结如下。"
        actions.summary_save_texts(
            summary_obj=summary,
            texts=outline_edit.add_paragraphs(summary.texts, summary.figures, {"lead": intro}),
            based_on=stamp(summary),
            actor=summary.created_by,
        )


# slug → (steps, medical note): 双碑's H1 2024 summary accepted, 小龙坎's handed up and waiting;
# 磁器口's stays a draft for its manager to hand up.
HANDED_UP = {
    "shuangbei": (
        ["submit", "accept"],
        "上半年门诊服务量稳中有升，中医馆接诊量明显增加。\n推行预约诊疗，高峰时段候诊时间缩短。",
    ),
    "xiaolongkan": (["submit"], "上半年重点做好老年人健康体检，体检率较去年同期提高。"),
}


def load_handed_up_summaries_demo(centres: dict[str, Centre]) -> None:
    """Centre summaries of H1 2024 on their way up to 沙坪坝区, once each."""
    from core.periods import Period

    from . import summary_actions
    from .models import Summary
    from .summary import Owner

    User = get_user_model()
    author, reviewer = User.objects.get(username="admin"), User.objects.get(username="reviewer")
    for slug, (steps, medical) in HANDED_UP.items():
        centre = centres[slug]
        if Summary.objects.filter(centre=centre, first="2024-01-01", last="2024-06-01").exists():
            continue
        summary = actions.summary_create(
            owner=Owner(name=centre.name, centre=centre),
            period=Period.half(2024, 1),
            kind="half",
            actor=author,
        )
        summary = actions.summary_save_texts(
            summary_obj=summary,
            texts=outline_edit.add_paragraphs(
                summary.texts,
                summary.figures,
                {"medical": medical, "plans": "下半年继续做实家庭医生签约服务。"},
            ),
            based_on=stamp(summary),
            actor=author,
        )
        for step in steps:
            if step == "submit":
                summary_actions.summary_submit(
                    summary_obj=summary, actor=author, access=MANAGER_ACCESS
                )
            else:
                summary_actions.summary_accept(
                    summary_obj=summary, actor=reviewer, access=REVIEWER_ACCESS
                )


# 沙坪坝's quarterly 赛马 (seed 000: 磁器口 “三季度…综合排名第一”; seed 004: 月跟踪，季晾晒): the
# attainment of the 2024 targets the district set, 门急诊's growth against the other centres,
# 签约率 and 报送完整率 in bands. (code, measure, weight, rule, params)
RACE_NAME = "市级赛马指标"
RACE_ITEMS = [
    ("opd_visits", "value", 30, "target", {"cap": "1.2"}),
    ("vac_done", "value", 20, "target", {"cap": "1.2"}),
    ("opd_visits", "growth", 20, "relative", {"direction": "higher"}),
    ("fd_rate", "value", 15, "bands", {"bands": [["40", "100"], ["30", "80"], ["20", "60"]]}),
    ("completeness", "value", 15, "bands", {"bands": [["100", "100"], ["90", "80"]]}),
]


def load_schemes_demo() -> None:
    """The city's default scheme (the dashboard's score, as the migration ships it to every top
    commission) and 沙坪坝's quarterly 赛马 with its Q3 2024 ranking kept; once."""
    from centers.models import Authority
    from core.periods import Period

    from .assessment import DEFAULT_ITEMS, DEFAULT_NAME
    from .models import Scheme

    User = get_user_model()
    city, district = (Authority.objects.get(slug=s) for s in ("chongqing", "shapingba"))
    if not Scheme.objects.filter(authority=city, is_default=True).exists():
        data = {"name": DEFAULT_NAME, "period_kind": "year", "is_active": True, "is_default": True}
        admin = User.objects.get(username="admin")
        actions.scheme_save(authority=city, data=data, actor=admin, start_from=DEFAULT_ITEMS)
    if Scheme.objects.filter(authority=district, name=RACE_NAME).exists():
        return
    actor = User.objects.get(username="districtadmin")
    data = {"name": RACE_NAME, "period_kind": "quarter", "is_active": True, "is_default": False}
    race = actions.scheme_save(authority=district, data=data, actor=actor)
    for code, measure, weight, rule, params in RACE_ITEMS:
        item = {"code": code, "measure": measure, "weight": weight, "rule": rule, "params": params}
        actions.scheme_item_save(scheme=race, data=item, actor=actor)
    subtree = {district.pk, *Authority.objects.filter(parent=district).values_list("pk", flat=True)}
    actions.ranking_compute(
        scheme=race, authority_ids=subtree, period=Period.quarter(2024, 3), actor=actor
    )
