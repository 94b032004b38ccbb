"""Characters XML cannot hold and cells that could run as formulas: core.text, core.forms and
core.spreadsheet.text_cell, which every export and form uses."""

from __future__ import annotations

import io

import pytest
from django import forms
from django.utils import translation
from openpyxl import Workbook, load_workbook

from core import spreadsheet
from core.forms import TextGuard
from core.text import (
    has_control_chars,
    refuse_control_chars,
    strip_control_chars,
    xml_safe,
    xml_safe_data,
)

FORMULA = '=HYPERLINK("http://x","y")'
HOSTILE = [FORMULA, "+1+2", "-3", "@SUM(A1)", "\t=1", "\r=1", "'=1"]
CONTROL_MESSAGE = "此处含有不可见的控制字符"


def test_xml_safe_drops_what_xml_cannot_hold_and_keeps_the_rest():
    assert xml_safe("a\x00b\x01c\x08d\x0be\x0cf\x0eg\x1fh\ufffei\uffffj\ud800k") == "abcdefghijk"
    assert xml_safe("名\t称\n第二行\r\x7f") == "名\t称\n第二行\r\x7f"


def test_xml_safe_data_cleans_nested_strings_only():
    data = {"a": ["x\x01", ("y\x0b", 3)], "b": None, "c": {"d": "z\x1f"}}
    assert xml_safe_data(data) == {"a": ["x", ("y", 3)], "b": None, "c": {"d": "z"}}


def test_free_text_keeps_tabs_and_line_breaks():
    assert strip_control_chars("一\x01二\t三\r\n四\x0b五\x7f六\x85") == "一二\t三\r\n四五六"


BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
MARKS = ["\u200e", "\u200f"]  # left-to-right and right-to-left marks
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]


@pytest.mark.parametrize("char", BIDI + MARKS + ZERO_WIDTH)
def test_one_line_values_refuse_bidi_controls_and_invisible_characters(char):
    # "\u202e室科" shows as 科室; "内\u200b科" looks like 内科 and is another department.
    for name in (f"{char}室科", f"内{char}科", f"内科{char}"):
        assert has_control_chars(name), repr(name)
        with pytest.raises(forms.ValidationError):
            refuse_control_chars(name)
    assert not has_control_chars("内科 · 全科门诊（一）")


def test_free_text_drops_bidi_controls_and_keeps_emoji_joiners_and_marks():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji, joined by U+200D
    typed = "".join(f"{c}说明" for c in BIDI) + family + "\u200e\u200f"
    assert strip_control_chars(typed) == "说明" * len(BIDI) + family + "\u200e\u200f"


def test_text_guard_refuses_a_reversed_name_and_cleans_a_reversed_reason():
    form = _Form({"name": "\u202e室科", "reason": "\u202e原因", "narrative": "第\u2067一段\u2069"})
    with translation.override("zh-hans"):
        assert not form.is_valid()
        assert CONTROL_MESSAGE in form.errors["name"][0]
    assert set(form.errors) == {"name"}
    assert form.cleaned_data["reason"] == "原因"
    assert form.cleaned_data["narrative"] == "第一段"


def _book(writer) -> Workbook:
    out = io.BytesIO()
    writer().save(out)
    return load_workbook(io.BytesIO(out.getvalue()))


@pytest.mark.parametrize("write_only", [True, False])
def test_text_cells_are_text_never_formulas_and_read_back_unchanged(write_only):
    def writer():
        book = Workbook(write_only=write_only)
        sheet = book.create_sheet("s") if write_only else book.active
        sheet.append(spreadsheet.text_row(sheet, [*HOSTILE, 12, None, "坏\x01名\x0b"]))
        return book

    cells = next(iter(_book(writer).worksheets[0].iter_rows()))
    assert [c.data_type for c in cells[: len(HOSTILE)]] == ["s"] * len(HOSTILE)
    assert [c.value for c in cells[: len(HOSTILE)]] == HOSTILE
    assert cells[len(HOSTILE)].value == 12 and cells[len(HOSTILE)].data_type == "n"
    assert cells[-1].value == "坏名"


class _Form(TextGuard, forms.Form):
    free_text_fields = ("reason",)

    name = forms.CharField(max_length=50)
    reason = forms.CharField(required=False)
    narrative = forms.CharField(required=False, widget=forms.Textarea, strip=False)
    password = forms.CharField(required=False, widget=forms.PasswordInput, strip=False)


def test_text_guard_refuses_names_and_strips_free_text():
    data = {
        "name": "张\x01三",
        "reason": "原因\x0b说明",
        "narrative": "第一段\x07\n\t第二段",
        "password": "p\x01w",
    }
    form = _Form(data)
    with translation.override("zh-hans"):
        assert not form.is_valid()
        assert CONTROL_MESSAGE in form.errors["name"][0]
    assert set(form.errors) == {"name"}
    assert form["name"].value() == "张\x01三"  # shown back as typed, to correct
    assert form.cleaned_data["reason"] == "原因说明"
    assert form.cleaned_data["narrative"] == "第一段\n\t第二段"
    assert form.cleaned_data["password"] == "p\x01w"  # passwords are never changed


def test_text_guard_covers_fields_added_after_init():
    form = _Form({"name": "张三", "extra": "x\x1fy"})
    form.fields["extra"] = forms.CharField()
    assert not form.is_valid() and set(form.errors) == {"extra"}


def test_text_guard_leaves_nul_in_free_text_to_djangos_refusal():
    form = _Form({"name": "张三", "narrative": "a\x00b"})
    assert not form.is_valid() and set(form.errors) == {"narrative"}
