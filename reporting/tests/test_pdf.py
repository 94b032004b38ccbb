"""The PDF: every label and value of seed 000's upper half, only the shipped font, HarfBuzz subsetting."""

from __future__ import annotations

import io
import logging
import shutil
import subprocess

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db
SEED_000_UPPER_HALF = [
    "事业单位法人年度报告书",
    "《事业单位法人证书》登载事项",
    "单位名称", "重庆市沙坪坝区磁器口社区卫生服务中心",
    "宗旨和业务范围", "为人民健康提供基本医疗卫生服务。承担社区预防、社区保健、社区医疗、社区康复、社区健康教育、社区计划生育等工作。",
    "住所", "重庆市沙坪坝区金磁路4号附1-23号",
    "法定代表人", "彭娅",
    "开办资金", "233.88(万元)",
    "经费来源", "财政补助(全额拨款)",
    "举办单位", "重庆市沙坪坝区卫生健康委员会",
    "资产损益情况", "净资产合计(所有者权益合计)", "年初数(万元)", "年末数(万元)", "244.64", "233.88",
    "网上名称", "无", "从业人数", "60",
    "对《条例》和实施细则有关变更登记规定的执行情况",
    "2022年2月7日办理法人变更登记，法定代表人由李洁变更为彭娅。",
    "2022年3月23日办理法人变更登记，住所由沙坪坝区磁器口正街48号变更为重庆市沙坪坝区金磁路4号附1-23号。",
    "2024年4月9日办理法人变更登记，开办资金由96.7万元变更为233.88万元。",
    "开展业务活动情况",
    "相关资质认可或执业许可证明文件及有效期",
    "中华人民共和国医疗机构执业许可证，有效期：2024年9月5日至2026年7月4日。",
    "绩效和受奖惩及诉讼投诉情况",
    "中心获评“沙坪坝区卫生健康工作2024年度考核优秀单位”",
    "中心党支部获评“沙坪坝区卫生系统先进基层党组织”",
    "接受捐赠资助及使用情况",
]  # fmt: skip


@pytest.fixture
def demo_pdf(tmp_path, caplog):
    if not shutil.which("pdftotext"):
        pytest.fail(
            "poppler-utils is missing: apt-get install -y poppler-utils (make test does this)"
        )
    call_command("load_demo", force=True, stdout=io.StringIO())
    out = tmp_path / "report.pdf"
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        call_command(
            "annual_report",
            "12500106450412352T",
            "2024",
            "--format",
            "pdf",
            "-o",
            str(out),
            stdout=io.StringIO(),
        )
    return out


def _run(*args) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def test_the_pdf_holds_every_label_and_value_of_the_seed_upper_half(demo_pdf):
    text = "".join(_run("pdftotext", "-raw", str(demo_pdf), "-").split())
    missing = [item for item in SEED_000_UPPER_HALF if item not in text]
    assert missing == []


def test_the_pdf_uses_only_the_shipped_font_with_harfbuzz_subsetting(demo_pdf, caplog):
    fonts = _run("pdffonts", str(demo_pdf)).splitlines()[2:]
    names = {line.split()[0].split("+", 1)[-1] for line in fonts}
    assert names == {"CHC-Sans", "CHC-Sans-Bold"}, fonts
    assert all(" yes yes yes " in line for line in fonts)  # embedded, subset, with ToUnicode
    # The PDF is rendered in the fixture, so its warnings were logged during setup.
    subsetting = [r for r in caplog.get_records("setup") if "fontTools" in r.getMessage()]
    assert not subsetting, "install libharfbuzz-subset0"


def test_the_html_command_and_unknown_centres(tmp_path, centre):
    out = tmp_path / "r.html"
    call_command(
        "annual_report",
        str(centre.pk),
        "2024",
        "--format",
        "html",
        "-o",
        str(out),
        stdout=io.StringIO(),
    )
    assert "事业单位法人年度报告书" in out.read_text()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("annual_report", "no-such", "2024", "-o", str(out))


@pytest.mark.django_db
def test_an_unbroken_run_wraps_inside_the_page_and_keeps_every_character(ready, tmp_path):
    """A 3,000-character run with no break (a pasted number, a URL) wraps; it used to leave the
    table cell and the page, so the PDF held 64 of its characters."""
    from reporting.actions import content_of
    from reporting.pdf import report_pdf

    content = content_of(ready) | {"narrative": "一、工作开展情况\n" + "C" * 3000}
    out = tmp_path / "long.pdf"
    out.write_bytes(report_pdf(content=content, centre=ready.centre, year=2024))
    assert _run("pdftotext", str(out), "-").count("C") == 3000
