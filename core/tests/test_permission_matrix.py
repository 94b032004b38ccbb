"""Every URL against every role: anonymous → login, out of reach → 404, no capability → 403.

A URL that is added to the project without a row here fails test_matrix_covers_every_url.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from centers.models import (
    CentreMembership,
    CentreYear,
    Department,
    Donation,
    Licence,
    PerformanceRecord,
    RegistrationChange,
)
from centers.permissions import CONFIGURE_COMMISSION
from centers.records import RECORD_KINDS
from core.models import ImportJob
from core.tokens import api_token_create
from reporting.models import (
    AnnualFiling,
    FilingAttachment,
    FilingVersion,
    ReportRun,
    Scheme,
    SchemeItem,
    Summary,
    SummaryVersion,
)
from services.models import Activity, ActivityKind, Indicator, OpenMonthRequest
from services.records import ACTIVITY_KINDS
from staff.models import CommitteeTerm, PartyBranch, PartyMember
from staff.tests.factories import PersonFactory, SpellFactory

ROLES = ["anonymous", "outsider", "other_member", "clerk", "manager", "reviewer", "city_reviewer"]
# Who can reach the fixture centre (sponsored by `district`) and the `district` authority at all.
CENTRE_REACH = {"clerk", "manager", "reviewer", "city_reviewer"}
AUTHORITY_REACH = {"reviewer", "city_reviewer"}
# Acting on a centre's work is for reviewers of its own commission only (separation of duties).
SPONSOR_REVIEWERS = {"reviewer"}
ANY_USER = set(ROLES) - {"anonymous"}
EDITORS = {"clerk", "manager"}
YEAR = {"year": 2024}
CELL = {"indicator": "opd_visits", "period": "2024-03-01"}


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    scope: str  # "centre", "authority", "login" (any signed-in user) or "public"
    allowed: frozenset[str] = frozenset()
    kwargs: Callable[[dict], dict] = field(default=lambda ctx: {})
    form_page: bool = False  # shows a form on GET and saves on POST
    data: Callable[[dict], dict] = field(default=lambda ctx: {})  # query or form data


def _clerk_membership(ctx: dict) -> dict:
    return {"pk": CentreMembership.objects.get(user=ctx["clerk"]).pk}


def centre_route(
    name: str, method: str, allowed: set[str], kwargs=None, form_page=False, data=None
) -> Route:
    def build(ctx: dict) -> dict:
        extra = kwargs(ctx) if kwargs else {}
        return {"centre_slug": ctx["centre"].slug, **extra}

    return Route(
        name, method, "centre", frozenset(allowed), build, form_page, data or (lambda ctx: {})
    )


def _record(key: str):
    return lambda ctx: {"pk": ctx["records"][key].pk}


def record_routes() -> list[Route]:
    """The four pages every simple record kind has."""
    routes = []
    for kind in (*RECORD_KINDS, *ACTIVITY_KINDS):
        routes += [
            centre_route(kind.list_url, "GET", CENTRE_REACH),
            centre_route(kind.add_url, "POST", EDITORS, form_page=True),
            centre_route(kind.edit_url, "POST", EDITORS, _record(kind.key), form_page=True),
            centre_route(kind.delete_url, "POST", EDITORS, _record(kind.key)),
        ]
    return routes


def summary_routes() -> list[Route]:
    """The summary pages, mounted under a centre and under an authority."""
    new = {"kind": "h1", "year": 2024}
    texts = {"version": 1, "intro": "开头", "plans": "计划"}
    pages = [
        ("summaries", "POST", True, None, lambda ctx: new),
        ("summary", "GET", False, None, None),
        ("summary-texts", "POST", False, None, lambda ctx: texts),
        ("summary-regenerate", "POST", False, None, None),
        ("summary-restore", "POST", False, {"number": 1}, None),
        ("summary-document", "GET", False, None, None),
        ("summary-pdf", "GET", False, None, None),
        ("summary-docx", "GET", False, None, None),
    ]
    routes = []
    for name, method, form_page, extra, data in pages:
        writes = method == "POST"

        def centre_kwargs(ctx, name=name, extra=extra):
            pk = {} if name == "summaries" else {"pk": ctx["records"]["summary"].pk}
            return pk | (extra or {})

        def authority_kwargs(ctx, name=name, extra=extra):
            pk = {} if name == "summaries" else {"pk": ctx["records"]["authority_summary"].pk}
            return {"authority_slug": ctx["district"].slug} | pk | (extra or {})

        routes.append(
            centre_route(
                f"reporting:centre-{name}",
                method,
                EDITORS if writes else CENTRE_REACH,
                centre_kwargs,
                form_page=form_page,
                data=data,
            )
        )
        routes.append(
            Route(
                f"reporting:authority-{name}",
                method,
                "authority",
                # The district's own summaries are written by its own reviewers; the city reads.
                frozenset(SPONSOR_REVIEWERS if writes else AUTHORITY_REACH),
                authority_kwargs,
                form_page,
                data or (lambda ctx: {}),
            )
        )
    return routes


def summary_chain_routes() -> list[Route]:
    """A centre summary handed up (the centre's manager) and reviewed (its own commission), the
    commission's received list and its compile picker."""

    def pk(ctx):
        return {"pk": ctx["records"]["summary"].pk}

    def district(ctx):
        return {"authority_slug": ctx["district"].slug}

    comment = lambda ctx: {"comment": "请修改", "reason": "请修改"}  # noqa: E731
    return [
        centre_route("reporting:centre-summary-submit", "POST", {"manager"}, pk),
        centre_route(
            "reporting:centre-summary-return", "POST", SPONSOR_REVIEWERS, pk, data=comment
        ),
        centre_route("reporting:centre-summary-accept", "POST", SPONSOR_REVIEWERS, pk),
        centre_route(
            "reporting:centre-summary-reopen", "POST", SPONSOR_REVIEWERS, pk, data=comment
        ),
        centre_route("reporting:centre-summary-changes", "GET", CENTRE_REACH, pk),
        Route(
            "reporting:authority-summary-inbox",
            "GET",
            "authority",
            frozenset(AUTHORITY_REACH),
            district,
            data=lambda ctx: {"year": 2024, "part": "h1"},
        ),
        Route(
            "reporting:authority-summary-compile",
            "POST",
            "authority",
            frozenset(SPONSOR_REVIEWERS),
            lambda ctx: district(ctx) | {"pk": ctx["records"]["authority_summary"].pk},
            form_page=True,
        ),
    ]


def number_check_routes() -> list[Route]:
    """The number check of a narrative or a summary: whoever reads the document reads it."""

    def summary(key: str):
        return lambda ctx: {"pk": ctx["records"][key].pk}

    return [
        centre_route("reporting:filing-number-check", "GET", CENTRE_REACH, lambda ctx: YEAR),
        centre_route(
            "reporting:centre-summary-number-check", "GET", CENTRE_REACH, summary("summary")
        ),
        Route(
            "reporting:authority-summary-number-check",
            "GET",
            "authority",
            frozenset(AUTHORITY_REACH),
            lambda ctx: (
                {"authority_slug": ctx["district"].slug} | summary("authority_summary")(ctx)
            ),
        ),
    ]


def filing_chain_routes() -> list[Route]:
    """The annual report after approval: attachments (the centre's editors add and remove them,
    everyone in reach reads them), the copy page, the steps recorded from 事业单位在线 (the
    manager), and the commission's opinion wording (its administrator)."""

    def attachment(ctx: dict) -> dict:
        return YEAR | {"pk": ctx["records"]["attachment"].pk}

    year = lambda ctx: YEAR  # noqa: E731
    return [
        centre_route("reporting:attachment-add", "POST", EDITORS, year),
        centre_route("reporting:attachment", "GET", CENTRE_REACH, attachment),
        centre_route("reporting:attachment-remove", "POST", EDITORS, attachment),
        centre_route("reporting:filing-copy", "GET", CENTRE_REACH, year),
        centre_route("reporting:filing-filed", "POST", {"manager"}, year),
        centre_route("reporting:filing-registry-return", "POST", {"manager"}, year),
        centre_route("reporting:filing-publicised", "POST", {"manager"}, year),
        Route(
            "reporting:opinion-template",
            "POST",
            "authority",
            frozenset({"district_admin"}),
            lambda ctx: {"authority_slug": ctx["district"].slug},
            form_page=True,
        ),
    ]


def target_routes() -> list[Route]:
    """A commission's annual targets: everyone above reads them, its own reviewers set them."""

    def district(extra=None):
        return lambda ctx: {"authority_slug": ctx["district"].slug} | (extra(ctx) if extra else {})

    job = lambda ctx: {"pk": ctx["records"]["target_import"].pk}  # noqa: E731
    cell = lambda ctx: {"centre": ctx["centre"].pk, "indicator": "opd_visits", "value": "12"}  # noqa: E731
    return [
        Route(
            "services:targets",
            "GET",
            "authority",
            frozenset(AUTHORITY_REACH),
            district(lambda c: YEAR),
        ),
        Route(
            "services:target-cell",
            "POST",
            "authority",
            frozenset({"district_admin"}),
            district(lambda c: YEAR),
            data=lambda ctx: cell(ctx) | {"base": ""},
        ),
        Route(
            "services:target-export",
            "GET",
            "authority",
            frozenset(AUTHORITY_REACH),
            district(lambda c: YEAR),
        ),
        Route(
            "services:target-import",
            "POST",
            "authority",
            frozenset({"district_admin"}),
            district(),
            form_page=True,
        ),
        Route(
            "services:target-import-preview",
            "GET",
            "authority",
            frozenset({"district_admin"}),
            district(job),
        ),
        Route(
            "services:target-import-confirm",
            "POST",
            "authority",
            frozenset({"district_admin"}),
            district(job),
        ),
    ]


def scheme_routes() -> list[Route]:
    """A commission's assessment schemes: reviewers up the tree read them; only its own
    administrator (district_admin, not a matrix role: test_commission_admin_passes) changes
    them, so the matrix's reviewers get 403."""

    def scheme(ctx: dict) -> tuple[Scheme, SchemeItem]:
        found = Scheme.objects.get_or_create(authority=ctx["district"], name="季度赛马")[0]
        item = SchemeItem.objects.get_or_create(
            scheme=found,
            code="fd_rate",
            defaults={"weight": 10, "rule": "linear", "params": {"zero_at": "0", "full_at": "100"}},
        )[0]
        return found, item

    def at(level: str = ""):
        def build(ctx: dict) -> dict:
            found, item = scheme(ctx)
            kwargs = {"authority_slug": ctx["district"].slug}
            if level:
                kwargs["pk"] = found.pk
            if level == "item":
                kwargs["item_pk"] = item.pk
            return kwargs

        return build

    read, write = frozenset(AUTHORITY_REACH), frozenset({"district_admin"})
    q3 = lambda ctx: {"year": 2024, "part": "q3"}  # noqa: E731
    name = "reporting:scheme"
    return [
        Route(f"{name}s", "GET", "authority", read, at()),
        Route(f"{name}-create", "POST", "authority", write, at(), form_page=True),
        Route(name, "GET", "authority", read, at("scheme")),
        Route(f"{name}-edit", "POST", "authority", write, at("scheme"), form_page=True),
        Route(f"{name}-item-create", "POST", "authority", write, at("scheme"), form_page=True),
        Route(f"{name}-item-edit", "POST", "authority", write, at("item"), form_page=True),
        Route(f"{name}-item-delete", "POST", "authority", write, at("item")),
        Route(f"{name}-ranking", "GET", "authority", read, at("scheme"), data=q3),
        Route(f"{name}-ranking-compute", "POST", "authority", write, at("scheme"), data=q3),
        Route(f"{name}-ranking-export", "GET", "authority", read, at("scheme"), data=q3),
        Route(f"{name}-ranking-print", "GET", "authority", read, at("scheme"), data=q3),
    ]


def catalogue_routes() -> list[Route]:
    """A commission's catalogue: reviewers up the tree read it; only its own administrator
    (district_admin, checked by test_commission_admin_passes) changes its definitions."""

    def at(kind: str = "", own: bool = False):
        def build(ctx: dict) -> dict:
            kwargs = {"authority_slug": ctx["district"].slug}
            if kind:
                kwargs["kind"] = kind
            if own:
                kwargs["pk"] = Indicator.objects.get_or_create(
                    code="matrix_own",
                    defaults={"name": "区自定义指标", "category": "other", "unit": "人"},
                    owner=ctx["district"],
                )[0].pk
            return kwargs

        return build

    read, write = frozenset(AUTHORITY_REACH), frozenset({"district_admin"})
    name = "services:catalogue"
    return [
        Route(name, "GET", "authority", read, at()),
        Route(f"{name}-create", "POST", "authority", write, at("indicators"), form_page=True),
        Route(f"{name}-edit", "POST", "authority", write, at("indicators", True), form_page=True),
        Route(f"{name}-retire", "POST", "authority", write, at("indicators", True), form_page=True),
        Route(f"{name}-delete", "POST", "authority", write, at("indicators", True)),
    ]


def _party(ctx: dict) -> dict:
    """The fixture centre's party branch, one member and a committee, made on first use."""
    centre, day = ctx["centre"], dt.date(2021, 5, 1)
    branch = PartyBranch.objects.get_or_create(
        centre=centre, defaults={"name": "矩阵党支部", "founded_on": day}
    )[0]
    member = PartyMember.objects.get_or_create(
        centre=centre,
        person=ctx["records"]["person"],
        in_on=day,
        defaults={"joined_on": dt.date(2015, 7, 1), "origin": "transferred", "in_from": "原支部"},
    )[0]
    term = CommitteeTerm.objects.get_or_create(
        centre=centre, branch=branch, elected_on=dt.date(2023, 7, 1), defaults={"kind": "founded"}
    )[0]
    return {"member": member, "term": term}


def party_routes() -> list[Route]:
    """The 党支部 page and its editors (the centre's editors write, everyone in reach reads), and
    三会一课 for a centre and for a commission."""

    def pk(key: str):
        return lambda ctx: {"pk": _party(ctx)[key].pk}

    return [
        centre_route("staff:party", "GET", CENTRE_REACH, lambda ctx: _party(ctx) and {}),
        centre_route("staff:party-branch", "POST", EDITORS, form_page=True),
        centre_route("staff:party-member-add", "POST", EDITORS, form_page=True),
        centre_route("staff:party-member-edit", "POST", EDITORS, pk("member"), form_page=True),
        centre_route("staff:party-member-delete", "POST", EDITORS, pk("member")),
        centre_route("staff:party-term-add", "POST", EDITORS, form_page=True),
        centre_route("staff:party-term-edit", "POST", EDITORS, pk("term"), form_page=True),
        centre_route("staff:party-term-delete", "POST", EDITORS, pk("term")),
        centre_route("reporting:party-compliance", "GET", CENTRE_REACH, data=lambda ctx: YEAR),
        Route(
            "reporting:authority-party-compliance",
            "GET",
            "authority",
            frozenset(AUTHORITY_REACH),
            lambda ctx: {"authority_slug": ctx["district"].slug},
            data=lambda ctx: YEAR,
        ),
    ]


def _profiles(ctx: dict) -> dict:
    """An import profile of the fixture centre and of its district, and a profile import job,
    made on first use."""
    from services.models import ImportProfile

    mapping = [{"header": "门急诊人次", "indicator": "opd_visits", "scale": "1", "missing": "skip"}]
    own = ImportProfile.objects.get_or_create(
        centre=ctx["centre"], name="矩阵配置", defaults={"mappings": mapping}
    )[0]
    district = ImportProfile.objects.get_or_create(
        authority=ctx["district"], name="矩阵区配置", defaults={"mappings": mapping}
    )[0]
    job = ImportJob.objects.get_or_create(
        kind="profile", centre=ctx["centre"], defaults={"filename": "HIS.csv"}
    )[0]
    return {"own": own, "district": district, "job": job}


def profile_routes() -> list[Route]:
    """Import profiles: a centre's editors keep its own and import through them; a commission's
    are read by its reviewers and those above, and changed by its administrator."""

    def pk(key: str, authority: bool = False):
        def build(ctx: dict) -> dict:
            slug = {"authority_slug": ctx["district"].slug} if authority else {}
            return slug | {"pk": _profiles(ctx)[key].pk}

        return build

    def district(ctx: dict) -> dict:
        return {"authority_slug": ctx["district"].slug}

    shipped = lambda ctx: {"source": "shipped:his-outpatient"}  # noqa: E731
    read, write = frozenset(AUTHORITY_REACH), frozenset({"district_admin"})
    at_district = pk("district", authority=True)
    return [
        centre_route("services:profile-list", "GET", EDITORS),
        centre_route("services:profile-create", "POST", EDITORS, form_page=True),
        centre_route("services:profile-copy", "POST", EDITORS, data=shipped),
        centre_route("services:profile-edit", "POST", EDITORS, pk("own"), form_page=True),
        centre_route("services:profile-delete", "POST", EDITORS, pk("own")),
        centre_route("services:profile-import", "POST", EDITORS, form_page=True),
        centre_route("services:profile-import-preview", "GET", EDITORS, pk("job")),
        centre_route("services:profile-import-confirm", "POST", EDITORS, pk("job")),
        Route("services:authority-profile-list", "GET", "authority", read, district),
        Route("services:authority-profile-create", "POST", "authority", write, district, True),
        Route(
            "services:authority-profile-copy", "POST", "authority", write, district, data=shipped
        ),
        Route("services:authority-profile-edit", "POST", "authority", write, at_district, True),
        Route("services:authority-profile-delete", "POST", "authority", write, at_district),
    ]


def _workforce(ctx: dict) -> dict:
    """The fixture person's training (with a certificate), registration and promotion, a quota
    and an import job of each kind: made on first use (issue 18, parts 1–4)."""
    from staff.models import EstablishmentQuota, PractisingLicence, Promotion, Training

    centre, person = ctx["centre"], ctx["records"]["person"]
    day = dt.date(2024, 3, 1)
    found = Training.objects.filter(centre=centre).first()
    if found is None:
        found = Training(person=person, centre=centre, kind="continuing", place="区卫健委")
        found.started_on = found.ended_on = day
        found.certificate_type, found.certificate_name = "application/pdf", "证书.pdf"
        found.certificate.save("matrix", ContentFile(b"%PDF-1.4 matrix"))
    return {
        "person": person,
        "training": found,
        "licence": PractisingLicence.objects.get_or_create(
            centre=centre, person=person, kind="nurse", defaults={"issued_on": day}
        )[0],
        "promotion": Promotion.objects.get_or_create(
            centre=centre, person=person, title="intermediate", defaults={"passed_on": day}
        )[0],
        "quota": EstablishmentQuota.objects.get_or_create(
            centre=centre, kind="full", effective_on=day, defaults={"approved": 10}
        )[0],
        "training-import": ImportJob.objects.get_or_create(
            kind="training", centre=centre, defaults={"filename": "培训.xlsx"}
        )[0],
        "licence-import": ImportJob.objects.get_or_create(
            kind="licences", centre=centre, defaults={"filename": "执业.xlsx"}
        )[0],
    }


def workforce_routes() -> list[Route]:
    """A person's training, registrations and promotions, the centre's lists of them, its 编制
    and their imports: everyone in reach reads, the centre's editors write."""

    def pk(key: str):
        return lambda ctx: {"pk": _workforce(ctx)[key].pk}

    routes = [
        centre_route("staff:person", "GET", CENTRE_REACH, pk("person")),
        centre_route("staff:training-certificate", "GET", CENTRE_REACH, pk("training")),
        centre_route("staff:quota-add", "POST", EDITORS, form_page=True),
        centre_route("staff:quota-edit", "POST", EDITORS, pk("quota"), form_page=True),
        centre_route("staff:quota-delete", "POST", EDITORS, pk("quota")),
    ]
    for name in ("training-list", "licence-list", "promotion-list", "establishment"):
        routes.append(centre_route(f"staff:{name}", "GET", CENTRE_REACH))
    for key in ("training", "licence", "promotion"):
        routes += [
            centre_route(f"staff:{key}-add", "POST", EDITORS, pk("person"), form_page=True),
            centre_route(f"staff:{key}-edit", "POST", EDITORS, pk(key), form_page=True),
            centre_route(f"staff:{key}-delete", "POST", EDITORS, pk(key)),
        ]
    for key in ("training", "licence"):
        routes += [
            centre_route(f"staff:{key}-import", "POST", EDITORS, form_page=True),
            centre_route(f"staff:{key}-import-preview", "GET", EDITORS, pk(f"{key}-import")),
            centre_route(f"staff:{key}-import-confirm", "POST", EDITORS, pk(f"{key}-import")),
        ]
    return routes


MATRIX = [
    Route("home", "GET", "login", frozenset(ANY_USER)),
    Route("login", "GET", "public", frozenset(ROLES), form_page=True),
    Route("logout", "POST", "public", frozenset(ROLES)),
    Route("password_change", "GET", "login", frozenset(ANY_USER), form_page=True),
    Route("password_change_done", "GET", "login", frozenset(ANY_USER)),
    # Each person's own notifications: no place to reach, and only their own rows are read or
    # marked (reporting/tests/test_reminders.py checks that another's stay untouched).
    Route("reporting:notifications", "GET", "login", frozenset(ANY_USER)),
    Route("reporting:notifications-unread", "GET", "login", frozenset(ANY_USER)),
    Route("reporting:notifications-read", "POST", "login", frozenset(ANY_USER)),
    Route("favicon", "GET", "public", frozenset(ROLES)),
    Route("healthz", "GET", "public", frozenset(ROLES)),
    Route("readyz", "GET", "public", frozenset(ROLES)),
    centre_route("centers:centre-detail", "GET", CENTRE_REACH),
    centre_route("centers:member-list", "GET", {"manager"}),
    centre_route("centers:member-add", "POST", {"manager"}),
    centre_route("centers:member-role", "POST", {"manager"}, _clerk_membership),
    centre_route("centers:member-remove", "POST", {"manager"}, _clerk_membership),
    Route(
        "centers:authority-centre-list",
        "GET",
        "authority",
        frozenset(AUTHORITY_REACH),
        lambda ctx: {"authority_slug": ctx["district"].slug},
    ),
    centre_route("centers:registration", "GET", CENTRE_REACH),
    centre_route("centers:registration-edit", "POST", EDITORS, form_page=True),
    centre_route("centers:registration-statement", "GET", CENTRE_REACH),
    centre_route("centers:change-add", "POST", EDITORS, form_page=True),
    centre_route("centers:change-edit", "POST", EDITORS, _record("change"), form_page=True),
    centre_route("centers:change-delete", "POST", EDITORS, _record("change")),
    centre_route("centers:department-checklist", "GET", CENTRE_REACH),
    centre_route("centers:history", "GET", CENTRE_REACH),
    *record_routes(),
    centre_route("staff:roster", "GET", CENTRE_REACH),
    centre_route("staff:roster-export", "GET", CENTRE_REACH),
    centre_route("staff:figures", "GET", CENTRE_REACH),
    centre_route("staff:staff-add", "POST", EDITORS, form_page=True),
    centre_route("staff:staff-edit", "POST", EDITORS, _record("spell"), form_page=True),
    centre_route("staff:staff-depart", "POST", EDITORS, _record("spell"), form_page=True),
    centre_route("staff:staff-rehire", "POST", EDITORS, _record("person"), form_page=True),
    centre_route("staff:import-upload", "POST", EDITORS, form_page=True),
    centre_route("staff:import-preview", "GET", EDITORS, _record("import")),
    centre_route("staff:import-confirm", "POST", EDITORS, _record("import")),
    centre_route("services:tally-home", "GET", CENTRE_REACH),
    centre_route(
        "services:tally-grid", "GET", CENTRE_REACH, lambda ctx: YEAR | {"category": "medical"}
    ),
    centre_route(
        "services:tally-cell", "POST", EDITORS, data=lambda ctx: CELL | {"value": "12", "base": ""}
    ),
    centre_route("services:tally-cell-detail", "GET", CENTRE_REACH, data=lambda ctx: CELL),
    centre_route(
        "services:tally-cell-comment",
        "POST",
        EDITORS,
        data=lambda ctx: CELL | {"comment": "x", "base": ""},
    ),
    centre_route("services:month-submit", "POST", EDITORS, lambda ctx: YEAR | {"month": 3}),
    centre_route("services:lock-exceptions", "GET", CENTRE_REACH),
    centre_route("services:lock-exception-grant", "POST", SPONSOR_REVIEWERS, form_page=True),
    centre_route("services:open-month-request", "POST", EDITORS, form_page=True),
    centre_route(
        "services:open-month-request-grant", "POST", SPONSOR_REVIEWERS, _record("open_request")
    ),
    centre_route(
        "services:open-month-request-decline",
        "POST",
        SPONSOR_REVIEWERS,
        _record("open_request"),
        form_page=True,
    ),
    Route(
        "services:open-month-requests",
        "GET",
        "authority",
        frozenset(AUTHORITY_REACH),
        lambda ctx: {"authority_slug": ctx["district"].slug},
    ),
    centre_route("services:centre-figures", "GET", CENTRE_REACH),
    centre_route("services:tally-export", "GET", CENTRE_REACH, lambda ctx: YEAR),
    centre_route("services:tally-import", "POST", EDITORS, form_page=True),
    centre_route("services:tally-import-preview", "GET", EDITORS, _record("tally_import")),
    centre_route("services:tally-import-confirm", "POST", EDITORS, _record("tally_import")),
    Route(
        "services:completeness",
        "GET",
        "authority",
        frozenset(AUTHORITY_REACH),
        lambda ctx: {"authority_slug": ctx["district"].slug, "year": 2024},
    ),
    Route(
        "services:month-review",
        "POST",
        "authority",
        frozenset(AUTHORITY_REACH),
        lambda ctx: {"authority_slug": ctx["district"].slug, "year": 2024, "month": 4},
        form_page=True,
        data=lambda ctx: {"move": "approve", "centres": [ctx["centre"].pk]},
    ),
    centre_route("reporting:filing", "GET", CENTRE_REACH, lambda ctx: YEAR),
    centre_route("reporting:filing-open", "POST", EDITORS, lambda ctx: YEAR),
    centre_route("reporting:filing-refresh", "POST", EDITORS, lambda ctx: YEAR),
    centre_route("reporting:filing-narrative", "POST", EDITORS, lambda ctx: YEAR),
    centre_route("reporting:filing-narrative-import", "POST", EDITORS, lambda ctx: YEAR),
    centre_route("reporting:filing-submit", "POST", {"manager"}, lambda ctx: YEAR),
    centre_route("reporting:filing-return", "POST", SPONSOR_REVIEWERS, lambda ctx: YEAR),
    centre_route("reporting:filing-approve", "POST", SPONSOR_REVIEWERS, lambda ctx: YEAR),
    centre_route("reporting:filing-publish", "POST", SPONSOR_REVIEWERS, lambda ctx: YEAR),
    centre_route("reporting:filing-reopen", "POST", SPONSOR_REVIEWERS, lambda ctx: YEAR),
    centre_route("reporting:filing-report", "GET", CENTRE_REACH, lambda ctx: YEAR),
    centre_route("reporting:pdf-request", "POST", CENTRE_REACH, lambda ctx: YEAR),
    centre_route("reporting:pdf-status", "GET", CENTRE_REACH, lambda ctx: YEAR),
    centre_route("reporting:pdf-download", "GET", CENTRE_REACH, lambda ctx: YEAR),
    Route(
        "reporting:authority-filings",
        "GET",
        "authority",
        frozenset(AUTHORITY_REACH),
        lambda ctx: {"authority_slug": ctx["district"].slug, "year": 2024},
    ),
    Route(
        "reporting:public-filing",
        "GET",
        "public",
        frozenset(ROLES),
        lambda ctx: {"pk": ctx["records"]["filing"].pk},
    ),
    Route(
        "reporting:public-list",
        "GET",
        "public",
        frozenset(ROLES),
        lambda ctx: {"authority_slug": ctx["district"].slug, "year": 2024},
    ),
    *summary_routes(),
    *summary_chain_routes(),
    Route(
        "reporting:authority-queue",
        "GET",
        "authority",
        frozenset(AUTHORITY_REACH),
        lambda ctx: {"authority_slug": ctx["district"].slug},
    ),
    centre_route("reporting:centre-todo", "GET", CENTRE_REACH),
    Route(
        "reporting:dashboard",
        "GET",
        "authority",
        frozenset(AUTHORITY_REACH),
        lambda ctx: {"authority_slug": ctx["district"].slug},
        data=lambda ctx: {"year": 2024, "part": "h1", "sort": "-fd_rate"},
    ),
    Route(
        "reporting:dashboard-trend",
        "GET",
        "authority",
        frozenset(AUTHORITY_REACH),
        lambda ctx: {"authority_slug": ctx["district"].slug},
        data=lambda ctx: {"year": 2024, "part": "h1", "trend": "opd_visits"},
    ),
    Route(
        "reporting:dashboard-export",
        "GET",
        "authority",
        frozenset(AUTHORITY_REACH),
        lambda ctx: {"authority_slug": ctx["district"].slug},
    ),
    Route(
        "services:authority-figures",
        "GET",
        "authority",
        frozenset(AUTHORITY_REACH),
        lambda ctx: {"authority_slug": ctx["district"].slug},
    ),
    *filing_chain_routes(),
    *number_check_routes(),
    *target_routes(),
    *scheme_routes(),
    *catalogue_routes(),
    *profile_routes(),
    *party_routes(),
    *workforce_routes(),
]


@pytest.fixture
def records(centre):
    """One record of every kind at the fixture centre, for the URLs that name one."""
    day = dt.date(2024, 4, 9)
    spell = SpellFactory(person=PersonFactory(centre=centre), left_on=day, leave_reason="resigned")
    kind = ActivityKind.objects.get_or_create(name="义诊")[0]
    filing = AnnualFiling.objects.create(centre=centre, year=2024, status="published")
    version = FilingVersion.objects.create(filing=filing, number=1, content={"name": centre.name})
    run = ReportRun.objects.create(version=version, status="done")
    run.file.save("matrix.pdf", ContentFile(b"%PDF-1.4 matrix"))
    attachment = FilingAttachment(
        filing=filing, kind="certificate", name="证书副本.PDF", content_type="application/pdf"
    )
    attachment.size, attachment.sha256 = 15, "0" * 64
    attachment.file.save("upload", ContentFile(b"%PDF-1.4 matrix"))
    summaries = [
        Summary.objects.create(
            **owner,
            kind="half",
            first=dt.date(2024, 1, 1),
            last=dt.date(2024, 6, 1),
            title="2024年上半年工作总结",
        )
        for owner in ({"centre": centre}, {"authority": centre.sponsor})
    ]
    for s in summaries:
        SummaryVersion.objects.create(summary=s, number=1, texts={}, figures={})
    return {
        "summary": summaries[0],
        "authority_summary": summaries[1],
        "filing": filing,
        "attachment": attachment,
        "open_request": OpenMonthRequest.objects.create(
            centre=centre,
            first_month=dt.date(2024, 1, 1),
            last_month=dt.date(2024, 3, 1),
            reason="补录",
        ),
        "activity": Activity.objects.create(centre=centre, date=day, kind=kind, people=30),
        "tally_import": ImportJob.objects.create(
            kind="tallies", centre=centre, params={"year": 2024}, filename="统计.xlsx"
        ),
        "target_import": ImportJob.objects.create(
            kind="targets", authority=centre.sponsor, params={"year": 2024}, filename="任务.xlsx"
        ),
        "spell": spell,
        "person": spell.person,
        "import": ImportJob.objects.create(kind="roster", centre=centre, filename="花名册.xlsx"),
        "year": CentreYear.objects.create(centre=centre, year=2024, beds=10),
        "licence": Licence.objects.create(centre=centre, name="医疗机构执业许可证", valid_from=day),
        "performance": PerformanceRecord.objects.create(
            centre=centre, date=day, kind="honour", text="先进单位"
        ),
        "donation": Donation.objects.create(
            centre=centre, date=day, donor="某基金会", amount=Decimal("1.50")
        ),
        "department": Department.objects.create(
            centre=centre, name="全科门诊", kind="clinical", opened_on=day
        ),
        "change": RegistrationChange.objects.create(
            centre=centre,
            item="legal_representative",
            old_value="李洁",
            new_value="彭娅",
            effective_on=day,
            registered_on=day,
        ),
    }


def expected_status(route: Route, role: str) -> str:
    """What a role should get: 'login', '404', '403' or 'ok'."""
    if route.scope == "public":
        return "ok"
    if role == "anonymous":
        return "login"
    if route.scope == "login":
        return "ok"
    reach = CENTRE_REACH if route.scope == "centre" else AUTHORITY_REACH
    if role not in reach:
        return "404"
    return "ok" if role in route.allowed else "403"


def _call(client, route: Route, url: str, ctx: dict):
    data = route.data(ctx)
    return client.get(url, data) if route.method == "GET" else client.post(url, data)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", MATRIX, ids=lambda r: r.name)
def test_permission_matrix(client, route, role, users, centre, district, records):
    ctx = {**users, "centre": centre, "district": district, "records": records}
    url = reverse(route.name, kwargs=route.kwargs(ctx))
    if role != "anonymous":
        client.force_login(users[role])
    response = _call(client, route, url, ctx)
    expected = expected_status(route, role)
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif expected == "ok":
        # 409: the gate let the user in and core.stale refused a form posted without its stamp.
        assert 200 <= response.status_code < 400 or response.status_code == 409, response
        if route.scope != "public" and response.status_code in (301, 302):
            assert not response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == int(expected)


@pytest.mark.parametrize("route", MATRIX, ids=lambda r: r.name)
def test_wrong_method_is_405(client, route, users, centre, district, records):
    ctx = {**users, "centre": centre, "district": district, "records": records}
    url = reverse(route.name, kwargs=route.kwargs(ctx))
    allowed = sorted(route.allowed - {"anonymous"})
    if allowed:
        client.force_login(users[allowed[0]])
    wrong = client.post(url) if route.method == "GET" else client.get(url)
    if route.form_page:  # a form page shows on GET and submits on POST
        return
    assert wrong.status_code == 405


def test_wrong_method_from_out_of_reach_is_what_the_right_one_gets(
    client, users, centre, district, records
):
    """Access is checked before the method: an outsider's GET of an approve URL is a 404 like
    their POST, not a 405 that answers before anyone asked who they are. One test over every
    route (a test per route and role would set the fixtures up 750 times)."""
    ctx = {**users, "centre": centre, "district": district, "records": records}
    wrong_answers = []
    for role in ("anonymous", "outsider", "other_member"):
        client.logout()
        if role != "anonymous":
            client.force_login(users[role])
        for route in MATRIX:
            expected = expected_status(route, role)
            if expected not in ("404", "login"):
                continue
            url = reverse(route.name, kwargs=route.kwargs(ctx))
            wrong = client.post(url) if route.method == "GET" else client.get(url)
            redirected = wrong.status_code == 302 and wrong["Location"].startswith(reverse("login"))
            if (expected == "login" and not redirected) or (
                expected == "404" and wrong.status_code != 404
            ):
                wrong_answers.append((role, route.name, wrong.status_code))
    assert wrong_answers == []


def _named_patterns(patterns, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "admin":
                continue  # Django's admin: system administrators only, guarded by Django
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            names |= _named_patterns(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            names.add(prefix + p.name)
    return names


def test_matrix_covers_every_url():
    declared = {r.name for r in MATRIX} | {r.name for r in API_MATRIX} | TOKEN_PAGES
    assert _named_patterns(get_resolver().url_patterns) == declared


CONFIGURE_ROUTES = [r for r in MATRIX if "district_admin" in r.allowed]


@pytest.mark.parametrize("route", CONFIGURE_ROUTES, ids=lambda r: r.name)
def test_commission_admin_passes(client, route, users, centre, district, records):
    """The matrix's reviewers lack CONFIGURE_COMMISSION; the district's administrator has it."""
    ctx = {**users, "centre": centre, "district": district, "records": records}
    url = reverse(route.name, kwargs=route.kwargs(ctx))
    assert resolve(url).func.required_capability == CONFIGURE_COMMISSION
    client.force_login(users["district_admin"])
    response = _call(client, route, url, ctx)
    assert 200 <= response.status_code < 400, response


# --- the API (/api/v1/) and the personal tokens that reach it -------------------------------------
# The same reach as the pages, in the API's words: anonymous 401 (no login page to go to), out of
# reach 404, a missing capability 403; with the session or with a personal token alike.


@dataclass(frozen=True)
class ApiRoute:
    name: str
    method: str
    scope: str  # "centre", "authority", "login" or "public", as Route's
    allowed: frozenset[str]
    kwargs: Callable[[dict], dict] = field(default=lambda ctx: {})
    data: Callable[[dict], dict] = field(default=lambda ctx: {})


def _api_centre(name: str, data: dict | None = None) -> ApiRoute:
    slug = lambda ctx: {"centre_slug": ctx["centre"].slug}  # noqa: E731
    return ApiRoute(name, "GET", "centre", frozenset(CENTRE_REACH), slug, lambda ctx: data or {})


def _api_commission(name: str, data: dict | None = None) -> ApiRoute:
    slug = lambda ctx: {"authority_slug": ctx["district"].slug}  # noqa: E731
    reach = frozenset(AUTHORITY_REACH)
    return ApiRoute(name, "GET", "authority", reach, slug, lambda ctx: data or {})


def _push_body(ctx: dict) -> dict:
    """One value of the fixture centre for this month, which is open."""
    month = f"{timezone.localdate():%Y-%m}"
    row = {"centre": ctx["centre"].slug, "indicator": "opd_visits", "period": month, "value": "12"}
    return {"dataValues": [row]}


API_MATRIX = [
    ApiRoute("api-v1:schema", "GET", "public", frozenset(ROLES)),
    ApiRoute("api-v1:docs", "GET", "public", frozenset(ROLES)),
    ApiRoute("api-v1:period-list", "GET", "login", frozenset(ANY_USER)),
    ApiRoute("api-v1:commission-list", "GET", "login", frozenset(ANY_USER)),
    ApiRoute("api-v1:centre-list", "GET", "login", frozenset(ANY_USER)),
    _api_commission("api-v1:commission-detail"),
    _api_commission("api-v1:commission-figures", {"period": "2024S1"}),
    _api_commission("api-v1:commission-completeness", {"year": 2024}),
    _api_commission("api-v1:commission-filings", {"year": 2024}),
    _api_commission("api-v1:commission-headcount", {"period": "2024"}),
    _api_centre("api-v1:centre-detail"),
    _api_centre("api-v1:centre-indicators", {"period": "2024-04"}),
    _api_centre("api-v1:centre-periods", {"year": 2024}),
    _api_centre("api-v1:centre-values", {"period": "2024-04"}),
    _api_centre("api-v1:centre-figures", {"period": "2024-04"}),
    _api_centre("api-v1:centre-filings", {"year": 2024}),
    _api_centre("api-v1:centre-headcount", {"period": "2024"}),
    ApiRoute("api-v1:data-value-sets", "POST", "centre", frozenset(EDITORS), data=_push_body),
]
# The personal token pages (the user's menu): anyone signed in keeps their own tokens.
TOKEN_PAGES = {"api-tokens", "api-token-revoke"}


def api_expected(route: ApiRoute, role: str) -> int:
    if route.scope == "public":
        return 200
    if role == "anonymous":
        return 401
    if route.scope == "login":
        return 200
    reach = CENTRE_REACH if route.scope == "centre" else AUTHORITY_REACH
    if role not in reach:
        return 404
    return 200 if role in route.allowed else 403


def _api_call(client, route: ApiRoute, ctx: dict, headers: dict):
    url = reverse(route.name, kwargs=route.kwargs(ctx))
    if route.method == "GET":
        return client.get(url, route.data(ctx), headers=headers)
    body = json.dumps(route.data(ctx))
    return client.post(url, body, content_type="application/json", headers=headers)


@pytest.mark.parametrize("auth", ["session", "token"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", API_MATRIX, ids=lambda r: r.name)
def test_api_permission_matrix(client, route, role, auth, users, centre, district):
    ctx = {**users, "centre": centre, "district": district}
    headers = {}
    if role != "anonymous" and auth == "session":
        client.force_login(users[role])
    elif role != "anonymous":
        headers["Authorization"] = "Bearer " + api_token_create(user=users[role], name="矩阵")[1]
    response = _api_call(client, route, ctx, headers)
    assert response.status_code == api_expected(route, role), response.content[:300]
    if response.status_code >= 400:
        assert set(response.json()) == {"code", "message", "details"}


@pytest.mark.parametrize("route", API_MATRIX, ids=lambda r: r.name)
def test_api_wrong_method_is_405(client, route, users, centre, district):
    ctx = {**users, "centre": centre, "district": district}
    client.force_login(users[sorted(route.allowed - {"anonymous"})[0]])
    url = reverse(route.name, kwargs=route.kwargs(ctx))
    wrong = client.post(url) if route.method == "GET" else client.get(url)
    assert wrong.status_code == 405


@pytest.mark.parametrize("role", ROLES)
def test_token_pages(client, role, users):
    """The token page: anyone signed in; a token is revoked by its owner alone (404 for others)."""
    token, _secret = api_token_create(user=users["clerk"], name="录入员的令牌")
    if role != "anonymous":
        client.force_login(users[role])
    page = client.get(reverse("api-tokens"))
    revoke = client.post(reverse("api-token-revoke", kwargs={"pk": token.pk}))
    if role == "anonymous":
        for response in (page, revoke):
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))
        return
    assert page.status_code == 200
    assert revoke.status_code == (302 if role == "clerk" else 404)
    assert client.get(reverse("api-token-revoke", kwargs={"pk": token.pk})).status_code == 405
