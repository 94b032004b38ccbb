"""The outline the author shapes: the printable tree, live references, editing and versions."""

from __future__ import annotations

import pytest

from reporting.outline import chinese_number, document_tree, numbered
from reporting.summary import Owner, generate
from reporting.tests.data import H1_2024, TODAY

pytestmark = pytest.mark.django_db


class _Summary:
    title = "甲中心2024年上半年工作总结"
    sources: list = []


def test_chinese_numbers_and_headings():
    assert [chinese_number(n) for n in (1, 9, 10, 11, 20, 35)] == [
        "一",
        "九",
        "十",
        "十一",
        "二十",
        "三十五",
    ]
    assert numbered(1, 0, "工作情况") == "一、工作情况"
    assert numbered(2, 10, "党建") == "（十一）党建"
    assert numbered(3, 1, "人才") == "2.人才"


def test_tree_of_an_old_fixed_key_summary(district, district_data):
    a = district_data["a"]
    figures = generate(owner=Owner(name=a.name, centre=a), period=H1_2024, today=TODAY)
    texts = {
        "intro": "开头一段。",
        "medical": "医疗说明。\n第二段。",
        "problems": "",
        "plans": "计划。",
    }
    tree = document_tree(summary=_Summary(), figures=figures, texts=texts)
    assert tree["title"] == "甲中心2024年上半年工作总结"
    assert tree["lead"] == "开头一段。"
    headings = [n["heading"] for n in tree["sections"]]
    assert headings == ["一、工作情况", "二、存在的问题", "三、下一步工作计划"]
    work = tree["sections"][0]
    assert work["blocks"][0]["text"].startswith("截至2024年6月，甲中心")
    medical = work["children"][0]
    assert medical["heading"] == "（一）医疗服务" and medical["level"] == 2
    assert medical["blocks"][0]["kind"] == "figures"
    assert "门急诊人次3.6万人次，较去年同期增长20%" in medical["blocks"][0]["text"]
    assert [b["text"] for b in medical["blocks"][1:]] == ["医疗说明。", "第二段。"]
    assert tree["sections"][1]["blocks"] == [{"kind": "text", "text": "（无）"}]
    assert tree["sections"][2]["blocks"] == [{"kind": "text", "text": "计划。"}]


# --- the default outline and 基本情况 ---------------------------------------------------------


def _centre_figures(centre):
    return generate(owner=Owner(name=centre.name, centre=centre), period=H1_2024, today=TODAY)


def test_the_default_outline_follows_the_seeds(district, district_data):
    from reporting.outline_edit import default_outline

    figures = _centre_figures(district_data["a"])
    tree = document_tree(summary=_Summary(), figures=figures, texts=default_outline(figures))
    assert [n["heading"] for n in tree["sections"]] == [
        "一、基本情况",
        "二、2024年上半年工作情况",
        "三、存在的问题",
        "四、下一步工作计划",
    ]
    work = [n["heading"] for n in tree["sections"][1]["children"]]
    assert work[:5] == [
        "（一）党建引领",
        "（二）医疗服务",
        "（三）基本公共卫生服务",
        "（四）家庭医生签约",
        "（五）人员队伍",
    ]
    outline = default_outline(figures)
    health = next(
        s for s in outline["sections"][1]["children"] if s["heading"] == "基本公共卫生服务"
    )
    # Two paragraphs of 5 headline figures each, not one sentence of 21 clauses.
    assert [len(b["codes"]) for b in health["blocks"]] == [5, 5]


@pytest.fixture
def basics_data(district_data):
    """甲 with its 2024 figures and a roster; 乙 with 2023 figures only; 丙 with none."""
    import datetime as dt
    from decimal import Decimal

    from centers.models import CentreYear
    from staff.tests.factories import PersonFactory, SpellFactory

    a, b = district_data["a"], district_data["b"]
    CentreYear.objects.create(
        centre=a,
        year=2024,
        service_area_km2=Decimal("3.25"),
        served_population=56000,
        floor_area_m2=Decimal("2400.50"),
        beds=20,
    )
    CentreYear.objects.create(centre=a, year=2023, beds=99)  # an older year: not read
    CentreYear.objects.create(
        centre=b, year=2023, service_area_km2=2, served_population=30000, beds=10
    )
    roster = [
        # category, title, establishment, registered GP, education, hired, left
        ("physician", "associate_senior", "on", True, "bachelor", dt.date(2015, 1, 1), None),
        ("physician", "intermediate", "off", False, "bachelor", dt.date(2020, 1, 1), None),
        ("nurse", "junior", "off", False, "postgraduate", dt.date(2021, 1, 1), None),
        ("nurse", "junior", "off", False, "college", dt.date(2021, 1, 1), None),
        ("management", "none", "on", False, "bachelor", dt.date(2018, 1, 1), None),
        ("nurse", "junior", "off", False, "college", dt.date(2021, 1, 1), dt.date(2024, 5, 31)),
        ("nurse", "junior", "off", False, "college", dt.date(2024, 7, 1), None),
    ]
    for category, title, est, gp, education, hired, left in roster:
        person = PersonFactory(centre=a, education=education)
        SpellFactory(
            person=person,
            category=category,
            title=title,
            establishment=est,
            contract_kind="" if est == "on" else "contract",
            general_practice=gp,
            hired_on=hired,
            left_on=left,
            leave_reason="resigned" if left else "",
        )
    return district_data


def test_basics_of_a_centre_worked_by_hand(district, basics_data):
    from reporting.outline import figure_block

    a = basics_data["a"]
    figures = _centre_figures(a)
    text = figure_block({"source": "basics", "codes": None}, figures)["text"]
    # On 30 June 2024: five serve (the nurse who left on 31 May and the one hired in July do
    # not); on the establishment the physician and the manager; 卫技 = 2 physicians + 2 nurses;
    # titles: 副高 1, 中级 1, 初级 2 + 无 1 → 初级及以下 3. 常住人口 is the res_pop tally, 50,000.
    assert text == (
        "甲中心于2010年1月成立，服务面积3.25平方公里，辖区常住人口5万人，服务人口5.6万人，"
        "业务用房面积2400.5平方米，床位20张，现有职工5人（编制内2人、编制外3人），"
        "其中卫生专业技术人员4人，执业（助理）医师2人（全科医生1人）、注册护士2人，"
        "高级职称1人、中级职称1人、初级及以下职称3人，研究生学历1人。"
    )


def test_basics_of_a_commission_adds_up_and_says_who_left_a_figure_empty(district, basics_data):
    from reporting.outline import figure_block

    owner = Owner(name=district.name, authority=district, authority_ids=(district.pk,))
    figures = generate(owner=owner, period=H1_2024, today=TODAY)
    text = figure_block({"source": "basics", "codes": None}, figures)["text"]
    # 3.25 + 2 km²; 56,000 + 30,000 served; 20 + 10 beds (乙's 2023 row is its latest); 丙 has no
    # row, 乙 no floor area. 常住人口 50,000 + 30,000.
    assert text.startswith(
        "重庆市沙坪坝区卫生健康委员会辖区共有社区卫生服务中心3个，"
        "服务面积合计5.25平方公里（1个中心未填报），辖区常住人口8万人，"
        "服务人口合计8.6万人（1个中心未填报），业务用房面积合计2400.5平方米（2个中心未填报），"
        "床位合计30张（1个中心未填报），现有职工5人（编制内2人、编制外3人）"
    )


# --- shaping the outline in the editor ------------------------------------------------------


def _centre_summary(client, manager, centre):
    from django.urls import reverse

    from reporting.models import Summary

    client.force_login(manager)
    url = reverse("reporting:centre-summaries", args=[centre.slug])
    assert client.post(url, {"kind": "h1", "year": 2024}).status_code == 302
    summary = Summary.objects.get(centre=centre)
    return summary, reverse("reporting:centre-summary-texts", args=[centre.slug, summary.pk])


def _save(client, url, summary, **extra):
    from reporting.tests.outline_data import outline_form

    response = client.post(url, outline_form(summary, **extra))
    summary.refresh_from_db()
    return response


def test_sections_are_added_renamed_reordered_and_removed(client, manager, centre):
    from core.models import AuditEntry
    from reporting.tests.outline_data import headings, section_id

    summary, url = _centre_summary(client, manager, centre)
    top = [h for h in headings(summary) if h in ("基本情况", "存在的问题", "下一步工作计划")]
    assert top == ["基本情况", "存在的问题", "下一步工作计划"]

    assert _save(client, url, summary, **{"ns-root": "主要成效及亮点"}).status_code == 302
    assert headings(summary)[-1] == "主要成效及亮点"
    new = section_id(summary, "主要成效及亮点")
    _save(client, url, summary, op=f"up:{new}")
    tree = document_tree(summary=summary, figures=summary.figures, texts=summary.texts)
    assert [n["heading"] for n in tree["sections"]][-2:] == [
        "四、主要成效及亮点",
        "五、下一步工作计划",
    ]

    work = section_id(summary, "work")
    medical = section_id(summary, "医疗服务")
    _save(
        client,
        url,
        summary,
        **{f"h-{medical}": "承压奋进，医疗服务提质增效", f"ns-{work}": "安全生产"},
    )
    assert "承压奋进，医疗服务提质增效" in headings(summary)
    assert headings(summary)[headings(summary).index("安全生产") - 1] != "安全生产"
    party = section_id(summary, "party")
    _save(client, url, summary, op=f"down:{party}")
    children = [
        n["heading"]
        for n in document_tree(summary=summary, figures=summary.figures, texts=summary.texts)[
            "sections"
        ][1]["children"]
    ]
    assert children[:2] == ["（一）承压奋进，医疗服务提质增效", "（二）党建引领"]
    _save(client, url, summary, op=f"remove:{new}")
    assert "主要成效及亮点" not in headings(summary)

    notes = list(summary.versions.values_list("note", flat=True))
    assert notes[:3] == ["删除了一部分", "下移", "保存文字"]
    entry = AuditEntry.objects.filter(action="summary.texts").order_by("-id").first()
    assert entry.changes["order"][0][-2:] == ["四、主要成效及亮点", "五、下一步工作计划"]


def test_a_heading_cannot_be_emptied_and_the_typing_comes_back(client, manager, centre):
    from reporting.tests.outline_data import section_id

    summary, url = _centre_summary(client, manager, centre)
    plans = section_id(summary, "plans")
    response = _save(client, url, summary, **{f"h-{plans}": "", f"n-{plans}": "下半年计划"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "这个字段是必填项。" in body
    assert "下半年计划" in body
    assert summary.versions.count() == 1


def test_a_move_past_the_end_is_refused_in_words(client, manager, centre):
    from reporting.tests.outline_data import section_id

    summary, url = _centre_summary(client, manager, centre)
    plans = section_id(summary, "plans")
    response = _save(client, url, summary, op=f"down:{plans}", lead="开头照样保留")
    assert response.status_code == 409
    body = response.content.decode()
    assert "已经在最后" in body and "开头照样保留" in body
    assert summary.versions.count() == 1


def test_a_stale_outline_save_is_refused(client, manager, centre):
    from core.stale import stamp
    from reporting.tests.outline_data import outline_form, section_id

    summary, url = _centre_summary(client, manager, centre)
    old = outline_form(summary)
    plans = section_id(summary, "plans")
    _save(client, url, summary, **{"ns-root": "新的一节"})
    response = client.post(url, old | {"op": f"remove:{plans}"})
    assert response.status_code == 409
    summary.refresh_from_db()
    assert summary.versions.count() == 2
    assert stamp(summary) in response.content.decode()  # saving again overwrites knowingly


def test_the_editor_answers_htmx_with_its_fragment(client, manager, centre):
    from reporting.tests.outline_data import outline_form

    summary, url = _centre_summary(client, manager, centre)
    response = client.post(url, outline_form(summary, lead="开头"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and 'id="summary-outline"' in body
    assert "已保存为第2版。" in body
    assert '<ul id="versions" hx-swap-oob="true">' in body  # the versions beside it, too


def test_a_handed_up_summary_is_not_edited(client, manager, centre):
    from reporting.models import Summary

    summary, url = _centre_summary(client, manager, centre)
    Summary.objects.filter(pk=summary.pk).update(status="submitted")
    summary.refresh_from_db()
    response = _save(client, url, summary, lead="改")
    assert response.status_code == 409
    assert summary.texts["lead"] == ""
    page = client.get(url.replace("texts/", ""))
    assert "save-texts" not in page.content.decode()


# --- live references ------------------------------------------------------------------------


def test_references_follow_regeneration_and_the_words_stay(client, manager, centre):
    from django.urls import reverse

    from reporting.outline import render_text
    from reporting.tests.data import put
    from reporting.tests.outline_data import paragraphs, section_id

    for m in range(1, 7):
        put(centre, "opd_visits", (2024, m), 6000)
        put(centre, "opd_visits", (2023, m), 5000)
    summary, url = _centre_summary(client, manager, centre)
    medical = section_id(summary, "医疗服务")
    words = "一是门诊量稳步上升，门急诊人次{{opd_visits:value|门急诊人次·本期}}，{{opd_visits:change|门急诊人次·同比}}。"
    _save(client, url, summary, **{f"n-{medical}": words})
    assert paragraphs(summary, "医疗服务") == [words]
    tree = document_tree(summary=summary, figures=summary.figures, texts=summary.texts)
    printed = [b["text"] for n in tree["sections"][1]["children"] for b in n["blocks"]]
    # 36,000 against 30,000: +20%
    assert "一是门诊量稳步上升，门急诊人次3.6万人次，较去年同期增长20%。" in printed

    put(centre, "opd_visits", (2024, 7), 0)  # outside the period: changes nothing
    from services.models import TallyValue

    TallyValue.objects.filter(
        centre=centre, indicator__code="opd_visits", period="2024-06-01"
    ).update(value=12000)
    client.post(reverse("reporting:centre-summary-regenerate", args=[centre.slug, summary.pk]))
    summary.refresh_from_db()
    assert paragraphs(summary, "医疗服务") == [words]  # what the author wrote, untouched
    # 42,000 against 30,000: +40%
    assert render_text(words, summary.figures["refs"]) == (
        "一是门诊量稳步上升，门急诊人次4.2万人次，较去年同期增长40%。"
    )


def test_a_reference_to_a_gone_indicator_says_so(client, manager, centre):
    from django.urls import reverse

    from reporting.tests.outline_data import section_id
    from services.models import Indicator

    summary, url = _centre_summary(client, manager, centre)
    medical = section_id(summary, "医疗服务")
    words = "中医诊疗{{tcm_visits:value|中医诊疗人次·本期}}。"
    _save(client, url, summary, **{f"n-{medical}": words})
    gone = Indicator.objects.get(code="tcm_visits")
    gone.is_active = False
    gone.save()
    client.post(reverse("reporting:centre-summary-regenerate", args=[centre.slug, summary.pk]))
    summary.refresh_from_db()
    assert "tcm_visits" not in summary.figures["refs"]
    tree = document_tree(summary=summary, figures=summary.figures, texts=summary.texts)
    printed = [b["text"] for n in tree["sections"][1]["children"] for b in n["blocks"]]
    assert "中医诊疗（指标已不存在：中医诊疗人次·本期）。" in printed
    page = client.get(reverse("reporting:centre-summary", args=[centre.slug, summary.pk]))
    assert "指标已不存在：中医诊疗人次·本期" in page.content.decode()


def test_the_insert_button_places_a_reference_without_scripts(client, manager, centre):
    from reporting.tests.outline_data import paragraphs, section, section_id

    summary, url = _centre_summary(client, manager, centre)
    medical = section_id(summary, "医疗服务")
    _save(client, url, summary, **{f"n-{medical}": "门急诊人次"})
    block = next(b for b in section(summary, "医疗服务")["blocks"] if b["kind"] == "text")
    _save(client, url, summary, op=f"ref:{block['id']}", ref_key="opd_visits", ref_field="value")
    assert paragraphs(summary, "医疗服务") == ["门急诊人次{{opd_visits:value|门急诊人次·本期}}"]
    response = _save(client, url, summary, op=f"ref:{block['id']}", ref_key="")
    assert "请先选择要插入的数据" in response.content.decode()


def test_a_figure_block_quotes_what_is_picked(client, manager, centre):
    from reporting.outline import figure_block
    from reporting.tests.data import put
    from reporting.tests.outline_data import section

    put(centre, "opd_visits", (2024, 1), 600)
    put(centre, "discharges", (2024, 1), 20)
    put(centre, "total_visits", (2024, 1), 900)
    summary, url = _centre_summary(client, manager, centre)
    block = next(b for b in section(summary, "医疗服务")["blocks"] if b["kind"] == "figures")
    # The headline figures are ticked: 总诊疗人次 is not one of them.
    assert "total_visits" not in block["codes"] and "opd_visits" in block["codes"]
    assert figure_block(block, summary.figures)["text"] == (
        "门急诊人次600人次，上年同期无可比数据；出院人次20人次，上年同期无可比数据。"
    )
    _save(client, url, summary, **{f"c-{block['id']}": ["total_visits", "discharges"]})
    block = next(b for b in section(summary, "医疗服务")["blocks"] if b["kind"] == "figures")
    assert figure_block(block, summary.figures)["text"] == (
        "总诊疗人次900人次，上年同期无可比数据；出院人次20人次，上年同期无可比数据。"
    )


def test_a_suggested_problem_is_kept_as_a_paragraph(client, manager, centre):
    from reporting.tests.outline_data import paragraphs

    summary, url = _centre_summary(client, manager, centre)
    offered = summary.figures.get("problems") or summary.figures["weak_spots"]
    assert offered  # the centre has reported nothing: months are missing
    text = offered[0]["text"] if isinstance(offered[0], dict) else offered[0]
    _save(client, url, summary, op="keep:0")
    assert paragraphs(summary, "problems") == [text]
    _save(client, url, summary, op="keep:99")
    assert summary.versions.count() == 2


def test_a_save_and_its_answer_take_bounded_queries(
    client, manager, centre, django_assert_max_num_queries
):
    from reporting.tests.outline_data import outline_form, section_id

    summary, url = _centre_summary(client, manager, centre)
    plans = section_id(summary, "plans")
    data = outline_form(summary, op=f"up:{plans}", lead="开头")
    # Session, user, access and the summary 4; savepoints 2; the stale claim, the locked row and
    # the save 3; the version 2; the audit 2; the answer (the new version, the versions list,
    # the chain, and for a late draft whether another of its period was handed up) 4: none of
    # them grows with the outline.
    with django_assert_max_num_queries(17):
        response = client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "已保存为第2版。" in response.content.decode()


def test_an_untouched_save_changes_no_picks(client, manager, centre):
    from core.models import AuditEntry
    from reporting.tests.outline_data import section

    summary, url = _centre_summary(client, manager, centre)
    before = summary.texts
    _save(client, url, summary, lead="只改开头")
    assert section(summary, "basics")["blocks"][0]["codes"] is None  # still "all of 基本情况"
    assert summary.texts["sections"][1:] == before["sections"][1:]
    entry = AuditEntry.objects.filter(action="summary.texts").latest("id")
    assert entry.changes == {"lead": ["", "只改开头"]}


def test_a_compiled_paragraph_quotes_the_centres_own_figure():
    from reporting.outline import paragraphs_of

    texts = {
        "format": 2,
        "lead": "",
        "sections": [
            {
                "id": "s1",
                "heading": "医疗服务",
                "blocks": [
                    {
                        "id": "b1",
                        "kind": "text",
                        "text": "门急诊{{opd_visits:value|门急诊人次·本期}}。",
                    },
                    {"id": "b2", "kind": "text", "text": "  "},
                ],
                "children": [],
            }
        ],
    }
    figures = {"refs": {"opd_visits": {"name": "门急诊人次", "value": "3.6万人次"}}}
    assert paragraphs_of(texts, figures) == [("一、医疗服务", [("b1", "门急诊3.6万人次。")])]


def test_a_stale_save_over_htmx_answers_200_with_the_typing(client, manager, centre):
    from reporting.tests.outline_data import outline_form

    summary, url = _centre_summary(client, manager, centre)
    old = outline_form(summary, lead="我的开头")
    _save(client, url, summary, lead="别人的开头")
    response = client.post(url, old, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "我的开头" in body and "别人的开头" in body and 'id="stale-conflict"' in body
