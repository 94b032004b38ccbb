"""Control characters in the centre's records: names refuse them with a message beside the field
(the typed value kept), free text loses them; change registration judges by item."""

from __future__ import annotations

import pytest
from django.forms import modelform_factory
from django.urls import reverse

from centers.admin import AuthorityForm, CentreAdminForm
from centers.forms import (
    CentreInfoForm,
    DonationForm,
    LicenceForm,
    MembershipAddForm,
    RegistrationChangeForm,
)
from centers.models import Centre, Department

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
CONTROL_MESSAGE = "此处含有不可见的控制字符"


def _refused(form, field: str) -> bool:
    return any(CONTROL_MESSAGE in str(message) for message in form.errors.get(field, []))


@pytest.mark.parametrize("name", ["内科\x01", "内\x0b科", "内\n科"])
def test_a_department_name_with_control_characters_is_refused_and_kept(client, clerk, centre, name):
    client.force_login(clerk)
    data = {"name": name, "kind": "clinical", "opened_on": "2024-05-01"}
    response = client.post(reverse("centers:department-add", args=[centre.slug]), data, **HX)
    assert response.status_code == 200
    assert CONTROL_MESSAGE in response.content.decode()
    assert response.context["form"]["name"].value() == name
    assert not Department.objects.exists()


def test_certificate_one_line_items_refuse_and_purpose_loses_control_characters(centre):
    Centre.objects.filter(pk=centre.pk).update(address="", legal_representative="")
    centre.refresh_from_db()
    form = CentreInfoForm(
        {
            "address": "金磁路\x014号",
            "legal_representative": "彭\x0b娅",
            "online_name": "无\x1f名",
            "purpose": "基本医疗\x01\n公共卫生",
        },
        instance=centre,
    )
    form.is_valid()
    assert _refused(form, "address") and _refused(form, "legal_representative")
    assert _refused(form, "online_name")
    assert form.cleaned_data["purpose"] == "基本医疗\n公共卫生"


@pytest.mark.parametrize("item", ["name", "address", "legal_representative"])
def test_a_change_registration_of_a_one_line_item_refuses_control_characters(centre, item):
    form = RegistrationChangeForm(
        {
            "item": item,
            "old_value": "旧值",
            "new_value": "新\x01值",
            "effective_on": "2024-03-01",
            "registered_on": "2024-03-05",
        },
        centre=centre,
    )
    assert not form.is_valid() and _refused(form, "new_value")
    assert form["new_value"].value() == "新\x01值"


def test_a_change_registration_of_the_purpose_loses_control_characters_and_its_note_too(centre):
    form = RegistrationChangeForm(
        {
            "item": "purpose",
            "old_value": "旧的宗旨",
            "new_value": "新的\x01宗旨\n第二行",
            "effective_on": "2024-03-01",
            "registered_on": "2024-03-05",
            "note": "依\x0b批复",
        },
        centre=centre,
    )
    form.is_valid()
    assert "new_value" not in form.errors
    assert form.cleaned_data["new_value"] == "新的宗旨\n第二行"
    assert form.cleaned_data["note"] == "依批复"


def test_record_names_refuse_and_their_free_text_loses_control_characters():
    licence = LicenceForm({"name": "执业\x01许可证", "valid_from": "2024-01-01"})
    assert not licence.is_valid() and _refused(licence, "name")
    donation = DonationForm(
        {"date": "2024-01-01", "donor": "某公司", "amount": "10", "usage": "购买\x01设备\t两台"}
    )
    assert donation.is_valid(), donation.errors
    assert donation.cleaned_data["usage"] == "购买设备\t两台"


def test_a_member_name_refuses_control_characters():
    form = MembershipAddForm(
        {"username": "newclerk", "full_name": "李\x01四", "role": "clerk", "password": "x-9-y-8"}
    )
    assert not form.is_valid() and _refused(form, "full_name")


def test_admin_forms_refuse_control_characters_in_names(district):
    authority = AuthorityForm({"name": "某区\x01卫健委", "slug": "mou"})
    assert not authority.is_valid() and _refused(authority, "name")
    form_class = modelform_factory(Centre, form=CentreAdminForm, fields=["name", "slug", "sponsor"])
    centre = form_class({"name": "某\x0b中心", "slug": "mou", "sponsor": district.pk})
    assert not centre.is_valid() and _refused(centre, "name")
