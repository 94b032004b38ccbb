"""Typed input of the reporting pages. Django's fields refuse NUL, which PostgreSQL cannot store,
and say so in Chinese: filing notes and narrative, summary periods and texts, dashboard queries."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import TextGuard, explain_decimal_limits
from core.periods import Period, PeriodForm
from core.stale import BasedOnForm, stamp
from services import figures

from . import assessment, outline_edit
from . import outline as summary_outline
from .models import Scheme, SchemeItem, Summary

MAX_MONTHS = 36
NARRATIVE_LIMIT = 50_000
NOTE_LIMIT = 2000


class SummaryCreateForm(PeriodForm):
    """上半年/下半年, a whole year, or a range of whole months; the field is "kind", as stored."""

    parts = ("h1", "h2", "year", "range")
    part_field = "kind"
    max_months = MAX_MONTHS
    too_long = _("A summary covers at most 36 months.")
    field_order = ("kind", "year", "first", "last")

    part = None
    kind = forms.ChoiceField(label=_("period"), initial="h1")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].required = True
        self.fields["year"].initial = timezone.localdate().year

    def clean(self):
        cleaned = super().clean()
        self._begun()
        return cleaned

    def _begun(self) -> None:
        """A summary of months that have not begun has nothing to say yet."""
        if self.errors:
            return
        _kind, period = self.summary_period()
        if period.first >= timezone.localdate().replace(day=1):
            self.add_error("year", _("That period has not begun yet; choose one that has."))

    def summary_period(self) -> tuple[str, Period]:
        """(stored kind, period) of valid input: 上半年 and 下半年 are both stored as half."""
        kind = self.cleaned_data["kind"]
        stored = Summary.Kind.HALF if kind in ("h1", "h2") else kind
        return stored, self.period(self.cleaned_data["year"])


class SummaryTextsForm(BasedOnForm, TextGuard, forms.Form):
    """The outline's words in one form: the opening, each heading and paragraph, the figures each
    generated paragraph quotes, what is added, and `op`, a move made with the save (so a click
    never loses what was typed elsewhere). Field names carry the section or block id."""

    op = forms.CharField(required=False, max_length=40)
    ref_key = forms.ChoiceField(label=_("Figure"), required=False)
    ref_field = forms.ChoiceField(
        label=_("Which"), required=False, choices=list(summary_outline.FIELDS.items())
    )

    def __init__(self, *args, outline: dict, figures: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.outline, self.figures = outline, figures
        self.fields["ref_key"].choices = ref_choices(figures)
        self.fields["lead"] = _text(_("Opening paragraph"), rows=3)
        sources = [("", _("— add generated figures —"))] + [
            (key, found["title"])
            for key, found in summary_outline.generated_sections(figures).items()
        ]
        for section, level, shown in outline_edit.numbered_sections(outline):
            sid = section["id"]
            self.fields[f"h-{sid}"] = forms.CharField(
                label=_("Heading of %(n)s") % {"n": shown}, max_length=outline_edit.HEADING_LIMIT
            )
            for i, block in enumerate(section["blocks"], 1):
                self._block_field(block, _("%(n)s, paragraph %(i)s") % {"n": shown, "i": i})
            self.fields[f"n-{sid}"] = _text(_("New paragraph in %(n)s") % {"n": shown}, rows=2)
            self.fields[f"nf-{sid}"] = forms.ChoiceField(
                label=_("Add generated figures"), required=False, choices=sources
            )
            if level < outline_edit.MAX_DEPTH:
                self.fields[f"ns-{sid}"] = _heading(_("New subsection under %(n)s") % {"n": shown})
        self.fields["ns-root"] = _heading(_("New top-level section"))
        for name, value in initial_values(outline, figures).items():
            self.initial.setdefault(name, value)

    def _block_field(self, block: dict, label) -> None:
        bid = block["id"]
        if block["kind"] == "text":
            self.fields[f"t-{bid}"] = _text(label, rows=3)
        elif block.get("source") != "lead":
            self.fields[f"c-{bid}"] = forms.MultipleChoiceField(
                label=label,
                required=False,
                choices=pick_choices(block, self.figures),
                widget=forms.CheckboxSelectMultiple,
            )

    def clean_op(self):
        op = self.cleaned_data["op"]
        if op and not OP.fullmatch(op):
            raise forms.ValidationError(_("Unknown action; nothing was changed."))
        return op

    def clean(self):
        """A figure reference must name a figure: refused beside its paragraph, never printed
        as “（…无数据）” or as raw braces."""
        cleaned = super().clean()
        known = set(summary_outline.refs(self.figures))
        known |= summary_outline.ref_keys(summary_outline.text_of(self.outline))
        for name in self.fields:
            typed = name == "lead" or name[:2] in ("t-", "n-")
            if not typed or name in self.errors:
                continue
            if problem := summary_outline.ref_problem(cleaned.get(name) or "", known):
                self.add_error(name, problem)
        return cleaned

    def result(self) -> tuple[dict, str]:
        """The outline after this save and its move, and the note its version gets."""
        return outline_edit.from_form(self.outline, self.cleaned_data, self.figures)

    def shown(self, name: str, value) -> str:
        if name.startswith("c-"):
            return "" if value in ("", None) else str(value).replace(",", "、")
        return super().shown(name, value)


OP = re.compile(r"(save|up|down|remove|keep|ref)(?::([a-z0-9]{1,16}))?")


def _text(label, *, rows: int) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=outline_edit.TEXT_LIMIT,
        strip=False,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _heading(label) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=outline_edit.HEADING_LIMIT)


def initial_values(outline: dict, figures: dict) -> dict:
    """What the fields show before anything is typed: the outline as stored."""
    out = {"lead": outline.get("lead", "")}
    for section, _level, _shown in outline_edit.numbered_sections(outline):
        out[f"h-{section['id']}"] = section["heading"]
        for block in section["blocks"]:
            if block["kind"] == "text":
                out[f"t-{block['id']}"] = block["text"]
            elif block.get("source") != "lead":
                codes = block.get("codes")
                if codes is None:
                    found = summary_outline.generated_sections(figures).get(block["source"])
                    codes = [k for k, _c in summary_outline.keyed_clauses(found)] if found else []
                out[f"c-{block['id']}"] = codes
    return out


def ref_choices(figures: dict) -> list:
    """The figures a paragraph can reference, grouped by the section that quotes them."""
    table = summary_outline.refs(figures)
    groups, seen = [], set()
    for key, found in summary_outline.generated_sections(figures).items():
        keys = [k for k, _c in summary_outline.keyed_clauses(found) if k in table]
        if key == "activities":
            keys = [k for name in keys for k in (name, f"{name}.people") if k in table]
        if keys:
            groups.append((found["title"], [(k, table[k]["name"]) for k in keys]))
            seen.update(keys)
    rest = [(k, r["name"]) for k, r in table.items() if k not in seen]
    if rest:
        groups.append((_("Other figures"), rest))
    return [("", _("— choose a figure —")), *groups]


def pick_choices(block: dict, figures: dict) -> list[tuple[str, str]]:
    """A figure block's picker: every clause its section generates now (headline ones marked),
    then any picked one that is gone, by its kept name."""
    found = summary_outline.generated_sections(figures).get(block.get("source", ""))
    keyed = summary_outline.keyed_clauses(found) if found else []
    top = set(outline_edit.headline(block.get("source", ""), figures)) if found else set()
    choices = [(k, ("【主要】" if k in top else "") + c["text"]) for k, c in keyed]
    present = {k for k, _c in keyed}
    names = block.get("names", {})
    for code in block.get("codes") or []:
        if code not in present:
            choices.append(
                (code, _("%(name)s (no figure this time)") % {"name": names.get(code, code)})
            )
    return choices


class DashboardForm(PeriodForm):
    """The dashboard's period and sort order; bad input falls back to the defaults."""

    parts = ("year", "h1", "h2")

    sort = forms.CharField(required=False, max_length=40)
    trend = forms.CharField(required=False, max_length=40)


class NarrativeForm(BasedOnForm, TextGuard, forms.Form):
    """开展业务活动情况 with the stamp the form was opened at (a bad one counts as stale)."""

    free_text_fields = ("narrative",)

    narrative = forms.CharField(required=False, max_length=NARRATIVE_LIMIT, strip=False)


class StepForm(TextGuard, forms.Form):
    """A workflow step on the filing page: its note, and the filing's version the page showed
    (`shown`), so that a step chosen on a page someone has since overtaken is refused."""

    free_text_fields = ("note",)
    note_field = "note"

    shown = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)


class ReasonForm(StepForm):
    """Why a report is returned or reopened; the action itself insists that there is one."""

    free_text_fields = ("reason",)
    note_field = "reason"

    reason = forms.CharField(required=False, max_length=NOTE_LIMIT)


class CommentForm(StepForm):
    """The reviewer's optional comment on approval."""

    free_text_fields = ("comment",)
    note_field = "comment"

    comment = forms.CharField(required=False, max_length=NOTE_LIMIT)


def first_error(form: forms.Form) -> str:
    """The first message of an invalid form, for pages that show one line rather than the form."""
    return next(str(message) for errors in form.errors.values() for message in errors)


class SchemeForm(BasedOnForm, TextGuard, forms.ModelForm):
    """A scheme's name, period and marks; a new one may start from the default scheme's items."""

    start_from_default = forms.BooleanField(
        label=_("Start with the items of the current default scheme"), required=False
    )

    class Meta:
        model = Scheme
        fields = ["name", "period_kind", "is_active", "is_default"]
        # The label and its help say "default scheme" alike (the list marks it 默认 too).
        labels = {"is_default": _("Default scheme")}
        help_texts = {
            "is_default": _(
                "The default scheme gives the dashboard's combined score for this commission "
                "and those below it that have none of their own."
            )
        }

    def __init__(self, *args, authority, **kwargs):
        super().__init__(*args, **kwargs)
        self.authority = authority
        if self.instance.pk:
            del self.fields["start_from_default"]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        taken = Scheme.objects.filter(authority=self.authority, name=name)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("This commission already has a scheme of that name."))
        return name


DECIMAL_ERRORS = {"invalid": _("Enter a number, such as 1.2.")}


def _number(label, **kwargs) -> forms.DecimalField:
    field = forms.DecimalField(
        label=label,
        required=False,
        max_digits=12,
        decimal_places=4,
        error_messages=DECIMAL_ERRORS,
        **kwargs,
    )
    return explain_decimal_limits(field)


class SchemeItemForm(BasedOnForm, forms.Form):
    """One item: what it measures, its points, its rule and the rule's parameters, each beside
    its own field; `params()` gives the JSON the item stores (decimals as text)."""

    code = forms.ChoiceField(label=_("indicator or rate"))
    measure = forms.ChoiceField(label=_("measured by"), choices=SchemeItem.Measure.choices)
    weight = explain_decimal_limits(
        forms.DecimalField(
            label=_("weight (points)"),
            min_value=Decimal("0.01"),
            max_digits=6,
            decimal_places=2,
            error_messages={
                "invalid": _("Enter the points as a number, such as 20."),
                "min_value": _("The weight must be more than 0."),
            },
        )
    )
    rule = forms.ChoiceField(label=_("scoring rule"), choices=SchemeItem.Rule.choices)
    cap = _number(_("cap (share of the weight, e.g. 1.2)"), initial=Decimal(1))
    target = _number(_("fixed target (leave blank to use the annual targets)"))
    bands = forms.CharField(
        label=_("bands (one a line: lower bound, share of the weight in %)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "95, 100\n85, 80"}),
    )
    direction = forms.ChoiceField(
        label=_("better when"),
        required=False,
        choices=[(assessment.HIGHER, _("higher")), (assessment.LOWER, _("lower"))],
    )
    per_unit = _number(_("points off per unit"))
    zero_at = _number(_("value scoring 0"))
    full_at = _number(_("value scoring full points"))

    # Which parameter fields each rule needs.
    PARAMS = {
        assessment.TARGET: ("cap", "target"),
        assessment.BANDS: ("bands",),
        assessment.RELATIVE: ("direction",),
        assessment.DEDUCTION: ("per_unit",),
        assessment.LINEAR: ("zero_at", "full_at"),
    }

    def __init__(
        self,
        *args,
        offered: list,
        indicators: set[str],
        scheme: Scheme,
        item=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.scheme, self.item, self.indicators = scheme, item, indicators
        # By name, as reviewers know them (codes are for machines), grouped: see measure_choices.
        self.fields["code"].choices = offered
        if item is not None and not self.is_bound:
            self.initial = self.stored(item) | {"based_on": stamp(item)}
            if "bands" in self.initial:
                self.initial["bands"] = _bands_text(self.initial["bands"])

    @classmethod
    def stored(cls, item) -> dict:
        """A saved item as the cleaned data holds it: the form's initial values, and a refused
        save's newer values (so they compare with what was typed)."""
        out = {f: getattr(item, f) for f in ("code", "measure", "weight", "rule")}
        for name, value in item.params.items():
            if name == "bands":
                out[name] = [(Decimal(str(lo)), Decimal(str(s))) for lo, s in value]
            elif isinstance(cls.base_fields.get(name), forms.DecimalField):
                out[name] = Decimal(str(value))
            else:
                out[name] = value
        return out

    def shown(self, name: str, value) -> str:
        if name == "bands":
            return _bands_text(value) or "—"
        return super().shown(name, value)

    def clean_bands(self):
        text = self.cleaned_data.get("bands") or ""
        bands = []
        for line in filter(None, (raw.strip() for raw in text.splitlines())):
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            try:
                lower, share = (_plain_number(p) for p in parts)
            except (ValueError, ArithmeticError):
                raise forms.ValidationError(
                    _("Write each band as “lower bound, share”, such as 95, 100; not “%(line)s”.")
                    % {"line": line[:40]}
                ) from None
            if not 0 <= share <= 100:
                raise forms.ValidationError(_("A band's share is between 0 and 100 (%)."))
            bands.append((lower, share))
        lowers = [lower for lower, _share in bands]
        if len(set(lowers)) != len(lowers):
            raise forms.ValidationError(_("Two bands have the same lower bound."))
        return sorted(bands, reverse=True)

    def clean(self):
        cleaned = super().clean()
        rule, code = cleaned.get("rule"), cleaned.get("code")
        if code in assessment.DERIVED and cleaned.get("measure") == assessment.GROWTH:
            self.add_error("measure", _("This measure has no growth on a year before."))
        if code and cleaned.get("measure"):
            taken = self.scheme.items.filter(code=code, measure=cleaned["measure"])
            if self.item is not None:
                taken = taken.exclude(pk=self.item.pk)
            if taken.exists():
                self.add_error("code", _("The scheme already scores this indicator this way."))
        if rule:
            self._check_params(rule, cleaned)
        return cleaned

    def _check_params(self, rule: str, cleaned: dict) -> None:
        """The parameters the rule needs, each refused beside its own field."""
        if rule == assessment.TARGET:
            self._check_target(cleaned)
            annual = cleaned.get("code") in self.indicators
            growth = cleaned.get("measure") == assessment.GROWTH
            if (growth or not annual) and not cleaned.get("target") and "target" not in self.errors:
                self.add_error(
                    "target",
                    _("Annual targets are set for indicators' figures only: give a fixed target."),
                )
        elif rule == assessment.BANDS and not cleaned.get("bands") and "bands" not in self.errors:
            self.add_error("bands", _("Give at least one band."))
        elif rule == assessment.RELATIVE and not cleaned.get("direction"):
            self.add_error("direction", _("This rule needs a value here."))
        elif rule == assessment.DEDUCTION:
            per_unit = cleaned.get("per_unit")
            if (per_unit is None or per_unit <= 0) and "per_unit" not in self.errors:
                self.add_error("per_unit", _("Points off per unit are more than 0."))
        elif rule == assessment.LINEAR:
            self._check_linear(cleaned)

    def _check_target(self, cleaned: dict) -> None:
        cap, target = cleaned.get("cap"), cleaned.get("target")
        if cap is None and "cap" not in self.errors:
            self.add_error("cap", _("This rule needs a value here."))
        elif cap is not None and not 0 < cap <= 10:
            self.add_error("cap", _("The cap is a share above 0 and at most 10 (e.g. 1.2)."))
        if target is not None and target <= 0:
            self.add_error("target", _("A target is more than 0."))

    def _check_linear(self, cleaned: dict) -> None:
        zero, full = cleaned.get("zero_at"), cleaned.get("full_at")
        for name, value in (("zero_at", zero), ("full_at", full)):
            if value is None and name not in self.errors:
                self.add_error(name, _("This rule needs a value here."))
        if zero is not None and full is not None and zero == full:
            self.add_error("full_at", _("Full points need a value other than the one scoring 0."))

    def params(self) -> dict:
        """The rule's parameters as stored (only those of the chosen rule; decimals as text)."""
        data, out = self.cleaned_data, {}
        for name in self.PARAMS[data["rule"]]:
            value = data.get(name)
            if name == "bands":
                out[name] = [[assessment.plain(lo), assessment.plain(s)] for lo, s in value]
            elif isinstance(value, Decimal):
                out[name] = assessment.plain(value)
            elif value:
                out[name] = value
        return out

    def item_data(self) -> dict:
        data = self.cleaned_data
        return {
            "code": data["code"],
            "measure": data["measure"],
            "weight": data["weight"],
            "rule": data["rule"],
            "params": self.params(),
        }


def measure_choices(catalogue: tuple, codes: Iterable[str]) -> list:
    """What an item may measure: of the catalogue (services.figures.catalogue), the indicators
    and rates with these codes, by name in <optgroup>s of their category in the catalogue's
    order, then the derived measures (报送完整率)."""
    codes = set(codes)
    named: dict[str, tuple[str, str]] = {}  # a rate's later version names it
    for definition in (*catalogue[0], *catalogue[1]):
        if definition.code in codes:
            named[definition.code] = (definition.category, definition.name)
    groups: dict[str, list] = {}
    for code, (category, name) in named.items():
        groups.setdefault(category, []).append((code, name))
    categories = figures.categories()  # labels and order, through the figures door
    grouped = [(label, groups[value]) for value, label in categories if value in groups]
    return [*grouped, (_("Reporting"), list(assessment.DERIVED.items()))]


BAND_LIMIT = Decimal(10) ** 9


def _plain_number(text: str) -> Decimal:
    """A band's number as people write it: finite, below a billion, at most 4 decimals (NaN,
    1e999999 and the like are refused, never stored)."""
    value = Decimal(text)
    if not value.is_finite() or abs(value) >= BAND_LIMIT or value.as_tuple().exponent < -4:
        raise ValueError(text)
    return value


def _bands_text(bands) -> str:
    """Bands as typed: one a line, "lower bound, share"."""
    return "\n".join(f"{lo}, {share}" for lo, share in bands)


class RankingPeriodForm(PeriodForm):
    """The period a ranking is for, in the scheme's kind of period."""

    PARTS = {
        Scheme.PeriodKind.MONTH: ("month",),
        Scheme.PeriodKind.QUARTER: ("q1", "q2", "q3", "q4"),
        Scheme.PeriodKind.HALF: ("h1", "h2"),
        Scheme.PeriodKind.YEAR: ("year",),
    }
