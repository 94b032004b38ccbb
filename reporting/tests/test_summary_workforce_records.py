"""The summary's 人员队伍 section quotes the staff records (issue 18): seed 000's 外派进修学习5人次
and 高级职称通过评审1人 for 磁器口 in 2024, and its 编制, from the demo."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from centers.demo import load_centres_demo
from core.periods import Period
from reporting.models import Summary
from reporting.outline import document_tree
from reporting.summary import Owner, generate
from staff.demo import load_staff_demo

pytestmark = pytest.mark.django_db
QUOTED = [
    "外派进修学习5人次",
    "高级职称通过评审1人",
    "核定编制15人（全额拨款事业编制15人），实有在编12人，空编3人",
]


@pytest.fixture
def ciqikou():
    centres = load_centres_demo()
    load_staff_demo(centres)
    return centres["ciqikou"]


def test_the_workforce_section_has_the_records_clauses(ciqikou):
    g = generate(
        owner=Owner(name=ciqikou.name, centre=ciqikou),
        period=Period.year(2024),
        today=dt.date(2025, 2, 1),
    )
    workforce = next(s for s in g["sections"] if s["key"] == "workforce")
    texts = {c["key"]: c["text"] for c in workforce["clauses"]}
    assert texts["staff.further_study"] == QUOTED[0]
    assert texts["staff.promotions"].startswith(QUOTED[1])  # and 中级职称通过评审1人
    assert texts["staff.establishment"] == QUOTED[2]
    assert "培训进修共12人次" in texts["staff.training"]  # 5 进修 + 4 继续教育 + 3 适宜技术


def test_a_new_summary_quotes_them_in_its_workforce_paragraph(client, ciqikou):
    client.force_login(get_user_model().objects.get(username="manager"))
    response = client.post(
        reverse("reporting:centre-summaries", args=[ciqikou.slug]), {"kind": "year", "year": 2024}
    )
    assert response.status_code == 302
    summary = Summary.objects.get(centre=ciqikou)
    tree = document_tree(summary=summary, figures=summary.figures, texts=summary.texts)
    nodes = [n for top in tree["sections"] for n in [top, *top["children"]]]
    text = "".join(b.get("text", "") for n in nodes for b in n["blocks"])
    for quoted in QUOTED:
        assert quoted in text


def test_the_annual_reports_staff_count_under_the_establishment_definition(ciqikou):
    from django.test import override_settings

    from reporting.prefill import prefill

    with override_settings(FILING_STAFF_COUNT="establishment"):
        filled = prefill(ciqikou, 2024)
    assert filled["staff_count"] == "12"  # 在编 on 31 December 2024
    assert filled["staff_count_basis"].endswith("（核定编制15人）")
