"""The number check: numbers typed beside the name of a figure the app holds, compared with the
stored figure of the document's owner and period.

Conservative by design: a number is tied to a figure only when
- the figure's name (a catalogue name, one of a few common short forms, a kind of work record or
  a roster figure) stands just before it, with at most a linking word between (达, 为, 共 …);
- the name is not the tail of a longer, different name (七类特殊重点人群签约率 is not
  重点人群签约率): it starts the text or a clause, or follows a verb or time word (召开, 全年 …);
- the unit fits (a % rate needs %, a count its unit or 名 for people, 万 scales);
- the number is not approximate (约, 近, 超, …余, …以上) nor part of a range;
- nothing before it in its clause names another time (去年, 2023年, 5月, 上半年 in a year's
  report, 其中 …) and nothing after it makes it a target (目标, 任务);
- it is not in a section about the future (三、2025年工作思路, 下一步工作计划).
A tied number agrees when it equals the stored figure rounded half-up to the decimals the text
writes (41.7% and 41.67% against 41.666…%; 41.66% does not). Numbers it cannot tie are left
alone, so a flag always names the figure, the stored value and why they were tied.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from core.periods import Period

from . import outline

TEN_THOUSAND = Decimal(10_000)
RATIO_UNIT = "比"  # 医护比 1:x

# The units a typed number may carry for a stored unit ("名" counts people as "人" does).
UNIT_FITS = {
    "%": {"%"},
    "‰": {"‰"},
    "人": {"人", "名"},
    "人次": {"人次"},
    "次": {"次", "场", "场次"},
    "例": {"例"},
    "份": {"份"},
    "条": {"条"},
    "万元": {"万元"},
    "元": {"元"},  # 门急诊次均费用 (a rate in 元 per visit)
    "元/人次": {"元"},
    RATIO_UNIT: {RATIO_UNIT},
}
# Units a "万" may scale (7.1万人次 = 71,000人次); 万元 is a unit of its own.
SCALABLE = {"人", "人次", "例", "份", "条", "名"}

NUMBER = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
LINK = r"(?P<link>(?:达到|达|为|是|共计|合计|累计|共|计|：|:|[ \u3000]){0,3})"
APPROX_BEFORE = r"(?P<approx>约|近|超过|超|逾|不足|不到|仅|将近|大约)?"
UNITS = (
    r"(?P<wan>万)?"
    r"(?P<unit>个百分点|个千分点|人次|场次|元|%|％|‰|人|名|次|场|例|份|条|个|家|岁|年)?"
)
APPROX_AFTER = r"(?P<after>余|多|以上|以下|左右|上下|-|－|～|~|—|至|到)?"
AFTER_NAME = re.compile(LINK + APPROX_BEFORE + NUMBER + UNITS + APPROX_AFTER)
RATIO = re.compile(LINK + r"1\s*[:：]\s*" + r"(?P<num>\d+(?:\.\d+)?)")
# "编外人员6人，占75%": a share right after a count.
SHARE_AFTER = re.compile(r"[，,]?占(?:比)?(?:为|达)?" + r"(?P<num>\d+(?:\.\d+)?)(?P<unit>%|％)")

# What may stand just before a name that is not the start of a clause: verbs and time words,
# never another name's head (特殊, 类, …) nor 其中 (a part of something said before).
LEADS = (
    "召开",
    "开展",
    "组织",
    "举办",
    "举行",
    "完成",
    "实现",
    "讲",
    "年",
    "期内",
    "本期",
    "中心",
    "全区",
    "辖区",
    "累计",
    "共",
    "我们",
)
# Before the number, in its clause: another time, a part, a target or an estimate.
BEFORE_SKIP = (
    "去年",
    "上年",
    "前年",
    "明年",
    "下年",
    "下一年",
    "同期",
    "计划",
    "预计",
    "拟",
    "目标",
    "力争",
    "争取",
    "其中",
    "季度",
    "截至",
    "截止",
    "每月",
    "月均",
    "日均",
    "人均",
    "平均每",
    "每年",
    "历年",
    "以来",
)
AFTER_SKIP = ("目标", "任务", "计划", "以上", "以内")
MONTH = re.compile(r"\d{1,2}月|[一二三四五六七八九十]{1,3}月|月份")
YEAR = re.compile(r"(\d{4})年")
CLAUSE_END = "。；;！!？?\n，,、（）()"
# A heading about what comes next: its section is plans, not figures of the period.
FUTURE = ("工作思路", "工作计划", "下一步", "下一年", "明年", "打算", "展望", "工作安排")
TOP_HEADING = re.compile(r"(?:^|(?<=[\s。：:；;]))([一二三四五六七八九十]{1,2})、")
REF_GAP = "〔引用〕"  # where a live reference stood: it breaks any tie across it


@dataclass(frozen=True)
class Stored:
    """A figure the app holds: its name, unit, the values it may be quoted as (编外 at the
    period's end or on average), how many decimals they were stored with (None: exact), and
    where it comes from (for the reason shown)."""

    name: str
    unit: str
    values: tuple[Decimal, ...]
    source: str
    places: int | None = 2


@dataclass(frozen=True)
class Scope:
    """The document's owner and period, as the reasons name them, and the time words that fit."""

    owner: str
    period: Period
    part: str  # "year", "h1", "h2" or "range"

    @property
    def years(self) -> set[int]:
        return {m.year for m in self.period.months}


@dataclass
class Book:
    """The stored figures a document may quote, by key, and the names each is written as."""

    figures: dict[str, Stored] = field(default_factory=dict)
    names: dict[str, list[str]] = field(default_factory=dict)

    def add(self, key: str, stored: Stored, names: list[str]) -> None:
        if not stored.values:
            return
        self.figures[key] = stored
        for name in names:
            keys = self.names.setdefault(name, [])
            if key not in keys:
                keys.append(key)

    def pattern(self) -> re.Pattern | None:
        """Every name, longest first, so a long name wins over a short one it contains."""
        if not self.names:
            return None
        ordered = sorted(self.names, key=len, reverse=True)
        return re.compile("|".join(re.escape(n) for n in ordered))


@dataclass(frozen=True)
class Tie:
    """One typed number tied to a stored figure: agreeing or not, and why it was tied."""

    where: str
    name: str
    typed: str
    stored: str
    agrees: bool
    why: str
    excerpt: str


# --- comparing ---------------------------------------------------------------------------------


def _q(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _places(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def agrees(typed: Decimal, places: int, stored: Decimal, stored_places: int | None) -> bool:
    """Equal once the stored figure is rounded to the decimals the text writes; a text more
    precise than what was stored is rounded to the stored decimals instead (41.667 ~ 41.67)."""
    if stored_places is None or places <= stored_places:
        return _q(stored, places) == typed
    return _q(typed, stored_places) == stored


# --- finding names and numbers -----------------------------------------------------------------


def _free_before(text: str, start: int) -> bool:
    """The name is not the tail of a longer word: it starts a clause or follows a lead word."""
    if start == 0 or not text[start - 1].isalnum():
        return True
    before = text[:start]
    return any(before.endswith(lead) for lead in LEADS)


def _clause(text: str, start: int, end: int) -> tuple[str, str]:
    """The clause's text before `end` (from its start) and after it (to its end)."""
    head = max(text.rfind(c, 0, start) for c in CLAUSE_END) + 1
    tails = [i for c in CLAUSE_END if (i := text.find(c, end)) != -1]
    return text[head:end], text[end : min(tails) if tails else len(text)]


def _time_fits(before: str, scope: Scope) -> bool:
    """Nothing in the clause before the number points at another time or a part of something."""
    if any(word in before for word in BEFORE_SKIP) or MONTH.search(before):
        return False
    if any(int(y) not in scope.years for y in YEAR.findall(before)):
        return False
    half = {"上半年": "h1", "下半年": "h2"}
    for word, part in half.items():
        if word in before and scope.part != part:
            return False
    whole = ("全年", "本年", "今年", "年度")
    return scope.part == "year" or not any(word in before for word in whole)


def _fits(stored_unit: str, unit: str, wan: bool) -> bool:
    if wan and stored_unit != "万元" and unit not in SCALABLE:
        return False
    return unit in UNIT_FITS.get(stored_unit, set())


def _unit_of(match: re.Match) -> tuple[str, bool]:
    """(unit as written, scaled by 万): 万元 is a unit, 7.1万人次 is 71,000人次."""
    unit = (match["unit"] or "").replace("％", "%")
    if match["wan"] and unit == "元":
        return "万元", False
    return unit, bool(match["wan"])


def _excerpt(text: str, start: int, end: int) -> str:
    head, tail = max(0, start - 12), min(len(text), end + 8)
    return ("…" if head else "") + text[head:tail] + ("…" if tail < len(text) else "")


def _shown(value: Decimal, places: int, unit: str, wan: bool) -> str:
    """A value as the text would write it with these decimals: 41.67%, 7.1万人次, 1:1.25."""
    number = f"{_q(value, places):f}"
    return f"1:{number}" if unit == RATIO_UNIT else f"{number}{'万' if wan else ''}{unit}"


def _tie(figures: list[Stored], typed: str, unit: str, wan: bool) -> tuple[bool, str, Stored]:
    """(agrees, the stored value as the text would write it, the figure compared with)."""
    value, places = Decimal(typed.replace(",", "")), _places(typed)
    for figure in figures:
        for stored in figure.values:
            scaled = stored / TEN_THOUSAND if wan else stored
            stored_places = None if figure.places is None or wan else figure.places
            if agrees(value, places, scaled, stored_places):
                return True, _shown(scaled, places, unit, wan), figure
    figure = figures[0]
    first = figure.values[0] / TEN_THOUSAND if wan else figure.values[0]
    return False, _shown(first, places, unit, wan), figure


def _why(term: str, typed: str, figure: Stored, stored: str, places: int, scope: Scope) -> str:
    return _(
        "“%(term)s” stands right before %(typed)s, in a unit that fits %(name)s; the stored "
        "figure (%(source)s, %(owner)s, %(period)s) is %(stored)s when written with the "
        "%(places)s decimals the text uses."
    ) % {
        "term": term,
        "typed": typed,
        "name": figure.name,
        "source": figure.source,
        "owner": scope.owner,
        "period": scope.period.label,
        "stored": stored,
        "places": places,
    }


def _number_after(text: str, book: Book, term: str, end: int) -> re.Match | None:
    if any(book.figures[k].unit == RATIO_UNIT for k in book.names[term]):
        return RATIO.match(text, end)
    return AFTER_NAME.match(text, end)


def _check_match(text: str, book: Book, scope: Scope, where: str, m: re.Match) -> list[Tie]:
    """The ties of one name found in the text (none when it cannot be tied)."""
    term, start = m.group(), m.start()
    if not _free_before(text, start):
        return []
    number = _number_after(text, book, term, m.end())
    if number is None:
        return []
    if "approx" in number.groupdict():
        if number["approx"] or number["after"]:
            return []
        unit, wan = _unit_of(number)
    else:
        unit, wan = RATIO_UNIT, False
    before, after = _clause(text, start, number.end())
    if not _time_fits(before, scope) or any(word in after for word in AFTER_SKIP):
        return []
    found = Found(text, term, start, number, unit, wan)
    keys = book.names[term]
    ties = _compare(found, [book.figures[k] for k in keys], scope, where)
    if "staff.off_end" in keys and "staff.off_share" in book.figures:
        share = SHARE_AFTER.match(text, number.end())
        if share is not None:
            after_count = Found(text, term, start, share, "%", False)
            ties += _compare(after_count, [book.figures["staff.off_share"]], scope, where)
    return ties


@dataclass(frozen=True)
class Found:
    """A name and the number after it, as found in the text."""

    text: str
    term: str
    start: int
    number: re.Match
    unit: str
    wan: bool


def _compare(found: Found, figures: list[Stored], scope: Scope, where: str) -> list[Tie]:
    fitting = [f for f in figures if _fits(f.unit, found.unit, found.wan)]
    if not fitting:
        return []
    typed = found.number["num"]
    ok, stored, figure = _tie(fitting, typed, found.unit, found.wan)
    number = found.number
    written = (
        f"1:{typed}"
        if found.unit == RATIO_UNIT
        else number.string[number.start("num") : number.end()]
    )
    why = _why(found.term, written, figure, stored, _places(typed), scope)
    excerpt = _excerpt(found.text, found.start, found.number.end())
    return [Tie(where, figure.name, written, stored, ok, why, excerpt)]


def check_text(text: str, book: Book, scope: Scope, where: str = "") -> list[Tie]:
    """Every tie in one piece of text, in reading order."""
    pattern = book.pattern()
    if pattern is None or not text:
        return []
    ties: list[Tie] = []
    for match in pattern.finditer(text):
        ties += _check_match(text, book, scope, where, match)
    return ties


# --- documents ---------------------------------------------------------------------------------


def _future(heading: str) -> bool:
    return any(word in heading for word in FUTURE)


HEADING = re.compile(r"[^\s。：:；;]{1,40}")


def narrative_parts(text: str) -> list[tuple[str, str]]:
    """(heading, text) of each top-level part (一、… 二、…), the opening as ("", …); a part
    about the future is left out. Headings may run inline, as the filed seed's narrative does."""
    marks = [m.start(1) for m in TOP_HEADING.finditer(text)]
    bounds = [0, *marks, len(text)]
    parts = []
    for begin, end in itertools.pairwise(bounds):
        chunk = text[begin:end]
        found = HEADING.match(chunk) if begin in marks else None
        heading = found.group() if found else ""
        if heading and _future(heading):
            continue
        if chunk.strip():
            parts.append((heading, chunk))
    return parts


def check_narrative(text: str, book: Book, scope: Scope) -> list[Tie]:
    """The annual report's 开展业务活动情况, part by part."""
    ties = []
    for heading, chunk in narrative_parts(text or ""):
        ties += check_text(chunk, book, scope, heading or _("Opening"))
    return ties


def check_summary_texts(texts: dict, figures: dict, book: Book, scope: Scope) -> list[Tie]:
    """What the author wrote in a summary: the opening and every paragraph outside the plans;
    live references are the figures themselves and are not checked."""
    tree = outline.load(texts, figures)
    ties = check_text(_author_words(tree.get("lead", "")), book, scope, _("Opening"))
    skipped: set[int] = set()
    for section, _level in outline.walk(tree.get("sections", [])):
        heading = section.get("heading", "")
        children = section.get("children", [])
        if id(section) in skipped or section.get("role") == "plans" or _future(heading):
            skipped |= {id(s) for s, _l in outline.walk(children)}
            continue
        for block in section.get("blocks", []):
            if block.get("kind") == "text":
                words = _author_words(block.get("text", ""))
                ties += check_text(words, book, scope, heading)
    return ties


def _author_words(text: str) -> str:
    return outline.REF.sub(REF_GAP, text or "")


def mismatches(ties: list[Tie]) -> list[Tie]:
    return [t for t in ties if not t.agrees]
