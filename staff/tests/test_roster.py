"""The roster pages: add, edit, leave, return, filters, bounds; and the demo's 2024 figures."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from centers.demo import load_centres_demo
from centers.models import Centre
from core.models import AuditEntry
from core.stale import stamp
from staff.demo import load_staff_demo
from staff.models import Person, Spell
from staff.selectors import workforce_figures
from staff.tests.factories import PersonFactory, SpellFactory
from staff.validators import id_check_digit

pytestmark = pytest.mark.django_db


def _form(**overrides):
    data = {
        "name": "王芳", "gender": "F", "birth_date": "1992-05-17", "id_number": "",
        "education": "bachelor", "degree": "", "hired_on": "2023-03-01", "left_on": "",
        "leave_reason": "", "category": "nurse", "practice_type": "", "title": "junior",
        "establishment": "off", "contract_kind": "contract", "position": "staff", "department": "",
    }  # fmt: skip
    return {**data, **overrides}


def _url(centre, name, *args):
    return reverse(f"staff:{name}", args=[centre.slug, *args])


def test_clerk_adds_someone_and_it_is_audited(client, clerk, centre):
    client.force_login(clerk)
    response = client.post(_url(centre, "staff-add"), _form(party_member="on"))
    assert response.status_code == 302
    spell = Spell.objects.get()
    assert spell.person.name == "王芳" and spell.person.party_member and spell.centre == centre
    assert {e.action for e in AuditEntry.objects.all()} == {
        "staff.person.created",
        "staff.spell.created",
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "   "}, "这个字段是必填项"),
        ({"birth_date": "2099-01-01"}, "出生日期不能晚于今天"),
        ({"left_on": "2020-01-01", "leave_reason": "resigned"}, "离职日期不能早于入职日期"),
        ({"id_number": "500106199205171230"}, "校验码错误"),
        (
            {"id_number": "500106199001011234"[:17] + id_check_digit("50010619900101123")},
            "身份证号中的出生日期与填写的出生日期不一致",
        ),
        (  # 19920517 as given, but the 17th digit (1) is odd: a man's number for 王芳
            {"id_number": "50010619920517121" + id_check_digit("50010619920517121")},
            "身份证号第17位表示性别为男，与填写的性别不一致",
        ),
        ({"title": "", "title_name": ""}, "请选择职称级别，或填写职称名称（据此判断级别）"),
        ({"practice_type": "clinical"}, "只有执业（助理）医师才有执业类别"),
        ({"contract_kind": ""}, "请选择编外人员的用工形式"),
        ({"establishment": "on"}, "在编人员不填用工形式"),
        ({"degree": "master"}, "只有研究生学历才填写学位"),
        ({"name": "王" * 10000}, "确保该变量包含不超过 50 字符"),
        ({"category": "wizard"}, "选择一个有效的选项"),
    ],
)
def test_bad_staff_input_is_refused_beside_the_field(client, clerk, centre, overrides, message):
    client.force_login(clerk)
    response = client.post(_url(centre, "staff-add"), _form(**overrides))
    body = response.content.decode()
    assert response.status_code == 200 and message in body
    assert 'value="1992-05-17"' in body or "birth_date" in overrides
    assert not Person.objects.exists()


def test_departure_and_rehire_keep_both_spells(client, clerk, centre):
    spell = SpellFactory(person=PersonFactory(centre=centre), hired_on=dt.date(2020, 1, 1))
    client.force_login(clerk)
    bad = client.post(
        _url(centre, "staff-depart", spell.pk),
        {"left_on": "2019-01-01", "leave_reason": "resigned", "based_on": stamp(spell)},
    )
    assert "离职日期不能早于入职日期" in bad.content.decode()
    client.post(
        _url(centre, "staff-depart", spell.pk),
        {"left_on": "2023-06-30", "leave_reason": "resigned", "based_on": stamp(spell)},
    )
    spell.refresh_from_db()
    assert spell.left_on == dt.date(2023, 6, 30)
    job = {
        "hired_on": "2023-05-01",
        "category": "nurse",
        "title": "intermediate",
        "establishment": "off",
        "contract_kind": "contract",
        "position": "staff",
    }
    overlap = client.post(_url(centre, "staff-rehire", spell.person_id), job)
    assert "任职期间不能重叠" in overlap.content.decode()
    client.post(_url(centre, "staff-rehire", spell.person_id), {**job, "hired_on": "2024-02-01"})
    spells = list(Spell.objects.filter(person=spell.person).order_by("hired_on"))
    assert [(s.hired_on, s.left_on) for s in spells] == [
        (dt.date(2020, 1, 1), dt.date(2023, 6, 30)),
        (dt.date(2024, 2, 1), None),
    ]
    assert spells[1].title == "intermediate"


def test_roster_filters_search_and_status_on_a_date(client, reviewer, centre):
    SpellFactory(
        person=PersonFactory(centre=centre, name="在职甲"),
        category="physician",
        title="intermediate",
    )
    SpellFactory(
        person=PersonFactory(centre=centre, name="离职乙"),
        left_on=dt.date(2024, 3, 31),
        leave_reason="resigned",
    )
    SpellFactory(person=PersonFactory(centre=centre, name="未来丙"), hired_on=dt.date(2030, 1, 1))
    client.force_login(reviewer)
    url = _url(centre, "roster")
    today = client.get(url).content.decode()
    assert "在职甲" in today and "离职乙" not in today and "未来丙" not in today
    march = client.get(url, {"on": "2024-03-31"}).content.decode()
    assert "离职乙" in march  # the last day still counts
    left = client.get(url, {"status": "left"}, HTTP_HX_REQUEST="true").content.decode()
    assert "离职乙" in left and "在职甲" not in left and "<html" not in left
    physicians = client.get(url, {"category": "physician", "status": "all"}).content.decode()
    assert "在职甲" in physicians and "离职乙" not in physicians
    assert "乙" in client.get(url, {"q": "乙", "status": "all"}).content.decode()
    assert "编辑" not in today  # a reviewer reads only


@pytest.mark.parametrize(
    "params", [{"on": "2024-02-30"}, {"sort": "evil"}, {"department": "x"}, {"page": "999"}]
)
def test_odd_roster_parameters_never_500(client, clerk, centre, params):
    client.force_login(clerk)
    assert client.get(_url(centre, "roster"), params).status_code == 200


def test_roster_and_figures_are_bounded_for_5000_staff(
    client, clerk, centre, django_assert_max_num_queries
):
    people = Person.objects.bulk_create(
        [
            Person(
                centre=centre, name=f"职工{i}", gender="F", birth_date=dt.date(1980 + i % 20, 1, 1)
            )
            for i in range(5000)
        ]
    )
    Spell.objects.bulk_create(
        [
            Spell(
                person=p,
                centre=centre,
                hired_on=dt.date(2015 + i % 9, 1 + i % 12, 1),
                left_on=dt.date(2024, 1 + i % 12, 20) if i % 7 == 0 else None,
                leave_reason="resigned" if i % 7 == 0 else "",
                category="nurse",
                title="junior",
                establishment="off",
                contract_kind="contract",
                position="staff",
            )
            for i, p in enumerate(people)
        ]
    )
    client.force_login(clerk)
    # 7: the page's registrations and promotions (title on the day) are two more (issue 18).
    with django_assert_max_num_queries(7):
        response = client.get(_url(centre, "roster"), {"status": "all", "page": "3"})
    assert response.content.decode().count('<tr id="spell-') == 50
    # 9: training (2), promotions (1) and the approved establishment (1) are four more.
    with django_assert_max_num_queries(9):
        assert client.get(_url(centre, "figures"), {"year": "2024"}).status_code == 200


def test_demo_centre_2024_reproduces_seed_000():
    load_staff_demo(load_centres_demo())
    centre = Centre.objects.get(slug="ciqikou")
    f = workforce_figures(centre=centre, start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31))
    assert f.average_headcount == 60
    assert f.departures == 25 and f.departures_health == 23
    assert f.departures_by_position["middle"] == 3
    assert f.departures_by_establishment["on"] == 1
    assert f.average_off_establishment == 48 and f.off_share_average == Decimal("80.00")
    assert f.average_age_off < 34
    assert f.hires == 20 and f.hires_by_level == {"high": 1, "middle": 6, "low": 13}
    assert f.departure_rate == Decimal("41.67")  # 25 ÷ 60 = 41.666…


def test_figures_page_for_the_demo_shows_the_rate(client):
    load_staff_demo(load_centres_demo())
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="reviewer"))
    body = client.get(
        reverse("staff:figures", args=["ciqikou"]), {"year": "2024", "part": "year"}
    ).content.decode()
    assert "41.67%" in body and "60.00" in body and "80.00%" in body
    # Departures by code, labelled by the staff_labels filters: 3 middle managers, 1 of 25 on the
    # establishment and 24 off it.
    assert "中层干部 3" in body and "在编 1" in body and "编外 24" in body
    half = client.get(
        reverse("staff:figures", args=["ciqikou"]), {"year": "2024", "part": "h1"}
    ).content.decode()
    assert "按 6 个月末在职人数的平均值计算" in half


def test_a_persons_name_reads_姓名_on_every_staff_page(client, manager, centre):
    SpellFactory(centre=centre, person=PersonFactory(centre=centre, name="王芳"))
    client.force_login(manager)
    roster = client.get(_url(centre, "roster")).content.decode()
    assert "<th>姓名</th>" in roster and '<option value="name">姓名</option>' in roster
    form = client.get(_url(centre, "staff-add")).content.decode()
    assert '<label for="id_name">姓名' in form
    for body in (roster, form):  # 职称名称, the written title's label, is a 名称 rightly
        assert "名称" not in body.replace("职称名称", "")
    export = client.get(_url(centre, "roster-export"))
    assert next(load_workbook(io.BytesIO(export.content)).active.values)[0] == "姓名"
