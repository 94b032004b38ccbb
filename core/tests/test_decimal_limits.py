"""Decimal limits said in the number's own terms, once: a field's own minimum or maximum, when
tighter, speaks for a value beyond it instead of a second message about digits."""

from __future__ import annotations

import pytest
from django import forms
from django.utils import translation

from core.forms import explain_decimal_limits


def _errors(value: str, **bounds) -> list[str]:
    field = explain_decimal_limits(forms.DecimalField(max_digits=10, decimal_places=2, **bounds))
    with translation.override("zh-hans"):
        try:
            field.clean(value)
        except forms.ValidationError as exc:
            return [str(m) for m in exc.messages]
    return []


@pytest.mark.parametrize(
    ("value", "bounds", "said"),
    [
        ("1e20", {}, ["不能超过 99999999.99。"]),
        ("-1e20", {}, ["不能小于 -99999999.99。"]),
        ("1.234", {}, ["最多保留 2 位小数。"]),
        ("-1e20", {"min_value": 0}, ["确保该值大于或等于0。"]),  # not also "不能小于 -99999999.99"
        ("1e20", {"max_value": 100}, ["确保该值小于或等于100。"]),
        ("1e20", {"min_value": 0}, ["不能超过 99999999.99。"]),
        ("12.5", {"min_value": 0, "max_value": 100}, []),
    ],
)
def test_each_refusal_is_said_once(value, bounds, said):
    assert _errors(value, **bounds) == said
