"""The annual report after approval: the 举办单位's opinion, attachments (hostile files included),
the copy page, the steps recorded from 事业单位在线, the overdue rule and who hears of each step."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import struct
import zlib

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from centers.access import Access
from centers.models import CentreMembership
from centers.permissions import CLERK, MANAGER, REVIEWER
from centers.tests.factories import AuthorityMembershipFactory, CentreMembershipFactory
from core.errors import DomainError
from core.models import AuditEntry
from reporting import actions, attachments, chain, selectors, worklist
from reporting.actions import TransitionNotAllowed
from reporting.attachments import AttachmentRefused, Checked
from reporting.models import (
    DEFAULT_OPINION,
    AnnualFiling,
    FilingAttachment,
    FilingEvent,
    Notification,
    OpinionTemplate,
    ReportRun,
)

pytestmark = pytest.mark.django_db
S = AnnualFiling.Status
M, R, C = (Access(frozenset({role})) for role in (MANAGER, REVIEWER, CLERK))
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TODAY = dt.date(2025, 3, 10)


def _png(width: int = 60, height: int = 40) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def _bomb_png(side: int = 100_000) -> bytes:
    """A PNG header claiming side × side pixels (10 gigapixels) with almost no data: what a
    decompression bomb looks like to Image.open."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def _noisy_jpeg() -> bytes:
    """A photo-like 1600 × 1200 image (random noise does not compress): about 1 MB as JPEG."""
    import os

    image = Image.frombytes("RGB", (1600, 1200), os.urandom(1600 * 1200 * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def _attach(filing, *, actor, kind="certificate", content=PDF, name="证书.pdf", access=M):
    return chain.attachment_add(
        filing=filing,
        kind=kind,
        checked=attachments.check(content),
        name=name,
        actor=actor,
        access=access,
    )


@pytest.fixture
def submitted(ready, manager):
    _attach(ready, actor=manager)
    return actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)


@pytest.fixture
def approved(submitted, reviewer):
    with time_machine.travel(dt.datetime(2025, 3, 1, 9, 0), tick=False):
        return actions.filing_approve(filing=submitted, comment="", actor=reviewer, access=R)


@pytest.fixture
def scanned(approved, manager):
    _attach(approved, kind="signed_scan", content=_png(), name="签章扫描.png", actor=manager)
    return approved


# --- the opinion box ------------------------------------------------------------------------


def test_approval_prints_the_standard_opinion_with_the_day(client, submitted, reviewer, manager):
    with time_machine.travel(dt.datetime(2025, 3, 3, 10, 0), tick=False):
        actions.filing_approve(filing=submitted, comment="", actor=reviewer, access=R)
    version = submitted.versions.get()
    assert (
        version.opinion == DEFAULT_OPINION == "该年度报告书情况属实，并经保密审查，可以向社会公示"
    )
    assert version.approved_on == dt.date(2025, 3, 3)
    client.force_login(manager)
    page = client.get(reverse("reporting:filing", args=[submitted.centre.slug, 2024]))
    assert DEFAULT_OPINION in page.content.decode()
    document = client.get(reverse("reporting:filing-report", args=[submitted.centre.slug, 2024]))
    html = document.content.decode()
    assert DEFAULT_OPINION in html and "2025年3月3日" in html


def test_the_commissions_own_wording_is_printed_and_earlier_approvals_keep_theirs(
    client, submitted, reviewer, district, district_admin
):
    client.force_login(district_admin)
    url = reverse("reporting:opinion-template", args=[district.slug])
    assert DEFAULT_OPINION in client.get(url).content.decode()  # the form starts from it
    response = client.post(url, {"text": "情况属实，同意公示"})
    assert response.status_code == 302
    assert OpinionTemplate.objects.get(authority=district).text == "情况属实，同意公示"
    filing = actions.filing_approve(filing=submitted, comment="", actor=reviewer, access=R)
    assert filing.versions.get().opinion == "情况属实，同意公示"
    chain.opinion_template_save(authority=district, text="另一种措辞", actor=district_admin)
    assert filing.versions.get().opinion == "情况属实，同意公示"


def test_an_empty_wording_is_refused_beside_the_field(client, district, district_admin):
    client.force_login(district_admin)
    url = reverse("reporting:opinion-template", args=[district.slug])
    response = client.post(url, {"text": "  "})
    assert response.status_code == 200 and "has-error" in response.content.decode()
    assert not OpinionTemplate.objects.exists()


def test_the_pdf_rendered_before_approval_is_made_again_with_the_opinion(
    submitted, reviewer, fake_pdf
):
    version = submitted.versions.get()
    ReportRun.objects.create(version=version, status=ReportRun.Status.DONE)
    actions.filing_approve(filing=submitted, comment="", actor=reviewer, access=R)
    run = ReportRun.objects.get(version=version)
    assert run.status == ReportRun.Status.QUEUED
    from reporting.tasks import filing_render_pdf_task

    filing_render_pdf_task(version_id=version.pk)
    assert fake_pdf.call_args.kwargs["opinion"] == DEFAULT_OPINION
    assert ReportRun.objects.get(version=version).status == ReportRun.Status.DONE


def test_whoever_submitted_cannot_approve_even_as_a_reviewer_later(submitted, manager, district):
    CentreMembership.objects.filter(user=manager).delete()
    AuthorityMembershipFactory(user=manager, authority=district)
    with pytest.raises(TransitionNotAllowed, match="提交"):
        actions.filing_approve(filing=submitted, comment="", actor=manager, access=R)
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED


# --- attachments ----------------------------------------------------------------------------


def _upload(client, filing, content, name, kind="certificate", compress=False):
    url = reverse("reporting:attachment-add", args=[filing.centre.slug, filing.year])
    data = {"kind": kind, "file": SimpleUploadedFile(name, content)}
    if compress:
        data["compress"] = "on"
    return client.post(url, data)


def test_a_pdf_is_attached_with_its_size_and_hash(client, ready, clerk):
    client.force_login(clerk)
    response = _upload(client, ready, PDF, "../../证书副本.pdf")
    assert response.status_code == 302
    found = FilingAttachment.objects.get()
    assert (found.name, found.size, found.content_type) == (
        "证书副本.pdf",
        len(PDF),
        "application/pdf",
    )
    assert found.sha256 == hashlib.sha256(PDF).hexdigest()
    assert found.file.name.startswith(f"filing-attachments/{ready.centre_id}/2024/")
    assert found.file.read() == PDF


@pytest.mark.parametrize(
    ("content", "name", "words"),
    [
        (b"<html><script>alert(1)</script></html>", "资产负债表.pdf", "不论文件名"),
        (b"", "空.pdf", "文件为空"),
        (_bomb_png(), "扫描.png", "像素过大"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "坏图.png", "已损坏"),
    ],
    ids=["not-a-pdf", "empty", "decompression-bomb", "damaged-png"],
)
def test_hostile_files_are_refused_with_a_clear_error(client, ready, clerk, content, name, words):
    client.force_login(clerk)
    response = _upload(client, ready, content, name)
    assert response.status_code == 200
    html = response.content.decode()
    assert words in html and "has-error" in html
    assert not FilingAttachment.objects.exists()


def test_an_oversize_file_is_refused_before_it_is_read(client, ready, clerk):
    client.force_login(clerk)
    big = PDF + b"0" * attachments.SIZE_LIMIT
    response = _upload(client, ready, big, "大文件.pdf")
    assert response.status_code == 200
    assert "10 MB" in response.content.decode()
    assert not FilingAttachment.objects.exists()


def test_a_bomb_is_refused_at_pillows_first_level_too(monkeypatch):
    """Between MAX_IMAGE_PIXELS and twice it Pillow only warns: we refuse there already."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 60 * 40 - 1)
    with pytest.raises(AttachmentRefused):
        attachments.check(_png(60, 40))


def test_an_image_is_compressed_to_100_kb_on_request(client, ready, clerk):
    photo = _noisy_jpeg()
    assert len(photo) > 500_000
    client.force_login(clerk)
    assert _upload(client, ready, photo, "扫描件.jpg", compress=True).status_code == 302
    found = FilingAttachment.objects.get()
    assert found.compressed and found.content_type == "image/jpeg"
    assert found.size <= attachments.ONLINE_LIMIT
    assert Image.open(found.file).size[0] >= attachments.MIN_SIDE


def test_a_pdf_cannot_be_compressed(client, ready, clerk):
    client.force_login(clerk)
    response = _upload(client, ready, PDF, "证书.pdf", compress=True)
    assert "只有图片可以压缩" in response.content.decode()
    assert not FilingAttachment.objects.exists()


def test_the_version_lists_what_was_submitted(submitted):
    (listed,) = submitted.versions.get().attachments
    assert listed["name"] == "证书.pdf" and listed["size"] == len(PDF)
    assert listed["sha256"] == hashlib.sha256(PDF).hexdigest()


def test_attachments_are_fixed_under_review_and_after_approval_only_the_scan_moves(
    submitted, reviewer, manager
):
    with pytest.raises(DomainError, match="附件不能再更改"):
        _attach(submitted, actor=manager)
    with time_machine.travel(dt.datetime(2025, 3, 1, 9, 0), tick=False):
        filing = actions.filing_approve(filing=submitted, comment="", actor=reviewer, access=R)
    with pytest.raises(DomainError, match="签字盖章"):
        _attach(filing, kind="balance_sheet", actor=manager)
    certificate = filing.attachments.get()
    with pytest.raises(DomainError):
        chain.attachment_remove(attachment=certificate, actor=manager, access=M)
    scan = _attach(filing, kind="signed_scan", content=_png(), name="扫描.png", actor=manager)
    chain.attachment_remove(attachment=scan, actor=manager, access=M)
    scan.refresh_from_db()
    assert scan.removed_at is not None and scan.file.read()  # kept for the record


def test_a_reviewer_cannot_attach(ready, reviewer):
    with pytest.raises(TransitionNotAllowed):
        _attach(ready, actor=reviewer, access=R)


def test_downloads_are_for_the_centre_and_the_reviewers_above_it(client, ready, users):
    attachment = _attach(ready, actor=users["manager"])
    url = reverse("reporting:attachment", args=[ready.centre.slug, 2024, attachment.pk])
    expected = {
        "clerk": 200,
        "manager": 200,
        "reviewer": 200,
        "city_reviewer": 200,
        "other_member": 404,
        "outsider": 404,
    }
    for role, status in expected.items():
        client.force_login(users[role])
        response = client.get(url)
        assert response.status_code == status, role
        if status == 200:
            assert b"".join(response.streaming_content) == PDF
            assert response["Content-Type"] == "application/pdf"
            assert "attachment" in response["Content-Disposition"]


def test_an_attachment_of_another_filing_is_404(client, ready, manager, other_member, other_centre):
    attachment = _attach(ready, actor=manager)
    client.force_login(other_member)
    url = reverse("reporting:attachment", args=[other_centre.slug, 2024, attachment.pk])
    assert client.get(url).status_code == 404


# --- the copy page ------------------------------------------------------------------------


def test_the_copy_page_lists_the_approved_fields_in_the_form_order(
    client, approved, manager, django_assert_max_num_queries
):
    client.force_login(manager)
    url = reverse("reporting:filing-copy", args=[approved.centre.slug, 2024])
    with django_assert_max_num_queries(6):
        response = client.get(url)
    html = response.content.decode()
    labels = ["统一社会信用代码", "单位名称", "宗旨和业务范围", "举办单位", "开展业务活动情况"]
    positions = [html.index(label) for label in labels]
    assert positions == sorted(positions)
    assert 'data-copy="copy-credit_code"' in html and "12500106450412352T" in html
    assert "开办资金（万元）</th>" in html  # the online form asks for 万元; the value is bare
    assert "js/copy.js" in html and "<script>" not in html  # no inline script (CSP)


def test_the_filing_page_stays_within_its_queries(
    client, scanned, manager, django_assert_max_num_queries
):
    client.force_login(manager)
    url = reverse("reporting:filing", args=[scanned.centre.slug, 2024])
    with django_assert_max_num_queries(12):
        response = client.get(url)
    html = response.content.decode()
    assert "签章扫描.png" in html and 'id="online"' in html


# --- 事业单位在线 and the registration office ------------------------------------------------


def _file(filing, manager, day=dt.date(2025, 3, 5)):
    return chain.filing_record_filed(filing=filing, filed_on=day, actor=manager, access=M)


def test_filing_online_needs_the_signed_scan(approved, manager):
    with pytest.raises(DomainError, match="签字盖章"):
        _file(approved, manager)


@time_machine.travel(dt.datetime(2025, 3, 20, 10, 0), tick=False)
def test_the_whole_chain_filed_returned_filed_again_and_publicised(client, scanned, manager):
    filing = _file(scanned, manager)
    assert (filing.online, filing.filed_online_on) == ("filed", dt.date(2025, 3, 5))
    version = filing.versions.get()
    assert [a["kind"] for a in version.filed_attachments] == ["certificate", "signed_scan"]
    step = filing.events.get(step="filed_online")
    assert step.data["filed_on"] == "2025-03-05" and len(step.data["attachments"]) == 2
    filing = chain.filing_record_registry_return(
        filing=filing, reason="资产负债表净资产与报告书不符", actor=manager, access=M
    )
    assert filing.online == "returned" and filing.status == S.APPROVED
    filing = _file(filing, manager, dt.date(2025, 3, 12))
    filing = chain.filing_record_publicised(
        filing=filing, publicised_on=dt.date(2025, 3, 18), actor=manager, access=M
    )
    assert filing.status == S.PUBLISHED and filing.publicised_on == dt.date(2025, 3, 18)
    steps = list(filing.events.exclude(step="").values_list("step", flat=True))
    assert steps == ["filed_online", "registry_returned", "filed_online", "publicised"]
    public = client.get(reverse("reporting:public-filing", args=[filing.pk])).content.decode()
    assert "公示日期：2025-03-18" in public and "报送日期：2025-03-12" in public
    assert DEFAULT_OPINION in public


def test_steps_out_of_order_are_refused_naming_the_state(scanned, manager, ready):
    with pytest.raises(TransitionNotAllowed, match="尚未在线报送"):
        chain.filing_record_publicised(
            filing=scanned, publicised_on=dt.date(2025, 3, 5), actor=manager, access=M
        )
    with pytest.raises(TransitionNotAllowed):
        chain.filing_record_registry_return(filing=scanned, reason="x", actor=manager, access=M)
    filing = _file(scanned, manager)
    with pytest.raises(TransitionNotAllowed, match="已在线报送"):
        _file(filing, manager)


def test_a_draft_cannot_be_recorded_as_filed(ready, manager):
    with pytest.raises(TransitionNotAllowed, match="草稿"):
        chain.filing_record_filed(
            filing=ready, filed_on=dt.date(2025, 1, 5), actor=manager, access=M
        )


def test_a_clerk_cannot_record_steps_and_a_forged_post_is_403(client, scanned, clerk):
    with pytest.raises(TransitionNotAllowed):
        chain.filing_record_filed(
            filing=scanned, filed_on=dt.date(2025, 3, 5), actor=clerk, access=C
        )
    client.force_login(clerk)
    url = reverse("reporting:filing-filed", args=[scanned.centre.slug, 2024])
    assert client.post(url, {"filed_on": "2025-03-05"}).status_code == 403


def test_dates_in_the_future_or_before_approval_are_refused_beside_the_field(
    client, scanned, manager
):
    client.force_login(manager)
    url = reverse("reporting:filing-filed", args=[scanned.centre.slug, 2024])
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    response = client.post(url, {"filed_on": tomorrow.isoformat()})
    assert response.status_code == 200 and "日期不能晚于今天" in response.content.decode()
    response = client.post(url, {"filed_on": "2020-01-01"})
    assert "审核通过" in response.content.decode()
    response = client.post(url, {"filed_on": "not a date"})
    assert response.status_code == 200 and "has-error" in response.content.decode()
    scanned.refresh_from_db()
    assert scanned.online == ""


def test_a_return_needs_the_registration_offices_reason(scanned, manager):
    filing = _file(scanned, manager)
    with pytest.raises(DomainError, match="登记管理机关"):
        chain.filing_record_registry_return(filing=filing, reason=" ", actor=manager, access=M)


def test_a_report_waiting_for_the_registration_office_is_not_reopened(scanned, manager, reviewer):
    filing = _file(scanned, manager)
    with pytest.raises(TransitionNotAllowed, match="登记管理机关"):
        actions.filing_reopen(filing=filing, reason="再看看", actor=reviewer, access=R)
    filing = chain.filing_record_registry_return(
        filing=filing, reason="内容需修改", actor=manager, access=M
    )
    filing = actions.filing_reopen(
        filing=filing, reason="按登记机关意见修改", actor=reviewer, access=R
    )
    assert filing.status == S.RETURNED and filing.online == "" and filing.filed_online_on is None
    # The scan was signed on the report as it was: the next approval needs a new one.
    assert not filing.attachments.filter(kind="signed_scan", removed_at=None).exists()
    retired = AuditEntry.objects.filter(action="reporting.attachment.deleted").get()
    assert retired.changes["reason"] == "签章扫描件是报告重新打开前签署的。"
    filed = filing.versions.get().filed_attachments  # what was filed still names the scan
    assert [a["kind"] for a in filed][-1] == "signed_scan"


# --- overdue and who hears ------------------------------------------------------------------


def _overdue(filing, today) -> bool:
    from centers.models import Centre

    rows = selectors.subtree_filings(
        centres=Centre.objects.filter(pk=filing.centre_id), year=2024, today=today
    )
    return rows[0].overdue


def test_overdue_until_filed_online_and_again_once_returned_from_there(scanned, manager):
    late = dt.date(2025, 4, 1)
    assert not _overdue(scanned, dt.date(2025, 3, 31))
    assert _overdue(scanned, late)  # approved by the sponsor, not filed online: overdue
    todo = worklist.centre_todo(centre=scanned.centre, today=late)
    assert any("事业单位在线" in item.label and item.overdue for item in todo)
    filing = _file(scanned, manager)
    assert not _overdue(filing, late)
    assert not any(
        "2024" in item.label for item in worklist.centre_todo(centre=filing.centre, today=late)
    )
    filing = chain.filing_record_registry_return(
        filing=filing, reason="退回", actor=manager, access=M
    )
    assert _overdue(filing, late)
    filing = _file(filing, manager, dt.date(2025, 3, 30))
    assert not _overdue(filing, late)


def test_the_deadline_reminder_stops_once_filed_online(scanned, manager):
    from reporting.reminders import reminders_send

    reminders_send(today=dt.date(2025, 3, 25))
    assert Notification.objects.filter(kind=Notification.Kind.FILING_DUE_7).count() == 1
    _file(scanned, manager)
    Notification.objects.all().delete()
    reminders_send(today=dt.date(2025, 3, 26))
    assert not Notification.objects.filter(kind=Notification.Kind.FILING_DUE_7).exists()


def test_each_step_notifies_who_acts_next(scanned, manager, reviewer, city_reviewer, centre):
    other_manager = CentreMembershipFactory(centre=centre, role=CentreMembership.Role.MANAGER).user
    Notification.objects.all().delete()
    filing = _file(scanned, manager)
    heard = set(Notification.objects.values_list("recipient__username", flat=True))
    assert heard == {reviewer.username}  # the sponsor's reviewers follow it; not the actor
    Notification.objects.all().delete()
    chain.filing_record_registry_return(filing=filing, reason="需修改", actor=manager, access=M)
    heard = set(Notification.objects.values_list("recipient__username", flat=True))
    assert heard == {reviewer.username, other_manager.username}
    note = Notification.objects.get(recipient=reviewer)
    assert note.kind == Notification.Kind.FILING_STEP and "登记管理机关退回" in note.title
    assert "需修改" in note.title


def test_every_step_is_audited(scanned, manager):
    from core.models import AuditEntry

    filing = _file(scanned, manager)
    entry = AuditEntry.objects.filter(action="reporting.filing.changed").latest("pk")
    assert entry.changes["online"] == ["", "filed"]
    chain.filing_record_publicised(
        filing=filing, publicised_on=dt.date(2025, 3, 6), actor=manager, access=M
    )
    entry = AuditEntry.objects.filter(action="reporting.filing.published").latest("pk")
    assert entry.changes["status"] == ["approved", "published"]
    assert FilingEvent.objects.filter(filing=filing, step="publicised").exists()
    assert AuditEntry.objects.filter(action="reporting.attachment.create").count() == 2


def test_checked_bytes_keep_their_hash():
    checked = Checked(PDF, "application/pdf", False)
    assert checked.sha256 == hashlib.sha256(PDF).hexdigest()


def test_the_reviewer_sees_the_outcome_and_the_history_reads_in_words(
    client, scanned, manager, reviewer
):
    filing = _file(scanned, manager)
    chain.filing_record_registry_return(
        filing=filing, reason="净资产与资产负债表不符", actor=manager, access=M
    )
    client.force_login(reviewer)
    page = client.get(reverse("reporting:filing", args=[filing.centre.slug, 2024]))
    online = page.content.decode().split('id="online"')[1].split("</section>")[0]
    assert "登记管理机关退回" in online and "净资产与资产负债表不符" in online
    assert "2025-03-05" in online
    listing = client.get(reverse("reporting:authority-filings", args=["district", 2024]))
    assert "登记管理机关退回" in listing.content.decode()
    history = client.get(reverse("centers:history", args=[filing.centre.slug]))
    html = history.content.decode()
    assert "filed_online_on" not in html and "registry_reason" not in html
    assert "reporting.filing" not in html and "报送日期" in html


def _damaged_png(data: bytes, width: int = 1000, height: int = 1000) -> bytes:
    """A PNG whose chunks are all well formed (checksums right) around picture data `data`."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("compress", [False, True])
def test_a_png_with_damaged_picture_data_is_refused_even_after_weasyprint_is_loaded(compress):
    """WeasyPrint makes Pillow fill damaged data with black (LOAD_TRUNCATED_IMAGES): a signed
    scan that decodes to a black page must be refused, not kept."""
    import weasyprint  # noqa: F401  (what sets the flag, as in every served process)

    noise = hashlib.sha256(b"seed").digest() * 6000  # 192,000 bytes that are no zlib stream
    with pytest.raises(AttachmentRefused, match="图片已损坏"):
        attachments.check(_damaged_png(noise), compress_image=compress)
    whole = io.BytesIO()
    Image.new("RGB", (1000, 1000), "red").save(whole, "PNG")
    with pytest.raises(AttachmentRefused, match="图片已损坏"):
        attachments.check(whole.getvalue()[: len(whole.getvalue()) // 3], compress_image=compress)


def test_an_image_longer_than_a_jpeg_can_be_is_refused_for_compression_not_a_500():
    noise = b"".join(hashlib.sha256(bytes([i % 256, i // 256])).digest() for i in range(43_750))
    wide = io.BytesIO()
    Image.frombytes("L", (70_000, 20), noise).save(wide, "PNG")  # noise: over 100 KB as a PNG
    assert len(wide.getvalue()) > attachments.ONLINE_LIMIT
    with pytest.raises(AttachmentRefused, match="图片边长70000像素"):
        attachments.check(wide.getvalue(), compress_image=True)
