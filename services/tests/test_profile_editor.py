"""The import-profile editor: a sample's columns proposed (and shown, never saved silently),
corrected and saved; edits audited and refused when stale; copies; the commission's profiles."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditEntry
from core.spreadsheet import header_key
from services.models import ImportProfile, Indicator
from services.profile_files import Column
from services.profile_proposals import CODE, NAME, PERIOD, propose
from services.tests.profile_samples import HIS_HEADER, his_outpatient_csv, his_outpatient_xlsx

pytestmark = pytest.mark.django_db


def _columns(*labels: str) -> list[Column]:
    return [Column(i, label, header_key(label)) for i, label in enumerate(labels)]


def test_the_proposal_names_each_column_and_why():
    indicators = list(Indicator.objects.filter(is_active=True))
    labels = (
        "统计月份", "机构名称", "统一社会信用代码", "门急诊人次（人次）", "总诊疗人次数",
        "门诊人次", "门急诊收入(元)", "健康档案建档率(%)", "高血压患者管理/规范管理人数", "备注",
    )  # fmt: skip
    proposals = {p.column.label: p for p in propose(_columns(*labels), indicators)}
    roles = {label: p.role for label, p in proposals.items()}
    assert roles == {
        "统计月份": PERIOD,
        "机构名称": NAME,
        "统一社会信用代码": CODE,
        "门急诊人次（人次）": "opd_visits",  # the same name once the unit is set aside
        "总诊疗人次数": "total_visits",  # similar: 总诊疗人次
        "门诊人次": "",  # resembles 门急诊人次, which the column of that name has
        "门急诊收入(元)": "opd_income",
        "健康档案建档率(%)": "",  # a rate
        "高血压患者管理/规范管理人数": "htn_standard",  # a shipped layout's header
        "备注": "",
    }
    assert proposals["门急诊人次（人次）"].reason == "名称相同"
    assert proposals["总诊疗人次数"].reason == "与“总诊疗人次”相似（91%）"
    assert proposals["门诊人次"].reason == "与“门急诊人次（人次）”列相同，该列已对应"
    # 元 → 万元: the scale is proposed with the mapping, and said.
    assert proposals["门急诊收入(元)"].scale == "0.0001"
    assert proposals["门急诊收入(元)"].reason == "名称相同；元 → 万元（× 0.0001）"
    assert proposals["健康档案建档率(%)"].reason == "率：由计数计算得出，不导入"


def _columns_post(rows: list[dict], **profile) -> dict:
    data = {
        "name": "HIS月报",
        "file_type": "xlsx",
        "encoding": "auto",
        "header_row": "",
        "columns-TOTAL_FORMS": str(len(rows)),
        "columns-INITIAL_FORMS": "0",
        "columns-MIN_NUM_FORMS": "0",
        "columns-MAX_NUM_FORMS": "200",
        **profile,
    }
    for i, row in enumerate(rows):
        data |= {f"columns-{i}-{k}": v for k, v in row.items()}
    return data


def test_a_sample_is_proposed_then_corrected_and_saved(client, clerk, centre):
    content = his_outpatient_xlsx(
        [[dt.datetime(2024, 4, 1), 9800, 7500, 650, 8150, 28, 1350, 1150000, 1900000]]
    )
    client.force_login(clerk)
    url = reverse("services:profile-create", args=[centre.slug])
    sample = {"file": SimpleUploadedFile("门急诊统计.xlsx", content)}
    body = client.post(url, sample).content.decode()
    # Every column of the sample is a row of the editor with its proposal, its reason and the
    # sample's first value; nothing is saved yet.
    assert not ImportProfile.objects.exists()
    for header in HIS_HEADER:
        assert f'value="{header}"' in body
    assert 'value="门急诊统计"' in body  # the name proposed from the file's
    assert "与“门急诊人次”列相同，该列已对应" in body  # 门诊人次 is not silently 门急诊人次
    assert '<option value="opd_income" selected>' in body
    assert "9800" in body  # an example under its column
    # The person corrects one proposal (出院人次 is not imported) and saves.
    rows = [
        {"header": "统计月份", "role": PERIOD},
        {"header": "总诊疗人次", "role": "total_visits"},
        {"header": "门诊人次", "role": ""},
        {"header": "急诊人次", "role": ""},
        {"header": "门急诊人次", "role": "opd_visits"},
        {"header": "出院人次", "role": ""},
        {"header": "中医诊疗人次", "role": "tcm_visits"},
        {"header": "门急诊收入(元)", "role": "opd_income", "scale": "0.0001"},
        {"header": "医疗业务收入(元)", "role": "medical_income", "scale": "0.0001"},
        {"header": "", "role": ""},
    ]
    response = client.post(url, _columns_post(rows))
    assert response.status_code == 302
    profile = ImportProfile.objects.get()
    assert (profile.centre, profile.authority, profile.period_column) == (centre, None, "统计月份")
    assert [m["indicator"] for m in profile.mappings] == [
        "total_visits", "", "", "opd_visits", "", "tcm_visits", "opd_income", "medical_income",
    ]  # fmt: skip
    assert profile.mappings[6] == {
        "header": "门急诊收入(元)",
        "indicator": "opd_income",
        "scale": "0.0001",
        "missing": "skip",
    }
    entry = AuditEntry.objects.get(action="services.importprofile.created")
    assert entry.centre == centre and entry.changes["name"] == [None, "HIS月报"]


def test_the_editor_refuses_a_role_twice_and_no_indicator(client, clerk, centre):
    client.force_login(clerk)
    url = reverse("services:profile-create", args=[centre.slug])
    twice = [
        {"header": "月份", "role": PERIOD},
        {"header": "统计月份", "role": PERIOD},
        {"header": "门急诊人次", "role": "opd_visits"},
        {"header": "门急诊", "role": "opd_visits"},
    ]
    body = client.post(url, _columns_post(twice)).content.decode()
    assert body.count("第1行已选了这一项。") == 1 and "第3行已选了这一项。" in body
    none = [{"header": "月份", "role": PERIOD}, {"header": "备注", "role": ""}]
    body = client.post(url, _columns_post(none)).content.decode()
    assert "请至少将一列对应到指标。" in body
    assert 'value="备注"' in body  # what was typed is kept
    assert not ImportProfile.objects.exists()


def _profile(centre=None, authority=None, name="HIS月报") -> ImportProfile:
    return ImportProfile.objects.create(
        centre=centre,
        authority=authority,
        name=name,
        period_column="统计月份",
        mappings=[
            {"header": "门急诊人次", "indicator": "opd_visits", "scale": "1", "missing": "skip"}
        ],
    )


def test_an_edit_from_a_stale_form_is_refused_and_a_fresh_one_audited(client, clerk, centre):
    profile = _profile(centre)
    client.force_login(clerk)
    url = reverse("services:profile-edit", args=[centre.slug, profile.pk])
    page = client.get(url).content.decode()
    assert 'value="门急诊人次"' in page
    stamp = profile.updated_at.isoformat()
    rows = [
        {"header": "统计月份", "role": PERIOD},
        {"header": "门急诊人次", "role": "opd_visits"},
        {"header": "出院人次", "role": "discharges"},
    ]
    ImportProfile.objects.filter(pk=profile.pk).update(name="别人改过")  # someone saved meanwhile
    profile.refresh_from_db()
    stale = client.post(url, _columns_post(rows, based_on="2020-01-01T00:00:00+00:00"))
    assert stale.status_code == 409
    assert "其他人" in stale.content.decode() or "别人改过" in stale.content.decode()
    assert ImportProfile.objects.get().mappings[0]["indicator"] == "opd_visits"
    fresh = client.post(url, _columns_post(rows, based_on=profile.updated_at.isoformat()))
    assert fresh.status_code == 302
    profile.refresh_from_db()
    assert [m["indicator"] for m in profile.mappings] == ["opd_visits", "discharges"]
    entry = AuditEntry.objects.get(action="services.importprofile.changed")
    assert entry.changes["name"] == ["别人改过", "HIS月报"]
    assert stamp  # the page carried one


def test_a_commission_profile_is_copied_to_a_centre_and_deleted_there(
    client, clerk, centre, district, other_district
):
    source = _profile(authority=district, name="区公卫月报")
    foreign = _profile(authority=other_district, name="别区的")
    client.force_login(clerk)
    listing = client.get(reverse("services:profile-list", args=[centre.slug])).content.decode()
    assert "区公卫月报" in listing and "别区的" not in listing
    copy_url = reverse("services:profile-copy", args=[centre.slug])
    assert client.post(copy_url, {"source": str(foreign.pk)}).status_code == 404
    response = client.post(copy_url, {"source": str(source.pk)})
    copy = ImportProfile.objects.get(centre=centre)
    assert response["Location"] == reverse("services:profile-edit", args=[centre.slug, copy.pk])
    assert copy.mappings == source.mappings and copy.name == "区公卫月报"
    entry = AuditEntry.objects.get(action="services.importprofile.copied")
    assert entry.changes["copied_from"] == [None, f"区公卫月报（{district.name}）"]
    client.post(copy_url, {"source": "shipped:his-outpatient"})
    assert ImportProfile.objects.filter(centre=centre).count() == 2
    client.post(reverse("services:profile-delete", args=[centre.slug, copy.pk]))
    assert not ImportProfile.objects.filter(pk=copy.pk).exists()
    assert AuditEntry.objects.filter(action="services.importprofile.deleted").count() == 1
    # The commission's own profile is not the centre's to delete.
    delete = reverse("services:profile-delete", args=[centre.slug, source.pk])
    assert client.post(delete).status_code == 404


def test_a_commission_administrator_makes_a_profile_for_all_its_centres(
    client, district_admin, district, clerk, centre
):
    client.force_login(district_admin)
    url = reverse("services:authority-profile-create", args=[district.slug])
    sample = his_outpatient_csv([["2024-04", 1, 1, 1, 1, 1, 1, 1, 1]])
    body = client.post(url, {"file": SimpleUploadedFile("his.csv", sample)}).content.decode()
    assert '<option value="csv" selected>' in body and '<option value="gb18030" selected>' in body
    rows = [
        {"header": "统计月份", "role": PERIOD},
        {"header": "门急诊人次", "role": "opd_visits"},
    ]
    post = _columns_post(rows, name="区HIS", file_type="csv", encoding="gb18030")
    assert client.post(url, post).status_code == 302
    profile = ImportProfile.objects.get()
    assert profile.authority == district and profile.centre is None
    # Every centre of the district offers it for import.
    client.force_login(clerk)
    page = client.get(reverse("services:profile-import", args=[centre.slug])).content.decode()
    assert f'<option value="{profile.pk}">区HIS（{district.name}）</option>' in page


def test_profile_pages_read_in_bounded_queries(
    client, clerk, centre, district, district_admin, django_assert_max_num_queries
):
    for n in range(5):
        _profile(centre, name=f"中心配置{n}")
        _profile(authority=district, name=f"区配置{n}")
    client.force_login(clerk)
    with django_assert_max_num_queries(12):
        client.get(reverse("services:profile-list", args=[centre.slug]))
    with django_assert_max_num_queries(12):
        client.get(reverse("services:profile-import", args=[centre.slug]))
    client.force_login(district_admin)
    with django_assert_max_num_queries(12):
        client.get(reverse("services:authority-profile-list", args=[district.slug]))


def test_reading_columns_without_a_file_asks_for_one_beside_the_file_field(client, clerk, centre):
    client.force_login(clerk)
    url = reverse("services:profile-create", args=[centre.slug])
    assert 'name="read_sample"' in client.get(url).content.decode()
    # What the sample form posts when 读取列名 is pressed with no file chosen (htmx or not).
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        body = client.post(url, {"read_sample": "1"}, **headers).content.decode()
        assert body.count('<p class="error"') == 1
        assert '<p class="error" id="id_file-error">请选择样例文件。</p>' in body
        assert "隐藏字段" not in body and "请至少将一列对应到指标" not in body
        assert 'id="profile-columns"' not in body
    # On a saved profile's page the columns stay as saved, with no error among them.
    profile = _profile(centre)
    edit = reverse("services:profile-edit", args=[centre.slug, profile.pk])
    body = client.post(edit, {"read_sample": "1"}).content.decode()
    assert "请选择样例文件。" in body and body.count('<p class="error"') == 1
    assert 'value="门急诊人次"' in body


def test_the_rows_setting_is_saved_shown_and_audited(client, clerk, centre):
    profile = _profile(centre)
    client.force_login(clerk)
    url = reverse("services:profile-edit", args=[centre.slug, profile.pk])
    page = client.get(url).content.decode()
    assert "同一中心同一月份有多行时" in page and '<option value="sum">各行相加</option>' in page
    rows = [{"header": "统计月份", "role": PERIOD}, {"header": "门急诊人次", "role": "opd_visits"}]
    post = _columns_post(rows, rows_combine="sum", based_on=profile.updated_at.isoformat())
    assert client.post(url, post).status_code == 302
    profile.refresh_from_db()
    assert profile.rows_combine == "sum"
    entry = AuditEntry.objects.get(action="services.importprofile.changed")
    assert entry.changes["rows_combine"] == ["", "sum"]
    listing = client.get(reverse("services:profile-list", args=[centre.slug])).content.decode()
    assert "同一中心同一月份有多行时：各行相加" in listing
