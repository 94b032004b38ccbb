"""Two people edit the same report text or summary: the later save is refused with both texts.

Also the check that every editing form of the project carries core.stale's stamp (this module
sits in the top layer, so it may import every app's forms).
"""

from __future__ import annotations

import pytest
from django.urls import get_resolver, reverse

from centers.forms import CentreInfoForm, RegistrationChangeForm
from centers.models import AuthorityMembership
from centers.records import RECORD_KINDS
from centers.tests.editing import opened, rendered_stamp, sessions
from centers.tests.factories import AuthorityMembershipFactory, UserFactory
from core.stale import BasedOnForm
from reporting.forms import NarrativeForm, SchemeForm, SchemeItemForm, SummaryTextsForm
from reporting.models import AnnualFiling, Scheme, SchemeItem, Summary
from reporting.tests.outline_data import paragraphs, section_id
from services.forms import DefinitionForm
from services.profile_forms import ProfileForm
from services.records import ACTIVITY_KINDS
from staff.forms import DepartureForm, StaffForm
from staff.party_forms import CommitteeTermForm, PartyMemberForm
from staff.record_forms import LicenceForm, PromotionForm, QuotaForm, TrainingForm

pytestmark = pytest.mark.django_db
REFUSED = "在您编辑期间，其他人（彭娅"


def test_second_save_of_the_narrative_is_refused_and_can_be_saved_knowingly(ready, manager, clerk):
    page = reverse("reporting:filing", args=[ready.centre.slug, 2024])
    save = reverse("reporting:filing-narrative", args=[ready.centre.slug, 2024])
    first, second = sessions(manager, clerk)
    mine = rendered_stamp(first.get(page).content.decode())
    theirs = rendered_stamp(second.get(page).content.decode())

    assert first.post(save, {"narrative": "管理员写的", "based_on": mine}).status_code == 302
    refused = second.post(save, {"narrative": "录入员写的", "based_on": theirs})

    assert refused.status_code == 409
    body = refused.content.decode()
    assert REFUSED in body and "录入员写的" in body and "管理员写的" in body
    assert AnnualFiling.objects.get().narrative == "管理员写的"

    again = rendered_stamp(body)  # the conflict page's own form, based on the newer save
    assert second.post(save, {"narrative": "录入员写的", "based_on": again}).status_code == 302
    assert AnnualFiling.objects.get().narrative == "录入员写的"


def test_second_save_of_summary_texts_is_refused_and_shows_both(centre, manager, clerk):
    first, second = sessions(manager, clerk)
    first.post(
        reverse("reporting:centre-summaries", args=[centre.slug]), {"kind": "h1", "year": 2024}
    )
    summary = Summary.objects.get()
    page = reverse("reporting:centre-summary", args=[centre.slug, summary.pk])
    save = reverse("reporting:centre-summary-texts", args=[centre.slug, summary.pk])
    mine, theirs = opened(first, page), opened(second, page)

    plans = f"n-{section_id(summary, 'plans')}"  # the new-paragraph box of 下一步工作计划
    assert first.post(save, {**mine, plans: "下半年巩固签约"}).status_code == 302
    refused = second.post(save, {**theirs, plans: "下半年扩大义诊"})

    assert refused.status_code == 409
    body = refused.content.decode()
    assert REFUSED in body
    assert "下半年扩大义诊</textarea>" in body and 'id="stale-conflict"' in body
    assert "下半年巩固签约" in body
    summary.refresh_from_db()
    assert paragraphs(summary, "plans") == ["下半年巩固签约"]


def test_second_save_of_a_scheme_item_is_refused_with_the_first_shown(district, district_admin):
    second_admin = UserFactory(username="districtadmin2", first_name="彭娅")
    AuthorityMembershipFactory(
        user=second_admin, authority=district, role=AuthorityMembership.Role.ADMIN
    )
    scheme = Scheme.objects.create(authority=district, name="半年赛马", period_kind="half")
    item = SchemeItem.objects.create(
        scheme=scheme, code="opd_visits", weight=40, rule="target", params={"cap": "1.2"}
    )
    url = reverse("reporting:scheme-item-edit", args=[district.slug, scheme.pk, item.pk])
    first, second = sessions(second_admin, district_admin)
    mine, theirs = opened(first, url), opened(second, url)

    assert first.post(url, {**mine, "weight": "35", "cap": "1.5"}).status_code == 302
    refused = second.post(url, {**theirs, "weight": "25"})

    assert refused.status_code == 409
    body = refused.content.decode()
    assert REFUSED in body and 'id="stale-conflict"' in body
    assert 'name="weight" value="25"' in body  # what the second typed is still in the form
    conflict = body.split('id="stale-conflict"')[1]
    assert ">35<" in conflict and ">1.5<" in conflict  # the first one's saved values beside it
    item.refresh_from_db()
    assert (item.weight, item.params) == (35, {"cap": "1.5"})  # nothing of the first lost

    again = rendered_stamp(body)  # saving again from the conflict page overwrites knowingly
    assert second.post(url, {**theirs, "weight": "25", "based_on": again}).status_code == 302
    item.refresh_from_db()
    assert (item.weight, item.params) == (25, {"cap": "1.2"})


def test_second_save_of_a_scheme_is_refused_and_the_moved_default_counts(district, district_admin):
    first, second = sessions(district_admin, district_admin)
    scheme = Scheme.objects.create(
        authority=district, name="半年赛马", period_kind="half", is_default=True
    )
    url = reverse("reporting:scheme-edit", args=[district.slug, scheme.pk])
    mine, theirs = opened(first, url), opened(second, url)

    assert first.post(url, {**mine, "name": "季度赛马"}).status_code == 302
    refused = second.post(url, {**theirs, "period_kind": "year"})

    assert refused.status_code == 409
    conflict = refused.content.decode().split('id="stale-conflict"')[1]
    assert ">季度赛马<" in conflict
    scheme.refresh_from_db()
    assert (scheme.name, scheme.period_kind) == ("季度赛马", "half")
    # Marking another scheme default unmarks this one: a form opened before is stale too.
    opened_before = opened(first, url)
    other = Scheme.objects.create(authority=district, name="年度赛马", period_kind="year")
    other_url = reverse("reporting:scheme-edit", args=[district.slug, other.pk])
    assert (
        first.post(other_url, {**opened(first, other_url), "is_default": "on"}).status_code == 302
    )
    assert second.post(url, opened_before).status_code == 409  # it would take the mark back
    assert Scheme.objects.get(is_default=True) == other


# --- one mechanism, everywhere ------------------------------------------------------------

# Every URL that edits a saved row, with the form that carries the stamp (or how it does).
EDITORS = {
    **{kind.url_name("edit"): kind.form for kind in RECORD_KINDS + ACTIVITY_KINDS},
    "centers:registration-edit": CentreInfoForm,
    "centers:change-edit": RegistrationChangeForm,
    "staff:staff-edit": StaffForm,
    "staff:staff-depart": DepartureForm,
    "reporting:filing-narrative": NarrativeForm,
    "reporting:centre-summary-texts": SummaryTextsForm,
    "reporting:authority-summary-texts": SummaryTextsForm,
    "reporting:scheme-edit": SchemeForm,
    "reporting:scheme-item-edit": SchemeItemForm,
    "services:catalogue-edit": DefinitionForm,  # one form class per section, all stamped
    "services:profile-edit": ProfileForm,
    "services:authority-profile-edit": ProfileForm,
    "staff:training-edit": TrainingForm,
    "staff:licence-edit": LicenceForm,
    "staff:promotion-edit": PromotionForm,
    "staff:quota-edit": QuotaForm,
    "staff:party-member-edit": PartyMemberForm,
    "staff:party-term-edit": CommitteeTermForm,
}
# Single values carry the value they showed as `base` instead (services/actions.py).
CELL_EDITORS = {"services:tally-cell", "services:tally-cell-comment"}


def _url_names(resolver=None, namespace="") -> set[str]:
    resolver = resolver or get_resolver()
    names = set()
    for pattern in resolver.url_patterns:
        if hasattr(pattern, "url_patterns"):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _url_names(pattern, inner)
        elif pattern.name:
            names.add(namespace + pattern.name)
    return names


def test_every_editing_form_carries_the_stamp():
    for name, form in EDITORS.items():
        assert issubclass(form, BasedOnForm), name
        assert "based_on" in form.base_fields, name


def test_every_edit_url_is_known_to_use_the_mechanism():
    names = _url_names()
    editing = {n for n in names if n.endswith(("-edit", "-texts", "-narrative", "-depart"))}
    editing |= {n for n in names if n.startswith("services:tally-cell")} - {
        "services:tally-cell-detail"
    }
    assert editing == set(EDITORS) | CELL_EDITORS
