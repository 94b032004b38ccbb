"""Edge cases of summaries, the dashboard and rollups found in review; each failed before its fix."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Q
from django.urls import reverse

from core.models import ImportJob
from core.periods import Period
from core.stale import stamp
from reporting import actions
from reporting import sentences as s
from reporting.dashboard import dashboard_rows
from reporting.summary import Owner, generate
from reporting.tests.data import H1_2024, TODAY, put
from services import rollups
from services.actions import tally_save
from services.excel import apply as import_apply
from services.excel import fingerprint
from services.models import Indicator, RollupState
from services.rollups import build, fresh_centres, refresh, span_figures
from services.selectors import catalogue_changed, tally_figures

D = Decimal


def _tuples(figures):
    return {code: (f.value, f.previous) for code, f in figures.items()}


# --- 1. Excel import never marks the centre changed: rollups serve the pre-import figures ------
@pytest.mark.django_db
def test_import_apply_invalidates_rollups(district_data, manager, time_machine):
    time_machine.move_to(dt.datetime(2024, 4, 10, 12, 0, tzinfo=dt.UTC))
    a = district_data["a"]
    ids = [c.pk for c in district_data.values()]
    build(ids)
    imp = ImportJob.objects.create(
        kind="tallies",
        centre=a,
        params={"year": 2024},
        filename="x.xlsx",
        plan={"cells": [["opd_visits", "2024-03-01", "9000"]]},
        fingerprint=fingerprint(a, 2024),
    )
    assert import_apply(imp, manager, lambda done, total: None) == {"saved": 1}
    live = tally_figures(scope=Q(centre_id__in=ids), period=H1_2024)
    assert live["opd_visits"].value == 74000
    assert span_figures(centre_ids=ids, period=H1_2024)["opd_visits"].value == 74000


# --- 2. demo tallies loaded after build_rollups: fresh state, empty rollups ------------------
@pytest.mark.django_db
def test_demo_tallies_after_a_build_are_not_served_from_empty_rollups(centre):
    from services.demo import load_services_demo

    build([centre.pk])  # `manage.py build_rollups` before the demo data
    load_services_demo({"ciqikou": centre})
    live = tally_figures(scope=Q(centre_id=centre.pk), period=H1_2024)
    assert live["opd_visits"].value is not None
    assert _tuples(span_figures(centre_ids=[centre.pk], period=H1_2024)) == _tuples(live)


@pytest.fixture
def catalogue(transactional_db):
    """Transactional tests flush the migration's catalogue; load it before any data uses it."""
    from services.catalogue import load_catalogue
    from services.models import ActivityKind, Rate, ValidationRule

    load_catalogue(Indicator, Rate, ValidationRule, ActivityKind)


# --- 3. build() maps an unseen centre's target 0 to 1: a write during it is marked built -----
@pytest.mark.django_db(transaction=True)
def test_write_during_first_build_is_not_marked_fresh(
    catalogue, district_data, manager, time_machine, monkeypatch
):
    time_machine.move_to(dt.datetime(2024, 4, 10, 12, 0, tzinfo=dt.UTC))
    a = district_data["a"]
    assert not RollupState.objects.filter(centre=a).exists()
    real = rollups._span_values
    done = []

    def racing(*args):
        out = real(*args)
        if not done:  # after the command has read its data, a clerk saves a cell
            done.append(1)
            r = tally_save(
                centre=a,
                indicator=Indicator.objects.get(code="opd_visits"),
                period=dt.date(2024, 3, 1),
                raw="9000",
                actor=manager,
            )
            assert not r.error  # commits; its refresh (eager) runs now, then ours finishes
        return out

    monkeypatch.setattr(rollups, "_span_values", racing)
    build([a.pk])  # every span is read first, then the write lands
    monkeypatch.setattr(rollups, "_span_values", real)
    state = RollupState.objects.get(centre=a)
    # The save's own refresh (eager) built 甲 at the newer version while ours was reading; ours
    # is then dropped, never written under that newer `built` (old rows marked fresh).
    assert state.built == state.changed and state.dirty_years == {}
    live = tally_figures(scope=Q(centre_id=a.pk), period=H1_2024)
    assert live["opd_visits"].value == 39000
    assert span_figures(centre_ids=[a.pk], period=H1_2024)["opd_visits"].value == 39000


# --- 4. refresh() skips a gap year; yearly figures carried into it differ from live -----------
@pytest.mark.django_db
def test_refresh_covers_a_gap_year(district):
    from centers.tests.factories import CentreFactory

    c = CentreFactory(name="缺年中心", slug="gap", sponsor=district)
    put(c, "res_pop", (2022, 1), 40000)
    put(c, "opd_visits", (2024, 1), 100)
    refresh(c.pk)
    assert c.pk in fresh_centres([c.pk])
    period = Period.half(2023, 1)
    live = tally_figures(scope=Q(centre_id=c.pk), period=period)
    assert live["res_pop"].value == 40000
    assert _tuples(span_figures(centre_ids=[c.pk], period=period)) == _tuples(live)


# --- 5. a summary of a period that has not begun states figures "as of" the future ------------
@pytest.mark.django_db
def test_future_period_is_not_stated_as_reached(district, district_data):
    from staff.tests.factories import SpellFactory  # noqa: F401  (roster may be empty)

    owner = Owner(name=district.name, authority=district, authority_ids=(district.pk,))
    figures = generate(owner=owner, period=Period.half(2030, 2), today=TODAY)
    assert "截至2030年12月" not in figures["lead"]


# --- 6. dashboard for the running year compares part of this year with all of last year ------
@pytest.mark.django_db
def test_dashboard_current_year_compares_like_with_like(district, district_data):
    a, b = district_data["a"], district_data["b"]
    for m in range(7, 13):
        put(a, "opd_visits", (2023, m), 5000)
        put(b, "opd_visits", (2023, m), 6000)
    rows = dashboard_rows(authority_ids=[district.pk], period=Period.year(2024), today=TODAY)
    row_a = next(r for r in rows if r.centre.pk == a.pk)
    # Jan–Jun 2024 = 36000 against Jan–Jun 2023 = 30000 → +20%, not 36000 vs 60000 (−40%)
    assert row_a.opd_growth == D("20.0")


# --- 7. missing months of a range longer than a year are ambiguous ---------------------------
def test_missing_words_name_the_year_when_months_repeat():
    text = s.missing_words({dt.date(2023, 5, 1): 2, dt.date(2024, 5, 1): 2})
    assert "5月、5月" not in text


# --- 8. ?version=² passes isdigit() and crashes int() -------------------------------------
@pytest.mark.django_db
def test_superscript_version_is_a_404_not_a_500(client, centre, manager):
    summary = actions.summary_create(
        owner=Owner(name=centre.name, centre=centre), period=H1_2024, kind="half", actor=manager
    )
    client.force_login(manager)
    client.raise_request_exception = False
    url = reverse("reporting:centre-summary-document", args=[centre.slug, summary.pk])
    assert client.get(url, {"version": "²"}).status_code == 404


# --- 9. DOCX of a text with a control character (pasted from Word) is a 500 ------------------
@pytest.mark.django_db
def test_docx_with_control_character_in_text(client, centre, manager):
    summary = actions.summary_create(
        owner=Owner(name=centre.name, centre=centre), period=H1_2024, kind="half", actor=manager
    )
    client.force_login(manager)
    client.raise_request_exception = False
    texts_url = reverse("reporting:centre-summary-texts", args=[centre.slug, summary.pk])
    from reporting.tests.outline_data import outline_form, paragraphs, section_id

    plans = section_id(summary, "plans")
    resp = client.post(texts_url, outline_form(summary, **{f"n-{plans}": "一、加强\x07管理"}))
    assert resp.status_code == 302
    summary.refresh_from_db()
    assert paragraphs(summary, "plans") == ["一、加强管理"]
    docx_url = reverse("reporting:centre-summary-docx", args=[centre.slug, summary.pk])
    assert client.get(docx_url).status_code == 200


# --- 10. a weak spot that reads "基本持平" is not a weak spot ------------------------------
@pytest.mark.django_db
def test_weak_spots_do_not_list_flat_figures(centre):
    for m in range(1, 7):
        put(centre, "opd_visits", (2024, m), 9996)
        put(centre, "opd_visits", (2023, m), 10000)
    figures = generate(owner=Owner(name=centre.name, centre=centre), period=H1_2024, today=TODAY)
    assert not any("持平" in w for w in figures["weak_spots"]), figures["weak_spots"]


@pytest.mark.django_db
def test_odd_numbers_and_pdf(client, centre, manager):
    summary = actions.summary_create(
        owner=Owner(name=centre.name, centre=centre),
        period=Period.half(2030, 1),
        kind="half",
        actor=manager,
    )
    client.force_login(manager)
    client.raise_request_exception = False
    big = "9" * 30
    r = client.post(f"/centres/{centre.slug}/summaries/{summary.pk}/versions/{big}/restore/")
    print("restore huge", r.status_code)
    r = client.get(f"/centres/{centre.slug}/summaries/{big}/")
    print("pk huge", r.status_code)
    r = client.post(
        reverse("reporting:centre-summary-texts", args=[centre.slug, summary.pk]),
        {"based_on": big, "intro": "x"},
    )
    print("texts huge version", r.status_code)
    r = client.post(
        reverse("reporting:centre-summary-texts", args=[centre.slug, summary.pk]),
        {"based_on": stamp(summary), "intro": "a\x07b\x1fc<script>"},
    )
    print("texts ctrl", r.status_code)
    r = client.get(reverse("reporting:centre-summary-pdf", args=[centre.slug, summary.pk]))
    print("pdf", r.status_code, len(r.content))
    r = client.get(
        reverse("reporting:centre-summary-document", args=[centre.slug, summary.pk]),
        {"version": "1"},
    )
    print("doc v1", r.status_code)
    r = client.get(
        reverse("reporting:centre-summary-docx", args=[centre.slug, summary.pk]), {"version": "1"}
    )
    print("docx v1", r.status_code)


@pytest.mark.django_db
def test_inactive_numerator_after_build(district_data):
    ids = [c.pk for c in district_data.values()]
    build(ids)
    Indicator.objects.filter(code="fd_signed").update(is_active=False)
    catalogue_changed()
    live = tally_figures(scope=Q(centre_id__in=ids), period=H1_2024)
    rolled = span_figures(centre_ids=ids, period=H1_2024)
    print("fd_rate live", live["fd_rate"].value, "rolled", rolled["fd_rate"].value)
    assert _tuples(rolled) == _tuples(live)


@pytest.mark.django_db
def test_summary_queries_flat(district, district_data, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from centers.tests.factories import CentreFactory

    owner = Owner(name=district.name, authority=district, authority_ids=(district.pk,))
    with CaptureQueriesContext(connection) as q1:
        generate(owner=owner, period=H1_2024, today=TODAY)
    for i in range(30):
        c = CentreFactory(name=f"中心{i}", slug=f"q{i}", sponsor=district)
        put(c, "opd_visits", (2024, 1), 10)
    build([c.pk for c in __import__("centers").models.Centre.objects.all()])
    with CaptureQueriesContext(connection) as q2:
        generate(owner=owner, period=H1_2024, today=TODAY)
    with CaptureQueriesContext(connection) as q3:
        generate(
            owner=owner, period=Period.range(dt.date(2023, 3, 1), dt.date(2024, 8, 1)), today=TODAY
        )
    print("queries", len(q1), len(q2), len(q3))


@pytest.mark.django_db
def test_random_span_vs_live(district):
    import random

    from centers.tests.factories import CentreFactory
    from services.models import TallyValue

    rng = random.Random(7)
    inds = list(Indicator.objects.filter(is_active=True))
    centres = [CentreFactory(name=f"r{i}", slug=f"r{i}", sponsor=district) for i in range(4)]
    rows = []
    for c in centres:
        for ind in inds:
            for y in (2022, 2023, 2024, 2025):
                months = [1] if ind.frequency == "yearly" else range(1, 13)
                for m in months:
                    if rng.random() < 0.35:
                        rows.append(
                            TallyValue(
                                centre=c,
                                indicator=ind,
                                period=dt.date(y, m, 1),
                                value=D(rng.randint(0, 5000)),
                            )
                        )
    TallyValue.objects.bulk_create(rows)
    ids = [c.pk for c in centres]
    for c in ids:
        refresh(c)
    bad = []
    for y in (2023, 2024, 2025, 2026):
        for p in rollups.spans_of(y):
            live = _tuples(tally_figures(scope=Q(centre_id__in=ids), period=p))
            rolled = _tuples(span_figures(centre_ids=ids, period=p))
            bad += [(p.label, k, live[k], rolled[k]) for k in live if live[k] != rolled[k]]
    assert not bad, bad[:10]
