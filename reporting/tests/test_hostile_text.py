"""Hostile names in reporting output (the dashboard XLSX, the summary's DOCX, PDF and page, the
printable report) and control characters in the reporting forms' free text."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from centers.access import Access
from centers.models import Authority, Centre
from centers.permissions import MANAGER
from reporting import actions
from reporting.forms import CommentForm, NarrativeForm, ReasonForm, SummaryTextsForm
from reporting.summary import Owner
from reporting.tests.data import H1_2024
from services.models import Activity, ActivityKind

pytestmark = pytest.mark.django_db
FORMULA = '=HYPERLINK("http://x","y")'
BAD_NAME = "磁器口\x01社区卫生\x0b服务中心"
CLEAN_NAME = "磁器口社区卫生服务中心"


def _dashboard(client, district):
    client.raise_request_exception = False
    response = client.get(
        reverse("reporting:dashboard-export", args=[district.slug]), {"year": 2024, "part": "h1"}
    )
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content)).active


def test_dashboard_export_writes_formula_names_as_text(client, reviewer, district, district_data):
    Centre.objects.filter(slug="jia").update(name=FORMULA)
    Authority.objects.filter(pk=district.pk).update(name=FORMULA)
    client.force_login(reviewer)
    sheet = _dashboard(client, district)
    title = sheet.cell(1, 1)
    assert title.data_type == "s" and title.value.startswith(FORMULA)
    row = next(r for r in sheet.iter_rows(min_row=3) if r[1].value == FORMULA)
    assert row[1].data_type == "s" and row[2].data_type == "s" and row[2].value == FORMULA
    assert row[3].data_type == "n"  # figures stay numbers


def test_dashboard_export_survives_control_characters_in_names(
    client, reviewer, district, district_data
):
    Centre.objects.filter(slug="jia").update(name="甲\x01中心")
    Authority.objects.filter(pk=district.pk).update(name="沙坪坝区\x0b卫健委")
    client.force_login(reviewer)
    sheet = _dashboard(client, district)
    assert sheet.cell(1, 1).value.startswith("沙坪坝区卫健委")
    assert "甲中心" in [r[1] for r in sheet.iter_rows(min_row=3, values_only=True)]


@pytest.fixture
def hostile_summary(centre, manager):
    """A centre summary whose centre name and an activity title hold control characters."""
    Activity.objects.create(
        centre=centre,
        date=dt.date(2024, 3, 2),
        kind=ActivityKind.objects.get(name="健康讲座"),
        title="义诊\x01进社区",
        people=40,
    )
    summary = actions.summary_create(
        owner=Owner(name=centre.name, centre=centre), period=H1_2024, kind="half", actor=manager
    )
    Centre.objects.filter(pk=centre.pk).update(name=BAD_NAME)
    centre.refresh_from_db()
    summary.figures = {
        **summary.figures,
        "lead": f"{BAD_NAME}\x02上半年",
        "owner": BAD_NAME,
    }
    summary.title = f"{BAD_NAME}2024年上半年工作总结"
    summary.save(update_fields=["figures", "title"])
    return summary


@pytest.mark.parametrize("view", ["summary-docx", "summary-pdf", "summary-document"])
def test_summary_outputs_survive_control_characters_in_stored_names(
    client, centre, manager, hostile_summary, view
):
    client.force_login(manager)
    client.raise_request_exception = False
    url = reverse(f"reporting:centre-{view}", args=[centre.slug, hostile_summary.pk])
    response = client.get(url)
    assert response.status_code == 200
    if view == "summary-docx":
        import docx

        text = "\n".join(p.text for p in docx.Document(io.BytesIO(response.content)).paragraphs)
        assert CLEAN_NAME in text and "\x01" not in text


def test_the_printable_report_survives_control_characters_in_the_centre_name(
    client, ready, manager
):
    Centre.objects.filter(pk=ready.centre_id).update(name=BAD_NAME, address="某路\x0c1号")
    client.force_login(manager)
    client.raise_request_exception = False
    url = reverse("reporting:filing-report", args=[ready.centre.slug, ready.year])
    assert client.get(url).status_code == 200


# --- free text in the reporting forms loses control characters, keeps tabs and lines ----------

TYPED = "第一段\x01\x0b\n\t第二段\x1f"
KEPT = "第一段\n\t第二段"


@pytest.mark.parametrize(
    ("form_class", "field", "extra"),
    [
        (NarrativeForm, "narrative", {"version": "1"}),
        (ReasonForm, "reason", {}),
        (CommentForm, "comment", {}),
    ],
)
def test_reporting_free_text_drops_control_characters(form_class, field, extra):
    form = form_class({field: TYPED, **extra})
    assert form.is_valid(), form.errors
    assert form.cleaned_data[field].strip() == KEPT


def test_summary_texts_drop_control_characters():
    from reporting.forms import initial_values
    from reporting.outline_legacy import upgrade

    outline = upgrade({"plans": "计划"}, {})
    plans = next(s for s in outline["sections"] if s.get("role") == "plans")
    data = initial_values(outline, {}) | {"lead": TYPED, f"t-{plans['blocks'][0]['id']}": TYPED}
    form = SummaryTextsForm(data, outline=outline, figures={})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["lead"] == KEPT
    texts, _note = form.result()
    assert (
        next(s for s in texts["sections"] if s.get("role") == "plans")["blocks"][0]["text"] == KEPT
    )


def test_a_return_reason_is_saved_without_control_characters(client, ready, manager, reviewer):
    filing = actions.filing_submit(
        filing=ready, actor=manager, access=Access(frozenset({MANAGER})), render_pdf=False
    )
    client.force_login(reviewer)
    client.post(
        reverse("reporting:filing-return", args=[filing.centre.slug, filing.year]),
        {"reason": "请补充\x01附表"},
    )
    assert filing.events.last().comment == "请补充附表"
