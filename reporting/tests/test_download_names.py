"""Every PDF, XLSX and DOCX download is saved under a Chinese name (RFC 5987 filename*)."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from centers.access import Access
from centers.permissions import MANAGER
from core.downloads import download_name
from reporting import actions
from reporting.models import ReportRun
from reporting.summary import Owner
from reporting.tests.data import H1_2024

pytestmark = pytest.mark.django_db
M = Access(frozenset({MANAGER}))


def saved_as(response) -> str:
    """The file name a browser saves the response under (the filename* form, decoded)."""
    header = response["Content-Disposition"]
    assert header.startswith("attachment;")
    match = re.search(r"filename\*=utf-8''([^;]+)", header)
    assert match, header
    return unquote(match.group(1))


def test_download_name_joins_and_cleans():
    assert download_name("磁器口社区卫生服务中心", "2024年度报告", ext="pdf") == (
        "磁器口社区卫生服务中心_2024年度报告.pdf"
    )
    assert download_name('甲/乙:"丙"', "", " 丁. ", ext="xlsx") == "甲乙丙_丁.xlsx"
    assert download_name("", ext="docx") == "download.docx"


def test_the_annual_report_pdf(client, ready, manager):
    filing = actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    version = filing.versions.get()
    run = ReportRun.objects.create(
        version=version, status=ReportRun.Status.DONE, finished_at=timezone.now()
    )
    run.file.save("names-test.pdf", ContentFile(b"%PDF-1.4 fake"))
    client.force_login(manager)
    response = client.get(reverse("reporting:pdf-download", args=["ciqikou", 2024]))
    assert saved_as(response) == "磁器口社区卫生服务中心_2024年度报告_第1版.pdf"
    run.file.delete()


def test_the_tally_export(client, centre, manager):
    client.force_login(manager)
    response = client.get(reverse("services:tally-export", args=["ciqikou", 2024]))
    assert saved_as(response) == "磁器口社区卫生服务中心_2024年服务统计.xlsx"


def test_the_roster_export(client, centre, manager):
    client.force_login(manager)
    response = client.get(reverse("staff:roster-export", args=["ciqikou"]))
    day = timezone.localdate().isoformat()
    assert saved_as(response) == f"磁器口社区卫生服务中心_人员花名册_{day}.xlsx"


@pytest.mark.parametrize("kind", ["pdf", "docx"])
def test_the_summary_documents(client, centre, manager, kind, monkeypatch):
    from reporting import summary_output

    monkeypatch.setattr(summary_output, "document_pdf", lambda **kw: b"%PDF-1.4 fake")
    summary = actions.summary_create(
        owner=Owner(name=centre.name, centre=centre), period=H1_2024, kind="half", actor=manager
    )
    client.force_login(manager)
    url = reverse(f"reporting:centre-summary-{kind}", args=["ciqikou", summary.pk])
    assert saved_as(client.get(url)) == f"磁器口社区卫生服务中心2024年上半年工作总结.{kind}"


def test_the_dashboard_export(client, reviewer, district, district_data):
    client.force_login(reviewer)
    url = reverse("reporting:dashboard-export", args=["district"])
    response = client.get(url, {"year": 2024, "part": "h1"})
    assert saved_as(response) == "重庆市沙坪坝区卫生健康委员会_2024年上半年关键指标.xlsx"


def test_a_long_name_is_cut_to_what_windows_saves():
    name = download_name("卫" * 200, ext="docx")  # a summary's title may run to 200
    assert name == "卫" * 120 + ".docx"
    assert download_name("甲" * 119 + " .x", ext="xlsx") == "甲" * 119 + ".xlsx"  # no end dot
