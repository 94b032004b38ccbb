"""A masked 身份证号 must not be rebuildable from what the same viewer sees beside it (birth date,
sex, the centre's region), and a clerk's masked export must still match people on re-import."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import random

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from staff import importer
from staff.tests.factories import PersonFactory, SpellFactory
from staff.validators import id_check_digit, mask_id_number, validate_id_number

pytestmark = pytest.mark.django_db
REGION = "500106"  # 重庆市沙坪坝区, where the test centre is
DIGITS = "0123456789"


def _valid_numbers(count: int = 60) -> list[str]:
    rng = random.Random(11643)
    numbers = []
    for _ in range(count):
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(365 * 65))
        first17 = REGION + f"{born:%Y%m%d}" + f"{rng.randrange(1000):03d}"
        numbers.append(first17 + id_check_digit(first17))
    return numbers


def _candidates(masked: str, *, region: str, born: dt.date, male: bool) -> set[str]:
    """Every valid number that shows as `masked` for someone of this region, birth date and sex."""
    known = region + f"{born:%Y%m%d}"
    allowed = []
    for i in range(17):
        chars = set(DIGITS)
        if i < len(known):
            chars &= {known[i]}
        if i == 16:  # the sequence's last digit: odd for men
            chars &= set("13579" if male else "02468")
        if masked[i] != "*":
            chars &= {masked[i]}
        allowed.append(sorted(chars))
    found = set()
    for first17 in map("".join, itertools.product(*allowed)):
        check = id_check_digit(first17)
        if masked[17] in ("*", check):
            found.add(first17 + check)
    return found


def _rebuild(number: str, mask) -> set[str]:
    born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    return _candidates(mask(number), region=REGION, born=born, male=int(number[16]) % 2 == 1)


def test_the_rebuild_finds_the_number_behind_the_old_mask():
    """The attack works: the old mask (region and last four shown) gives the number away."""
    for number in _valid_numbers(10):
        validate_id_number(number)
        assert _rebuild(number, lambda n: n[:6] + "*" * 8 + n[-4:]) == {number}


def test_the_mask_leaves_hundreds_of_candidates_beside_birth_date_sex_and_region():
    for number in _valid_numbers():
        candidates = _rebuild(number, mask_id_number)
        assert number in candidates
        assert len(candidates) >= 100, (mask_id_number(number), len(candidates))


def test_the_mask_shows_no_digit_after_the_prefecture():
    assert mask_id_number("50010619920517123X") == "5001**************"
    assert mask_id_number("") == ""


# --- everywhere the number is shown masked ---------------------------------------------------


@pytest.fixture
def number():
    first17 = REGION + "19920517" + "124"  # 4: even, a woman's number
    return first17 + id_check_digit(first17)


@pytest.fixture
def spell(centre, number):
    return SpellFactory(
        person=PersonFactory(
            centre=centre, name="王芳", birth_date=dt.date(1992, 5, 17), id_number=number
        )
    )


def test_clerks_see_the_new_mask_on_the_roster_the_form_and_the_export(
    client, centre, clerk, spell, number
):
    client.force_login(clerk)
    old_mask = number[:6] + "*" * 8 + number[-4:]
    for url in (
        reverse("staff:roster", args=[centre.slug]),
        reverse("staff:staff-edit", args=[centre.slug, spell.pk]),
    ):
        body = client.get(url).content.decode()
        assert "5001**************" in body
        assert number not in body and old_mask not in body
    export = client.get(reverse("staff:roster-export", args=[centre.slug])).content
    assert list(load_workbook(io.BytesIO(export)).active.values)[1][3] == "5001**************"


def test_the_centre_history_hides_the_number_from_clerks(client, centre, clerk, manager, number):
    client.force_login(manager)
    data = {
        "name": "王芳", "gender": "F", "birth_date": "1992-05-17", "id_number": number,
        "education": "bachelor", "hired_on": "2023-03-01", "category": "nurse",
        "title": "junior", "establishment": "off", "contract_kind": "contract",
        "position": "staff",
    }  # fmt: skip
    assert client.post(reverse("staff:staff-add", args=[centre.slug]), data).status_code == 302
    history = reverse("centers:history", args=[centre.slug])
    assert number in client.get(history).content.decode()  # managers may see it
    client.force_login(clerk)
    body = client.get(history).content.decode()
    assert number not in body and "******" in body


# --- re-importing a clerk's export: matched by name, birth date and the digits shown ----------


def _row(masked: str, name: str = "王芳", born=dt.date(1992, 5, 17)) -> dict:
    return {"id_number": masked, "name": name, "birth_date": born}


def test_a_masked_number_matches_its_person_and_restores_the_full_number(centre, spell, number):
    for masked in (mask_id_number(number), number[:6] + "*" * 8 + number[-4:]):  # new and old
        assert importer.MASKED_ID.match(masked)
        values = _row(masked)
        assert importer.match_person(values, importer._Index(centre)) == spell.person
        assert values["id_number"] == number


@pytest.mark.parametrize(
    "values",
    [
        _row("1101**************"),  # another province
        _row("5001**************", name="王芬"),
        _row("5001**************", born=dt.date(1992, 5, 18)),
    ],
)
def test_a_masked_number_that_fits_nobody_is_an_error_not_a_new_person(centre, spell, values):
    with pytest.raises(importer.Mismatch):
        importer.match_person(values, importer._Index(centre))


def test_namesakes_the_mask_cannot_tell_apart_are_an_error_not_a_guess(centre, spell):
    first17 = REGION + "19920517" + "246"
    PersonFactory(
        centre=centre,
        name="王芳",
        birth_date=dt.date(1992, 5, 17),
        id_number=first17 + id_check_digit(first17),
    )
    with pytest.raises(importer.Mismatch, match="花名册中有多人姓名和出生日期相同"):
        importer.match_person(_row("5001**************"), importer._Index(centre))
