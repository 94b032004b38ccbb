"""Writes to the party records (党支部, its committee, its members); each is atomic, audited with
old → new values, and refused when someone saved the row meanwhile (core.stale).

The rules guarded here: a member is a roster person of the centre, on the books from a day they
serve there and not before the branch existed; the dates follow each other (入党 ≤ 转入, 入党 ≤
转正, 转入 ≤ 转出); a person's stays do not overlap; a committee is elected from members on the
books that day, founded once, and re-elected after that.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from centers.models import Centre
from core import stale
from core.audit import audit, diff, snapshot
from core.errors import DomainError

from .models import CommitteeTerm, PartyBranch, PartyMember, PartyOrigin, Person, Spell

BRANCH_FIELDS = ("name", "founded_on", "note")
MEMBER_FIELDS = (
    "person",
    "joined_on",
    "full_on",
    "origin",
    "in_on",
    "in_from",
    "out_on",
    "out_to",
    "note",
)
TERM_FIELDS = ("elected_on", "kind", "secretary", "deputy", "note")


class PartyError(DomainError):
    """Refused party record; `errors` maps a form field (None: the whole form) to its message."""

    def __init__(self, errors: dict[str | None, str]):
        self.errors = errors
        super().__init__("；".join(errors.values()))


def _audit(actor, action: str, target, centre: Centre, changes: dict) -> None:
    if changes:
        audit(actor=actor, action=action, target=target, centre=centre, changes=changes)


def _fmt(day: dt.date) -> str:
    return day.isoformat()


# --- The branch ---------------------------------------------------------------------------


@transaction.atomic
def branch_save(*, centre: Centre, data: dict, based_on: str, actor) -> PartyBranch:
    """Record the centre's branch, or correct it unless it was saved meanwhile; the founding day
    may not move past a member's day on the books or a committee's election."""
    branch = PartyBranch.objects.filter(centre=centre).first()
    if branch is None:
        branch = PartyBranch.objects.create(centre=centre, **data)
        _audit(actor, "staff.party_branch.created", branch, centre, diff({}, _branch(branch)))
        return branch
    # A form opened before anyone recorded the branch carries no stamp: it is stale too.
    stale.claim(branch, based_on=based_on, fields=BRANCH_FIELDS)
    branch = PartyBranch.objects.get(pk=branch.pk)
    before = _branch(branch)
    founded = data["founded_on"]
    earliest = PartyMember.objects.filter(centre=centre).order_by("in_on").first()
    if earliest is not None and earliest.in_on < founded:
        message = _("%(name)s is on the branch's books from %(day)s, before this date.")
        raise PartyError(
            {"founded_on": message % {"name": earliest.person, "day": _fmt(earliest.in_on)}}
        )
    first_term = branch.terms.order_by("elected_on").first()
    if first_term is not None and first_term.elected_on < founded:
        message = _("The committee was elected on %(day)s, before this date.")
        raise PartyError({"founded_on": message % {"day": _fmt(first_term.elected_on)}})
    for name, value in data.items():
        setattr(branch, name, value)
    changes = diff(before, _branch(branch))
    if changes:  # an unchanged save keeps the stamp, so nobody else's form turns stale
        branch.save()
        _audit(actor, "staff.party_branch.updated", branch, centre, changes)
    return branch


def _branch(branch: PartyBranch) -> dict:
    return snapshot(branch, BRANCH_FIELDS)


# --- Members ------------------------------------------------------------------------------


def order_errors(data: dict) -> dict[str | None, str]:
    """The rules between one stay's own fields, by field; forms show them before saving."""
    errors: dict[str | None, str] = {}
    joined, full, in_on, out_on = (data.get(k) for k in ("joined_on", "full_on", "in_on", "out_on"))
    if joined and full and full < joined:
        errors["full_on"] = _("A member is made a full member after being admitted.")
    if joined and in_on and in_on < joined:
        errors["in_on"] = _("Someone can be on the branch's books only once admitted to the party.")
    if data.get("origin") == PartyOrigin.DEVELOPED and in_on and joined and in_on != joined:
        errors["in_on"] = _("A member admitted by this branch is on its books from admission.")
    if in_on and out_on and out_on < in_on:
        errors["out_on"] = _("The transfer out cannot come before the day on the books.")
    if out_on and not data.get("out_to"):
        errors["out_to"] = _("Say where the party relation was transferred to.")
    if data.get("origin") == PartyOrigin.TRANSFERRED and not data.get("in_from"):
        errors["in_from"] = _("Say where the party relation was transferred from.")
    return errors


def _member_errors(centre: Centre, branch: PartyBranch, data: dict, exclude_pk=None) -> dict:
    """Every broken rule of a member's stay, by field (empty: none)."""
    person: Person = data["person"]
    if person.centre_id != centre.pk:
        return {"person": _("Choose someone on this centre's roster.")}
    errors = order_errors(data)
    in_on = data["in_on"]
    if "in_on" not in errors and in_on < branch.founded_on:
        errors["in_on"] = _("The branch was founded on %(day)s; choose that day or later.") % {
            "day": _fmt(branch.founded_on)
        }
    if "in_on" not in errors:
        errors |= _dates_against_spells(person, in_on, data["out_on"], exclude_pk)
    return errors


def _dates_against_spells(person: Person, in_on: dt.date, out_on, exclude_pk) -> dict:
    """The day on the books falls in a spell of employment, and stays do not overlap."""
    serving = Spell.objects.filter(person=person, hired_on__lte=in_on).filter(
        Q(left_on__isnull=True) | Q(left_on__gte=in_on)
    )
    if not serving.exists():
        message = _("%(name)s does not serve at the centre on %(day)s (see the roster).")
        return {"in_on": message % {"name": person.name, "day": _fmt(in_on)}}
    end = out_on or dt.date.max
    for other in PartyMember.objects.filter(person=person).exclude(pk=exclude_pk):
        if in_on <= (other.out_on or dt.date.max) and other.in_on <= end:
            message = _("This overlaps %(name)s's stay on the books from %(day)s.")
            return {"in_on": message % {"name": person.name, "day": _fmt(other.in_on)}}
    return {}


def _require_branch(centre: Centre) -> PartyBranch:
    branch = PartyBranch.objects.filter(centre=centre).first()
    if branch is None:
        raise PartyError({None: _("Record the party branch first.")})
    return branch


def _mark_party_member(person: Person, centre: Centre, actor) -> None:
    """The roster's 党员 column follows: someone on the books is a party member."""
    if not person.party_member:
        Person.objects.filter(pk=person.pk).update(party_member=True)
        changes = {"party_member": [False, True]}
        _audit(actor, "staff.person.updated", person, centre, changes)


@transaction.atomic
def member_create(*, centre: Centre, data: dict, actor) -> PartyMember:
    """Put a roster person on the branch's books (发展 here, or a transfer in)."""
    branch = _require_branch(centre)
    if errors := _member_errors(centre, branch, data):
        raise PartyError(errors)
    member = PartyMember.objects.create(centre=centre, **data)
    _mark_party_member(member.person, centre, actor)
    _audit(actor, "staff.party_member.created", member, centre, diff({}, _member(member)))
    return member


@transaction.atomic
def member_update(*, member: PartyMember, data: dict, based_on: str, actor) -> PartyMember:
    """Correct a stay, or record its transfer out, unless someone saved it meanwhile."""
    stale.claim(member, based_on=based_on, fields=MEMBER_FIELDS)
    fresh = PartyMember.objects.select_related("person").get(pk=member.pk)
    centre = fresh.centre
    branch = _require_branch(centre)
    if errors := _member_errors(centre, branch, data, exclude_pk=fresh.pk):
        raise PartyError(errors)
    before = _member(fresh)
    for name, value in data.items():
        setattr(fresh, name, value)
    changes = diff(before, _member(fresh))
    if changes:
        fresh.save()
        _mark_party_member(fresh.person, centre, actor)
        _audit(actor, "staff.party_member.updated", fresh, centre, changes)
    return fresh


@transaction.atomic
def member_delete(*, member: PartyMember, actor) -> None:
    """Remove a stay entered by mistake; the audit keeps its values. A committee seat stays."""
    seats = Q(secretary=member) | Q(deputy=member) | Q(members=member)
    held = CommitteeTerm.objects.filter(seats).order_by("elected_on").first()
    if held is not None:
        message = _("%(name)s sits on the committee elected on %(day)s; change that term first.")
        raise PartyError({None: message % {"name": member.person, "day": _fmt(held.elected_on)}})
    centre = member.centre
    _audit(actor, "staff.party_member.deleted", member, centre, diff(_member(member), {}))
    member.delete()


def _member(member: PartyMember) -> dict:
    return snapshot(member, MEMBER_FIELDS)


# --- Committee terms ----------------------------------------------------------------------


def _term_errors(branch: PartyBranch, data: dict, members: list, exclude_pk=None) -> dict:
    """Every broken rule of a committee election, by field (empty: none)."""
    errors: dict[str | None, str] = {}
    day = data["elected_on"]
    if day < branch.founded_on:
        errors["elected_on"] = _(
            "The branch was founded on %(day)s; its committee is elected after that."
        ) % {"day": _fmt(branch.founded_on)}
    others = CommitteeTerm.objects.filter(branch=branch).exclude(pk=exclude_pk)
    if others.filter(elected_on=day).exists():
        errors["elected_on"] = _("Another election is recorded on this day.")
    errors |= _kind_errors(others, data["kind"], day)
    seats = {"secretary": data["secretary"], "deputy": data["deputy"]}
    if seats["secretary"] is not None and seats["secretary"] == seats["deputy"]:
        errors["deputy"] = _("The deputy secretary is someone other than the secretary.")
    for field, member in [*seats.items(), *(("members", m) for m in members)]:
        if member is not None and field not in errors and not _seated(branch, member, day):
            message = _("%(name)s is not on the branch's books on %(day)s.")
            errors[field] = message % {"name": member.person, "day": _fmt(day)}
    return errors


def _kind_errors(others, kind: str, day: dt.date) -> dict:
    """The committee is founded once, and every re-election comes after the founding."""
    founded = others.filter(kind=CommitteeTerm.Kind.FOUNDED).first()
    if kind == CommitteeTerm.Kind.FOUNDED and founded is not None:
        message = _("The committee was already founded on %(day)s; this is a re-election.")
        return {"kind": message % {"day": _fmt(founded.elected_on)}}
    if kind == CommitteeTerm.Kind.REELECTED and (founded is None or founded.elected_on >= day):
        return {"kind": _("A re-election follows the committee's founding; record that first.")}
    return {}


def _seated(branch: PartyBranch, member: PartyMember, day: dt.date) -> bool:
    """A member of this branch, on its books on the election day."""
    on_books = member.in_on <= day and (member.out_on is None or member.out_on >= day)
    return member.centre_id == branch.centre_id and on_books


def _term(term: CommitteeTerm, members: list | None = None) -> dict:
    values = snapshot(term, TERM_FIELDS)
    chosen = term.members.all() if members is None else members
    values["members"] = sorted(str(m.person) for m in chosen)
    return values


@transaction.atomic
def term_create(*, centre: Centre, data: dict, members: list, actor) -> CommitteeTerm:
    """Record the committee's founding or a re-election (换届) and who was elected."""
    branch = _require_branch(centre)
    if errors := _term_errors(branch, data, members):
        raise PartyError(errors)
    term = CommitteeTerm.objects.create(centre=centre, branch=branch, **data)
    term.members.set(members)
    _audit(actor, "staff.committee_term.created", term, centre, diff({}, _term(term, members)))
    return term


@transaction.atomic
def term_update(
    *, term: CommitteeTerm, data: dict, members: list, based_on: str, actor
) -> CommitteeTerm:
    """Correct an election, unless someone saved it meanwhile; members are replaced as a whole."""
    stale.claim(term, based_on=based_on, values=term_values)
    fresh = CommitteeTerm.objects.select_related("branch").get(pk=term.pk)
    if errors := _term_errors(fresh.branch, data, members, exclude_pk=fresh.pk):
        raise PartyError(errors)
    before = _term(fresh)
    for name, value in data.items():
        setattr(fresh, name, value)
    changes = diff(before, _term(fresh, members))
    if changes:
        fresh.save()  # a members-only change moves the stamp too
        fresh.members.set(members)
        _audit(actor, "staff.committee_term.updated", fresh, fresh.centre, changes)
    return fresh


def term_values(term) -> dict:
    """A term's stored values as a stale refusal shows them (members by name)."""
    values = stale.instance_values(term, TERM_FIELDS)
    values["members"] = "、".join(sorted(str(m.person) for m in term.members.all()))
    return values


@transaction.atomic
def term_delete(*, term: CommitteeTerm, actor) -> None:
    """Remove an election entered by mistake; the audit keeps what it held. The founding goes
    last, so that no re-election is left without one."""
    later = CommitteeTerm.objects.filter(branch_id=term.branch_id).exclude(pk=term.pk)
    if term.kind == CommitteeTerm.Kind.FOUNDED and later.exists():
        raise PartyError({None: _("Remove the re-elections before the committee's founding.")})
    centre = term.centre
    _audit(actor, "staff.committee_term.deleted", term, centre, diff(_term(term), {}))
    term.delete()
