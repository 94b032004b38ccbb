"""The summary editor as a tester used it: nothing typed is lost on the way to 上报 or 重新生成,
a hand-up with numbers that disagree is asked about first, the page stays on the part acted on,
the number check hears of a save, references are checked on save, kept problems read as
sentences, and the commission's received list and diff read right."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from reporting import summary_review
from reporting.models import Summary
from reporting.tests.data import put
from reporting.tests.outline_data import outline_form, outline_of, paragraphs, section_id

pytestmark = pytest.mark.django_db


def _summary(client, manager, centre) -> tuple[Summary, str]:
    """磁器口's H1 2024 summary made through the page, with 门急诊人次 6 × 1000 = 6000."""
    for m in range(1, 7):
        put(centre, "opd_visits", (2024, m), 1000)
    client.force_login(manager)
    url = reverse("reporting:centre-summaries", args=[centre.slug])
    assert client.post(url, {"kind": "h1", "year": 2024}).status_code == 302
    summary = Summary.objects.get(centre=centre)
    return summary, reverse("reporting:centre-summary-texts", args=[centre.slug, summary.pk])


def _url(name: str, summary: Summary) -> str:
    view = "centre-summary" + ("" if name == "page" else f"-{name}")
    return reverse(f"reporting:{view}", args=[summary.centre.slug, summary.pk])


def _post(client, url, summary, htmx=False, **extra):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(url, outline_form(summary, **extra), **headers)
    summary.refresh_from_db()
    return response


# --- 2. 上报 and 重新生成 save the typing first; a hand-up with mismatches is asked about -------


def test_hand_up_saves_the_typing_and_asks_when_numbers_disagree(client, manager, centre):
    summary, _texts = _summary(client, manager, centre)
    medical = section_id(summary, "医疗服务")
    typed = "上半年门急诊人次6001人次。"  # stored: 6000
    response = _post(client, _url("submit", summary), summary, **{f"n-{medical}": typed})
    assert response.status_code == 200
    body = response.content.decode()
    assert "已核对1个数字，其中1个与存储数字不一致。" in body
    assert 'id="summary-submit-confirm"' in body and 'name="confirm" value="1"' in body
    assert summary.status == "draft"  # not handed up without an answer
    assert paragraphs(summary, "医疗服务") == [typed]  # the paragraph typed was saved first
    response = _post(client, _url("submit", summary), summary, confirm="1")
    assert response.status_code == 302
    assert summary.status == "submitted"


def test_hand_up_without_mismatches_goes_straight_up_over_htmx(client, manager, centre):
    summary, _texts = _summary(client, manager, centre)
    plans = section_id(summary, "plans")
    response = _post(
        client, _url("submit", summary), summary, htmx=True, **{f"n-{plans}": "下半年计划。"}
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == _url("page", summary)
    assert summary.status == "submitted"
    assert paragraphs(summary, "plans") == ["下半年计划。"]


def test_hand_up_from_a_page_opened_before_a_save(client, manager, centre):
    """The back button: nothing typed since goes up as stored; something typed is refused as a
    stale save is, with the typing kept, and nothing is handed up."""
    summary, url = _summary(client, manager, centre)
    plans = section_id(summary, "plans")
    old = outline_form(summary)
    _post(client, url, summary, **{f"n-{plans}": "别人刚加的一段。"})
    typed = client.post(_url("submit", summary), old | {f"n-{plans}": "我的一段。"})
    assert typed.status_code == 409 and "我的一段。" in typed.content.decode()
    summary.refresh_from_db()
    assert summary.status == "draft"
    assert client.post(_url("submit", summary), old).status_code == 302
    summary.refresh_from_db()
    assert summary.status == "submitted"
    assert paragraphs(summary, "plans") == ["别人刚加的一段。"]


def test_regenerating_saves_the_typing_first(client, manager, centre):
    summary, _texts = _summary(client, manager, centre)
    plans = section_id(summary, "plans")
    response = _post(client, _url("regenerate", summary), summary, **{f"n-{plans}": "下半年计划。"})
    assert response.status_code == 302
    assert paragraphs(summary, "plans") == ["下半年计划。"]
    notes = list(summary.versions.values_list("note", flat=True))
    assert notes[:2] == ["重新生成数据", "保存文字"]


def test_the_page_puts_hand_up_and_regenerate_in_the_editor_s_form(client, manager, centre):
    summary, _texts = _summary(client, manager, centre)
    page = client.get(_url("page", summary)).content.decode()
    form = page[
        page.index('id="summary-outline"') : page.index(
            "</form>", page.index('id="summary-outline"')
        )
    ]
    assert f'formaction="{_url("submit", summary)}" id="summary-submit"' in form
    assert f'formaction="{_url("regenerate", summary)}" id="regenerate"' in form
    # Enter in a heading still saves: the hidden save button comes before both.
    assert form.index('class="default-submit"') < form.index('id="regenerate"')


# --- 3. the page stays on the part acted on; messages beside their control -------------------


def test_a_move_answers_with_the_moved_section_to_keep_in_view(client, manager, centre):
    summary, url = _summary(client, manager, centre)
    plans = section_id(summary, "plans")
    body = _post(client, url, summary, htmx=True, op=f"up:{plans}").content.decode()
    assert f'data-anchor="sec-{plans}"' in body
    assert f'id="up-{plans}"' in body  # the same button again, for htmx to give focus back


def test_a_removed_section_leaves_the_view_on_its_neighbour(client, manager, centre):
    summary, url = _summary(client, manager, centre)
    problems, plans = section_id(summary, "problems"), section_id(summary, "plans")
    body = _post(client, url, summary, htmx=True, op=f"remove:{plans}").content.decode()
    assert f'data-anchor="sec-{problems}"' in body


def test_without_scripts_the_answer_goes_back_to_the_part_acted_on(client, manager, centre):
    summary, url = _summary(client, manager, centre)
    plans = section_id(summary, "plans")
    response = _post(client, url, summary, op=f"up:{plans}")
    assert response.status_code == 302 and response["Location"].endswith(f"#sec-{plans}")


def test_insert_with_nothing_chosen_says_so_beside_the_paragraph(client, manager, centre):
    summary, url = _summary(client, manager, centre)
    plans = section_id(summary, "plans")
    _post(client, url, summary, **{f"n-{plans}": "下半年计划。"})
    block = next(b for b in outline_of(summary)["sections"][-1]["blocks"])
    body = _post(client, url, summary, htmx=True, op=f"ref:{block['id']}").content.decode()
    message = body.index("请先选择要插入的数据。")
    assert body.index(f'id="blk-{block["id"]}"') < message < body.index('id="save-texts"')
    assert 'class="flash flash-error"' not in body[:message]  # not at the top of the form
    assert f'data-anchor="blk-{block["id"]}"' in body


# --- 4. the number check reloads itself after a save ------------------------------------------


def test_a_save_tells_the_number_check_which_listens(client, manager, centre):
    summary, url = _summary(client, manager, centre)
    response = _post(client, url, summary, htmx=True, lead="门急诊人次6001人次。")
    assert response["HX-Trigger-After-Settle"] == '{"summary-saved": {}}'
    panel = client.get(_url("number-check", summary), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="summary-saved from:body"' in panel
    assert f'hx-get="{_url("number-check", summary)}"' in panel
    assert "<del>6001人次</del>" in panel
    again = _post(client, url, summary, htmx=True)  # nothing changed: nothing to tell
    assert "HX-Trigger-After-Settle" not in again


# --- 5. no setting names on the page; references checked on save ----------------------------


def test_suggested_problems_say_the_threshold_in_words(client, manager, centre):
    summary, _texts = _summary(client, manager, centre)
    old = "健康档案使用率由上年同期72%降至70%，降低2个百分点，达到设定的1个百分点（CHC_SUMMARY_PROBLEM_MIN_POINTS）"
    figures = summary.figures | {
        "problems": [
            {"text": "健康档案使用率较去年同期降低2个百分点", "why": old, "kind": "decline"}
        ]
    }
    Summary.objects.filter(pk=summary.pk).update(figures=figures)
    body = client.get(_url("page", summary)).content.decode()
    assert "CHC_" not in body
    assert "达到系统设定的阈值1个百分点" in body


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        (
            "门急诊{{foo.bar:value|不存在}}。",
            "“{{foo.bar:value|不存在}}”引用的数据在本总结中不存在",
        ),
        ("门急诊{{opd_visits:value|门急诊人次·本期。", "中的花括号不是完整的数据引用"),
        ("门急诊{{opd_visits:amount}}。", "中的花括号不是完整的数据引用"),
    ],
)
def test_a_mistyped_reference_is_refused_beside_its_paragraph(
    client, manager, centre, typed, words
):
    summary, url = _summary(client, manager, centre)
    medical = section_id(summary, "医疗服务")
    response = _post(client, url, summary, **{f"n-{medical}": typed})
    assert response.status_code == 400
    body = response.content.decode()
    assert words in body and typed in body  # the typing comes back to correct
    assert summary.versions.count() == 1
    assert "（不存在无数据）" not in body


def test_a_reference_to_a_withdrawn_indicator_keeps_its_marker(client, manager, centre):
    summary, url = _summary(client, manager, centre)
    medical = section_id(summary, "医疗服务")
    _post(client, url, summary, **{f"n-{medical}": "门急诊{{opd_visits:value|门急诊人次·本期}}。"})
    texts = summary.texts
    for s in texts["sections"][1]["children"]:
        for b in s["blocks"]:
            if b.get("kind") == "text":
                b["text"] = "已撤销指标{{old_code:value|旧指标·本期}}。"
    Summary.objects.filter(pk=summary.pk).update(texts=texts)
    summary.refresh_from_db()
    response = _post(client, url, summary, lead="改开头")
    assert response.status_code == 302  # what the saved text already held is not refused
    page = client.get(_url("page", summary))
    assert "（指标已不存在：旧指标·本期）" in page.content.decode()


# --- 6. a kept problem is a sentence, kept once ----------------------------------------------


def test_a_kept_problem_ends_with_a_full_stop_and_a_second_keep_changes_nothing(
    client, manager, centre
):
    summary, url = _summary(client, manager, centre)
    text = "人员流动较大，全年离职率41.67%，高于15%"
    figures = summary.figures | {"problems": [{"text": text, "why": "", "kind": "turnover"}]}
    Summary.objects.filter(pk=summary.pk).update(figures=figures)
    summary.refresh_from_db()
    _post(client, url, summary, op="keep:0")
    assert paragraphs(summary, "problems") == [text + "。"]
    versions = summary.versions.count()
    body = _post(client, url, summary, htmx=True, op="keep:0").content.decode()
    assert summary.versions.count() == versions  # a repeated click: no empty version
    assert paragraphs(summary, "problems") == [text + "。"]
    assert "没有修改，仍为第" in body
    assert 'id="kept-0"' in body and 'id="keep-0"' not in body  # shown as kept


# --- 7. the commission's received list ------------------------------------------------------


def _handed(centre, year=2024, half=1, status="submitted") -> Summary:
    first = dt.date(year, 1 if half == 1 else 7, 1)
    return Summary.objects.create(
        centre=centre,
        kind="half",
        first=first,
        last=first.replace(month=first.month + 5),
        title=f"{year}年工作总结",
        figures={"first": first.isoformat()},
        texts={"intro": "开头。"},
        status=status,
    )


def test_the_commission_s_queue_lists_summaries_waiting_for_review(
    client, reviewer, district, centre
):
    _handed(centre)
    client.force_login(reviewer)
    body = client.get(reverse("reporting:authority-queue", args=[district.slug])).content.decode()
    inbox = reverse("reporting:authority-summary-inbox", args=[district.slug])
    assert "2024年上半年工作总结待审核" in body
    assert f'href="{inbox}?year=2024&amp;part=h1"' in body


def test_the_received_list_opens_on_the_latest_period_handed_up(client, reviewer, district, centre):
    _handed(centre, 2024, 1, "accepted")
    _handed(centre, 2025, 2, "submitted")
    client.force_login(reviewer)
    url = reverse("reporting:authority-summary-inbox", args=[district.slug])
    with time_machine.travel(dt.date(2026, 11, 30), tick=False):
        body = client.get(url).content.decode()
    assert "2025年下半年" in body and "2026年上半年" not in body


def test_an_impossible_year_is_refused_beside_the_field(client, reviewer, district, centre):
    _handed(centre)
    client.force_login(reviewer)
    url = reverse("reporting:authority-summary-inbox", args=[district.slug])
    response = client.get(url, {"year": 1999, "part": "h1"})
    assert response.status_code == 400
    body = response.content.decode()
    field = body[
        body.index('id="inbox-period"') : body.index("</form>", body.index('id="inbox-period"'))
    ]
    assert "请选择2000年至2100年之间的年度。" in field  # beside the field, in the form
    assert 'id="inbox-due"' not in body and 'id="inbox-counts"' not in body
    assert "2026年" not in body and "2027" not in body  # no other period stands in for it
    assert 'value="1999"' in body  # the value is kept to correct


# --- 8. the diff reads numbers whole ---------------------------------------------------------


def test_the_changes_read_a_number_as_one_word():
    changes = summary_review.text_changes({"intro": "离职率41.67%。"}, {"intro": "离职率24.66%。"})
    assert changes[0]["runs"] == [
        [("same", "离职率"), ("del", "41.67"), ("ins", "24.66"), ("same", "%。")]
    ]


def test_the_annual_report_s_version_diff_reads_numbers_whole_too():
    from reporting.selectors import version_diff

    diff = version_diff(
        {"narrative": "门急诊人次2981.47人次"}, {"narrative": "门急诊人次2918.74人次"}
    )
    assert diff[0].pieces == [
        ("equal", "门急诊人次"),
        ("delete", "2981.47"),
        ("insert", "2918.74"),
        ("equal", "人次"),
    ]


# --- 9. the create form's words agree -------------------------------------------------------


def test_the_create_form_s_help_names_the_option_as_labelled(client, manager, centre):
    client.force_login(manager)
    body = client.get(reverse("reporting:centre-summaries", args=[centre.slug])).content.decode()
    assert "自定月份</option>" in body
    assert "起止月份仅在选择“自定月份”时使用。" in body
