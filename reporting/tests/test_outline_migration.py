"""Summaries written with fixed text keys become outlines (migration 0016): the document prints as
before, every version too, and unapplying gives the keys back with the same words."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("reporting", "0015_notification_month_review")]
AFTER = [("reporting", "0016_summary_outline")]
FIGURES = {
    "lead": "截至2024年6月，甲中心各项工作情况如下。",
    "sections": [
        {
            "key": "medical",
            "title": "医疗服务",
            "clauses": [{"text": "门急诊人次3.6万人次，较去年同期增长20%", "code": "opd_visits"}],
        },
        {"key": "activities", "title": "党建与活动", "clauses": []},
    ],
}
TEXTS = {
    "intro": "上半年，中心扎实推进各项工作。",
    "medical": "门诊量稳步上升。\n签约扎实。",
    "activities": "",
    "problems": "1. 人员流动较大。",
    "plans": "",
}


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_old_summaries_and_versions_become_outlines_that_print_the_same():
    from reporting.outline import document_tree

    old = _migrate(BEFORE)
    authority = old.get_model("centers", "Authority").objects.create(name="区卫健委", slug="d")
    centre = old.get_model("centers", "Centre").objects.create(
        name="甲中心", slug="c", sponsor=authority
    )
    summary = old.get_model("reporting", "Summary").objects.create(
        centre=centre,
        kind="half",
        first=dt.date(2024, 1, 1),
        last=dt.date(2024, 6, 1),
        title="甲中心2024年上半年工作总结",
        figures=FIGURES,
        texts=TEXTS,
    )
    version = old.get_model("reporting", "SummaryVersion")
    version.objects.create(summary=summary, number=1, texts={"intro": "初稿"}, figures={})
    version.objects.create(summary=summary, number=2, texts=TEXTS, figures=FIGURES)
    before = document_tree(summary=summary, figures=FIGURES, texts=TEXTS)  # read as legacy

    new = _migrate(AFTER)
    stored = new.get_model("reporting", "Summary").objects.get(pk=summary.pk)
    assert stored.texts["format"] == 2 and stored.texts["lead"] == "上半年，中心扎实推进各项工作。"
    assert document_tree(summary=stored, figures=stored.figures, texts=stored.texts) == before
    printed = [
        (n["heading"], [b["text"] for b in n["blocks"]])
        for top in before["sections"]
        for n in [top, *top["children"]]
    ]
    assert printed == [
        ("一、工作情况", ["截至2024年6月，甲中心各项工作情况如下。"]),
        (
            "（一）医疗服务",
            ["门急诊人次3.6万人次，较去年同期增长20%。", "门诊量稳步上升。", "签约扎实。"],
        ),
        ("（二）党建与活动", ["本期无已报数据。"]),
        ("二、存在的问题", ["1. 人员流动较大。"]),
        ("三、下一步工作计划", ["（无）"]),
    ]
    versions = new.get_model("reporting", "SummaryVersion").objects.filter(summary_id=summary.pk)
    assert {v.number: v.texts["format"] for v in versions} == {1: 2, 2: 2}
    first = versions.get(number=1)
    assert first.texts["lead"] == "初稿"

    back = _migrate(BEFORE)
    restored = back.get_model("reporting", "Summary").objects.get(pk=summary.pk)
    assert restored.texts == {
        "intro": "上半年，中心扎实推进各项工作。",
        "medical": "门诊量稳步上升。\n签约扎实。",
        "public_health": "",
        "family_doctor": "",
        "commission": "",
        "workforce": "",
        "activities": "",
        "problems": "1. 人员流动较大。",
        "plans": "",
    }
    _migrate(_latest())
