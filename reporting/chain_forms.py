"""Input of the annual report's chain after approval: attachments, the opinion wording, the
steps recorded from 事业单位在线. An upload is checked here (reporting.attachments), so a refused
file is an error beside its field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import TextGuard

from . import attachments
from .forms import NOTE_LIMIT
from .models import FilingAttachment, OpinionTemplate

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AttachmentForm(forms.Form):
    """One file, its kind, and whether an image should be made small enough for 事业单位在线."""

    kind = forms.ChoiceField(label=_("kind"), choices=FilingAttachment.Kind.choices)
    file = forms.FileField(
        label=_("file (PDF, PNG or JPEG, at most 10 MB)"),
        error_messages={
            "required": _("Choose a file to attach."),
            "empty": _("The file is empty."),
        },
    )
    compress = forms.BooleanField(
        label=_("Compress an image to 100 KB or less (what 事业单位在线 accepts)"), required=False
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        if upload.size > attachments.SIZE_LIMIT:  # refused before a byte of it is read
            self.add_error("file", str(attachments.too_large()))
            return cleaned
        try:
            cleaned["checked"] = attachments.check(
                upload.read(), compress_image=cleaned.get("compress", False)
            )
        except attachments.AttachmentRefused as exc:
            self.add_error("file", str(exc))
        return cleaned


class OpinionForm(TextGuard, forms.ModelForm):
    """The wording printed in the 举办单位意见 box of the reports the commission approves."""

    class Meta:
        model = OpinionTemplate
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}


class FiledForm(forms.Form):
    filed_on = forms.DateField(label=_("date filed online (报送日期)"), widget=DATE)


class PublicisedForm(forms.Form):
    publicised_on = forms.DateField(label=_("date publicised (公示日期)"), widget=DATE)


class RegistryReturnForm(TextGuard, forms.Form):
    free_text_fields = ("reason",)

    reason = forms.CharField(
        label=_("reason given by the registration office"), required=False, max_length=NOTE_LIMIT
    )
