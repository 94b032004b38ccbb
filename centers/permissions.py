"""Which role may do what. Code checks capabilities, never role names."""

from __future__ import annotations

from .models import AuthorityMembership, CentreMembership

VIEW_CENTRE = "view_centre"
EDIT_RECORDS = "edit_records"
MANAGE_MEMBERS = "manage_members"
SUBMIT_FILINGS = "submit_filings"
REVIEW_FILINGS = "review_filings"
VIEW_AUTHORITY = "view_authority"
VIEW_ID_NUMBERS = "view_id_numbers"
# A commission's own definitions: indicators, rates, rules, activity kinds, targets, schemes.
CONFIGURE_COMMISSION = "configure_commission"

CLERK = CentreMembership.Role.CLERK
MANAGER = CentreMembership.Role.MANAGER
REVIEWER = AuthorityMembership.Role.REVIEWER
# Not a membership's role: what an ADMIN membership adds at its own commission (an ADMIN is a
# reviewer everywhere else below it).
CONFIGURER = "CONFIGURER"

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    CLERK: frozenset({VIEW_CENTRE, EDIT_RECORDS}),
    MANAGER: frozenset(
        {VIEW_CENTRE, EDIT_RECORDS, MANAGE_MEMBERS, SUBMIT_FILINGS, VIEW_ID_NUMBERS}
    ),
    REVIEWER: frozenset({VIEW_CENTRE, REVIEW_FILINGS, VIEW_AUTHORITY}),
    CONFIGURER: frozenset({CONFIGURE_COMMISSION}),
}

ALL_CAPABILITIES = frozenset().union(*ROLE_CAPABILITIES.values())


def capabilities_of(roles: set[str] | frozenset[str]) -> frozenset[str]:
    """The union of what the given roles allow."""
    return frozenset().union(*(ROLE_CAPABILITIES[r] for r in roles))
