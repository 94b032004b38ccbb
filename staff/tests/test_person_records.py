"""The person page's training, registrations and promotions; the centre's lists and its 编制
page: htmx sections, errors beside the field, stale edits, audit, masking and query ceilings."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from core.models import AuditEntry
from core.stale import stamp
from staff.models import EstablishmentQuota, PractisingLicence, Promotion, Training
from staff.tests.factories import PersonFactory, SpellFactory
from staff.tests.record_factories import (
    LicenceFactory,
    PromotionFactory,
    QuotaFactory,
    TrainingFactory,
)

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _url(centre, name, *args):
    return reverse(f"staff:{name}", args=[centre.slug, *args])


@pytest.fixture
def nurse(centre):
    return SpellFactory(
        person=PersonFactory(centre=centre, name="王芳"),
        hired_on=dt.date(2022, 3, 1),
        category="nurse",
        title="junior",
        title_name="护师",
    )


TRAINING = {
    "kind": "further_study",
    "place": "重庆医科大学附属第一医院",
    "subject": "急诊护理",
    "started_on": "2024-03-01",
    "ended_on": "2024-05-31",
    "hours": "120",
    "credits": "10",
}


def test_clerk_adds_training_in_place_and_it_is_audited(client, clerk, centre, nurse):
    client.force_login(clerk)
    url = _url(centre, "training-add", nurse.person_id)
    response = client.post(url, TRAINING, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<section class="card" id="training-section">')
    assert "急诊护理" in body
    record = Training.objects.get()
    assert record.credits == 10 and record.centre == centre
    entry = AuditEntry.objects.get(action="staff.training.created")
    assert entry.changes["place"] == [None, "重庆医科大学附属第一医院"]
    plain = client.post(url, {**TRAINING, "started_on": "2024-06-01", "ended_on": "2024-06-02"})
    assert plain.status_code == 302 and plain["Location"].endswith("#training-section")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ended_on": "2024-02-01"}, "ended_on", "培训结束日期早于开始日期"),
        ({"started_on": "2021-05-01", "ended_on": "2021-05-02"}, "started_on", "未在本中心任职"),
        ({"credits": "-2"}, "credits", "大于或等于0"),
        ({"kind": "wizardry"}, "kind", "选择一个有效的选项"),
        ({"started_on": "2024-02-30"}, "started_on", "有效的日期"),
    ],
)
def test_bad_training_is_refused_beside_the_field(
    client, clerk, centre, nurse, changes, field, message
):
    client.force_login(clerk)
    response = client.post(
        _url(centre, "training-add", nurse.person_id),
        {**TRAINING, **changes},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{field}-error"' in body and message in body, body
    assert "急诊护理" in body  # what was typed is kept
    assert not Training.objects.exists()


def test_training_before_hiring_is_allowed_when_marked_external(client, clerk, centre, nurse):
    client.force_login(clerk)
    data = {**TRAINING, "started_on": "2019-03-01", "ended_on": "2019-04-01", "external": "on"}
    response = client.post(_url(centre, "training-add", nurse.person_id), data)
    assert response.status_code == 302
    assert Training.objects.get().external


def test_a_stale_training_edit_is_refused_with_both_versions(client, clerk, manager, centre, nurse):
    record = TrainingFactory(person=nurse.person, place="区人民医院")
    url = _url(centre, "training-edit", record.pk)
    client.force_login(clerk)
    opened = client.get(url, HTTP_HX_REQUEST="true")
    based_on = opened.context["forms"]["training"]["based_on"].value()
    assert based_on == stamp(record)
    other = client.__class__()
    other.force_login(manager)
    first = other.post(url, {**TRAINING, "place": "市急救中心", "based_on": based_on})
    assert first.status_code == 302
    refused = client.post(
        url, {**TRAINING, "place": "西南医院", "based_on": based_on}, HTTP_HX_REQUEST="true"
    )
    body = refused.content.decode()
    assert refused.status_code == 200 and 'id="stale-conflict"' in body
    assert "市急救中心" in body and 'value="西南医院"' in body
    assert Training.objects.get().place == "市急救中心"
    entry = AuditEntry.objects.get(action="staff.training.updated")
    assert entry.changes["place"] == ["区人民医院", "市急救中心"]


def test_deleting_keeps_the_values_in_the_audit(client, clerk, centre, nurse):
    record = PromotionFactory(person=nurse.person, title="intermediate", title_name="主管护师")
    client.force_login(clerk)
    response = client.post(_url(centre, "promotion-delete", record.pk), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "<html" not in response.content.decode()
    assert not Promotion.objects.exists()
    entry = AuditEntry.objects.get(action="staff.promotion.deleted")
    assert entry.changes["title_name"] == ["主管护师", None]


def test_a_promotion_reads_its_level_from_the_written_title(client, clerk, centre, nurse):
    client.force_login(clerk)
    data = {"title_name": "主管护师", "title": "", "previous_title": "junior"}
    data |= {
        "passed_on": "2024-05-10",
        "appointed_on": "2024-07-01",
        "document": "渝卫职改〔2024〕3号",
    }
    assert client.post(_url(centre, "promotion-add", nurse.person_id), data).status_code == 302
    assert Promotion.objects.get().title == "intermediate"
    bad = client.post(
        _url(centre, "promotion-add", nurse.person_id),
        data | {"appointed_on": "2024-01-01"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'id="id_appointed_on-error"' in bad and "聘任日期不能早于评审通过日期" in bad


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, "PNG")
    return out.getvalue()


def test_a_certificate_is_checked_stored_and_served_safely(
    client, clerk, reviewer, centre, nurse, django_capture_on_commit_callbacks
):
    client.force_login(clerk)
    url = _url(centre, "training-add", nurse.person_id)
    fake = SimpleUploadedFile("证书.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    refused = client.post(url, {**TRAINING, "certificate_file": fake}, HTTP_HX_REQUEST="true")
    body = refused.content.decode()
    assert 'id="id_certificate_file-error"' in body and "只能附加 PDF" in body
    assert not Training.objects.exists()
    upload = SimpleUploadedFile("进修结业证书.pdf", PDF, content_type="application/pdf")
    assert client.post(url, {**TRAINING, "certificate_file": upload}).status_code == 302
    record = Training.objects.get()
    assert (
        record.certificate_name == "进修结业证书.pdf"
        and record.certificate_type == "application/pdf"
    )
    assert "进修结业证书" not in record.certificate.name  # stored under a name of ours
    client.force_login(reviewer)
    download = client.get(_url(centre, "training-certificate", record.pk))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["X-Content-Type-Options"] == "nosniff"
    # Replacing it with an image: the old file goes once the change is committed.
    client.force_login(clerk)
    image = SimpleUploadedFile("scan.png", _png(), content_type="image/png")
    edit = _url(centre, "training-edit", record.pk)
    old = record.certificate.name
    storage = record.certificate.storage
    data = {**TRAINING, "certificate_file": image, "based_on": stamp(record)}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(edit, data).status_code == 302
    record.refresh_from_db()
    assert record.certificate_type == "image/png" and not storage.exists(old)
    entry = AuditEntry.objects.get(action="staff.training.updated")
    assert entry.changes["certificate_name"] == ["进修结业证书.pdf", "scan.png"]


def test_licence_numbers_are_masked_for_those_who_may_not_see_id_numbers(
    client, clerk, manager, centre, nurse
):
    lic = LicenceFactory(person=nurse.person, licence_number="202550012345678")
    page = _url(centre, "person", nurse.person_id)
    client.force_login(manager)
    assert "202550012345678" in client.get(page).content.decode()
    client.force_login(clerk)
    body = client.get(page).content.decode()
    assert "202550012345678" not in body and "2025***********" in body
    listing = client.get(_url(centre, "licence-list")).content.decode()
    assert "202550012345678" not in listing and "2025***********" in listing
    # The masked number sent back unchanged keeps the stored one; the history hides it.
    edit = _url(centre, "licence-edit", lic.pk)
    form = client.get(edit, HTTP_HX_REQUEST="true").context["forms"]["licence"]
    assert form["licence_number"].value() == "2025***********"
    data = {
        "kind": "nurse",
        "licence_number": "2025***********",
        "registered_here": "on",
        "issued_on": "2020-01-01",
        "valid_to": "2025-06-30",
        "based_on": stamp(lic),
    }
    assert client.post(edit, data).status_code == 302
    lic.refresh_from_db()
    assert lic.licence_number == "202550012345678" and lic.valid_to == dt.date(2025, 6, 30)
    history = client.get(
        reverse("centers:history", args=[centre.slug]),
        {"type": "staff.practisinglicence", "id": lic.pk},
    ).content.decode()
    assert "202550012345678" not in history
    client.force_login(manager)
    refused = client.post(edit, data | {"licence_number": "2025****"}, HTTP_HX_REQUEST="true")
    assert "完整填写证书编号" in refused.content.decode()


def test_person_page_and_lists_are_bounded(client, clerk, centre, django_assert_max_num_queries):
    spell = SpellFactory(person=PersonFactory(centre=centre), category="nurse")
    others = [SpellFactory(person=PersonFactory(centre=centre)).person for _ in range(40)]
    for i, person in enumerate([spell.person] * 20 + others):
        month, day = 1 + i % 12, 1 + i % 20
        TrainingFactory(
            person=person, started_on=dt.date(2024, month, day), ended_on=dt.date(2024, month, 25)
        )
        LicenceFactory(person=person, valid_to=dt.date(2024, month, 28))
        PromotionFactory(person=person, passed_on=dt.date(2024, month, 3))
    QuotaFactory(centre=centre)
    client.force_login(clerk)
    with django_assert_max_num_queries(10):
        body = client.get(_url(centre, "person", spell.person_id)).content.decode()
    assert body.count('<tr id="training-') == 20
    record = spell.person.trainings.first()
    with django_assert_max_num_queries(10):  # the record itself, then the person page
        edit = client.get(_url(centre, "training-edit", record.pk), HTTP_HX_REQUEST="true")
    assert edit.status_code == 200 and "<html" not in edit.content.decode()
    for name, params in (
        ("training-list", {"year": "2024"}),
        ("licence-list", {"on": "2024-06-30"}),
        ("promotion-list", {"year": "2024"}),
        ("establishment", {}),
    ):
        with django_assert_max_num_queries(9):
            response = client.get(_url(centre, name), params)
        assert response.status_code == 200
    assert response.content.decode().count('<tr id="quota-') == 1


def test_lists_count_and_filter(client, reviewer, centre, nurse):
    TrainingFactory(person=nurse.person, kind="appropriate_tech", credits=2)
    TrainingFactory(person=nurse.person, kind="appropriate_tech", started_on=dt.date(2024, 8, 1),
                    ended_on=dt.date(2024, 8, 2), credits=1)  # fmt: skip
    client.force_login(reviewer)
    h1 = client.get(
        _url(centre, "training-list"), {"year": "2024", "part": "h1"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert '<td class="num" id="training-times">1</td>' in h1 and "<html" not in h1
    year = client.get(_url(centre, "training-list"), {"year": "2024"}).content.decode()
    assert '<td class="num" id="training-times">2</td>' in year
    assert '<td class="num" id="training-credits">3</td>' in year
    assert client.get(_url(centre, "training-list"), {"year": "x", "kind": "??"}).status_code == 200
    licences = client.get(_url(centre, "licence-list"), {"on": "2024-06-30"}).content.decode()
    assert 'id="unregistered"' in licences and "王芳" in licences  # a nurse with no registration


def test_the_establishment_page_adds_a_quota_and_refuses_a_duplicate(client, clerk, centre):
    SpellFactory(person=PersonFactory(centre=centre), establishment="on", contract_kind="")
    client.force_login(clerk)
    data = {
        "kind": "full",
        "approved": "12",
        "effective_on": "2021-01-01",
        "document": "沙编〔2021〕5号",
    }
    added = client.post(_url(centre, "quota-add"), data, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="quota-section"' in added and "<html" not in added
    assert EstablishmentQuota.objects.get().approved == 12
    again = client.post(_url(centre, "quota-add"), data, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="id_effective_on-error"' in again and EstablishmentQuota.objects.count() == 1
    page = client.get(_url(centre, "establishment"), {"on": "2024-12-31"}).content.decode()
    assert '<dd id="establishment-vacant">11</dd>' in page
    assert AuditEntry.objects.filter(action="staff.establishmentquota.created").count() == 1


def test_the_roster_shows_the_title_on_its_day_and_flags_the_unregistered(
    client, reviewer, centre, nurse
):
    PromotionFactory(
        person=nurse.person,
        title="intermediate",
        title_name="主管护师",
        previous_title="junior",
        passed_on=dt.date(2024, 5, 10),
        appointed_on=dt.date(2024, 7, 1),
    )
    client.force_login(reviewer)
    before = client.get(_url(centre, "roster"), {"on": "2024-06-30"}).content.decode()
    after = client.get(_url(centre, "roster"), {"on": "2024-07-01"}).content.decode()
    assert "主管护师" not in before and "主管护师" in after
    assert "无有效执业注册" in before and 'class="warn unregistered"' in before
    LicenceFactory(person=nurse.person, kind="nurse", issued_on=dt.date(2022, 3, 1))
    assert "无有效执业注册" not in client.get(_url(centre, "roster")).content.decode()


def test_figures_page_shows_training_promotions_and_establishment(client, reviewer, centre, nurse):
    TrainingFactory(person=nurse.person, credits=4)
    PromotionFactory(person=nurse.person, title="associate_senior")
    QuotaFactory(centre=centre, approved=5)
    client.force_login(reviewer)
    body = client.get(_url(centre, "figures"), {"year": "2024"}).content.decode()
    assert 'id="training-figures"' in body and 'id="establishment-position"' in body
    assert '<dd id="establishment-vacant">5</dd>' in body  # the nurse is 编外


def test_other_centres_records_are_404(client, clerk, other_centre):
    record = TrainingFactory(person=PersonFactory(centre=other_centre))
    client.force_login(clerk)
    url = reverse("staff:training-edit", args=["ciqikou", record.pk])
    assert client.get(url).status_code == 404
    assert PractisingLicence.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("training-list", {"year": "20x4", "part": "q9", "kind": "<script>", "page": "999"}),
        ("training-list", {"part": "range", "first": "2024-13", "last": "1999-01"}),
        ("licence-list", {"on": "2024-02-30", "status": "evil", "kind": "x" * 500}),
        ("promotion-list", {"year": "-1", "level": "top"}),
        ("establishment", {"on": "9999-99-99"}),
    ],
)
def test_odd_list_parameters_never_500(client, reviewer, centre, name, params):
    client.force_login(reviewer)
    assert client.get(_url(centre, name), params).status_code == 200


def test_a_certificate_keeps_the_extension_of_what_it_is_not_what_its_name_says(
    client, clerk, centre, nurse
):
    """A PDF uploaded as "report.html" is shown and downloaded as "report.html.pdf", as a
    filing's attachment is (core.attachments.clean_name): saved, it opens as a PDF."""
    client.force_login(clerk)
    upload = SimpleUploadedFile("../证书/report.html", PDF, content_type="text/html")
    url = _url(centre, "training-add", nurse.person_id)
    assert client.post(url, {**TRAINING, "certificate_file": upload}).status_code == 302
    record = Training.objects.get()
    assert record.certificate_name == "report.html.pdf"
    download = client.get(_url(centre, "training-certificate", record.pk))
    assert 'filename="report.html.pdf"' in download["Content-Disposition"]
