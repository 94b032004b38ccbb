"""What the filing pages accept as typed text: Django's fields refuse NUL, which PostgreSQL cannot
store, and say so in Chinese instead of the request failing."""

from __future__ import annotations

from django import forms

NARRATIVE_LIMIT = 50_000
NOTE_LIMIT = 2000


class NarrativeForm(forms.Form):
    """开展业务活动情况 with the version the form was opened at (a bad one counts as stale)."""

    narrative = forms.CharField(required=False, max_length=NARRATIVE_LIMIT, strip=False)
    version = forms.CharField(required=False)

    def clean_version(self) -> int:
        try:
            return int(self.cleaned_data["version"])
        except ValueError:
            return 0


class ReasonForm(forms.Form):
    """Why a report is returned or reopened; the action itself insists that there is one."""

    reason = forms.CharField(required=False, max_length=NOTE_LIMIT)


class CommentForm(forms.Form):
    """The reviewer's optional comment on approval."""

    comment = forms.CharField(required=False, max_length=NOTE_LIMIT)


def first_error(form: forms.Form) -> str:
    """The first message of an invalid form, for pages that show one line rather than the form."""
    return next(str(message) for errors in form.errors.values() for message in errors)
