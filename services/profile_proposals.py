"""What each column of a sample file probably is, proposed for the person to confirm or change.

Never silent: every column gets a row in the editor with what is proposed and why (the same
name, a header of a shipped layout, or a similarity), and nothing is saved until the person
saves the form. A column no indicator resembles enough is proposed as not imported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from django.utils.translation import gettext as _

from core.spreadsheet import header_key

from .import_layouts import known_headers
from .models import Indicator
from .profile_files import Column

PERIOD, CODE, NAME = "@period", "@code", "@name"  # the roles a column can have besides a value
PERIOD_HEADERS = {
    "统计月份", "月份", "年月", "统计年月", "统计期间", "统计周期", "报表期", "报告期", "报表月份",
    "统计时间", "期间", "日期", "统计日期", "月度", "时间", "年份月份",
}  # fmt: skip
NAME_HEADERS = {
    "机构名称", "单位名称", "医疗机构名称", "机构", "单位", "中心名称", "填报单位",
    "所属机构", "医疗卫生机构名称", "社区卫生服务中心", "机构全称",
}  # fmt: skip
# A unit in brackets after a header: 门急诊人次(人次), 收入（元）.
UNIT = re.compile(r"\((?:人|人次|次|份|例|条|个|户|元|万元|千元)\)$")
THRESHOLD = 0.6  # below this similarity nothing is proposed
MONEY_SCALES = {"元": "0.0001", "千元": "0.1"}  # to the catalogue's 万元


@dataclass
class Proposal:
    column: Column
    role: str  # an indicator code, PERIOD, CODE, NAME, or "" (not imported)
    reason: str
    scale: str = "1"
    rank: int = 3  # 0 the same name or a role, 1 a shipped layout's header, 2 similar, 3 none


def _plain(label: str) -> str:
    return UNIT.sub("", header_key(label)).replace("/", "")


def _unit_of(label: str) -> str:
    match = UNIT.search(header_key(label))
    return match.group(0)[1:-1] if match else ""


def _role(key: str) -> tuple[str, str]:
    if "信用代码" in key:
        return CODE, _("the centre's unified social credit code")
    if key in NAME_HEADERS or key.endswith(("机构名称", "单位名称")):
        return NAME, _("the centre's name")
    if key in PERIOD_HEADERS:
        return PERIOD, _("the month")
    return "", ""


def _rate(key: str) -> bool:
    return key.endswith(("率", "占比", "(%)", "%", "比例")) or "次均" in key


def _similar(label: str, indicators: list[Indicator]) -> tuple[Indicator | None, float]:
    plain = _plain(label)
    best, score = None, 0.0
    for indicator in indicators:
        name = _plain(indicator.name)
        ratio = SequenceMatcher(None, plain, name).ratio()
        if ratio > score:
            best, score = indicator, ratio
    return best, score


def _propose_one(column: Column, indicators: list[Indicator], known: dict) -> Proposal:
    key = column.key
    if not key:
        return Proposal(column, "", _("no header"))
    role, why = _role(key)
    if role:
        return Proposal(column, role, why, rank=0)
    by_code = {i.code: i for i in indicators}
    by_name = {_plain(i.name): i for i in indicators}
    if _rate(key):
        return Proposal(column, "", _("a rate: computed from its counts, never imported"))
    if (found := by_name.get(_plain(column.label))) or (found := by_code.get(key)):
        return _with_scale(Proposal(column, found.code, _("the same name"), rank=0), found)
    if (code := known.get(key)) and code in by_code:
        return _with_scale(
            Proposal(column, code, _("a column of a layout shipped with the app"), rank=1),
            by_code[code],
        )
    found, score = _similar(column.label, indicators)
    if found is not None and score >= THRESHOLD:
        reason = _("similar to “%(name)s” (%(score)s%%)") % {
            "name": found.name,
            "score": round(score * 100),
        }
        return _with_scale(Proposal(column, found.code, reason, rank=2), found)
    return Proposal(column, "", _("no indicator resembles it"))


def _with_scale(proposal: Proposal, indicator: Indicator) -> Proposal:
    """元 in the header and 万元 in the catalogue: propose the conversion, and say so."""
    unit = _unit_of(proposal.column.label)
    if indicator.unit == "万元" and unit in MONEY_SCALES:
        proposal.scale = MONEY_SCALES[unit]
        proposal.reason += _("; %(unit)s → 万元 (× %(scale)s)") % {
            "unit": unit,
            "scale": proposal.scale,
        }
    return proposal


def propose(columns: list[Column], indicators: list[Indicator]) -> list[Proposal]:
    """One proposal per column. An indicator or role goes to one column only: the first column
    that matched it by name keeps it, a later one is proposed as not imported, saying why."""
    known = known_headers()
    proposals = [_propose_one(c, indicators, known) for c in columns]
    taken: dict[str, Proposal] = {}
    for proposal in sorted(proposals, key=lambda p: (p.rank, p.column.index)):
        if not proposal.role:
            continue
        if proposal.role in taken:
            first = taken[proposal.role].column.shown
            proposal.reason = _("like column “%(first)s”, which has it already") % {"first": first}
            proposal.role, proposal.scale, proposal.rank = "", "1", 3
        else:
            taken[proposal.role] = proposal
    return proposals
