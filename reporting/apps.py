from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _schemes_written(**_kwargs) -> None:
    from core import memo

    from .selectors import SCHEMES

    memo.changed(SCHEMES)


def _filing_labels() -> dict[str, str]:
    from .sections import LABELS

    return LABELS


def _summary_labels():
    from .outline_edit import AuditLabels

    return AuditLabels()


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Reports and filings")

    def ready(self) -> None:
        """Name the keys of a filing's sections and a summary's texts in the history lists."""
        from core.history import register_field_labels

        register_field_labels("reporting.annualfiling", _filing_labels)
        register_field_labels("reporting.summary", _summary_labels)
        # Requests to open months reach the reviewers, and their answer the person who asked.
        from services.signals import open_month_request_changed

        from .notifications import open_month_notify

        open_month_request_changed.connect(open_month_notify, dispatch_uid="open-month-notify")
        # A monthly approval move reaches whoever acts next.
        from services.signals import month_review_changed

        from .notifications import month_review_notify

        month_review_changed.connect(month_review_notify, dispatch_uid="month-review-notify")
        # Default schemes are read once per process (selectors.default_scheme).
        from django.db.models.signals import post_delete, post_migrate, post_save

        from .models import Scheme, SchemeItem

        for model in (Scheme, SchemeItem):
            for signal in (post_save, post_delete):
                signal.connect(_schemes_written, sender=model, dispatch_uid=f"memo-{model}")
        post_migrate.connect(_schemes_written, sender=self, dispatch_uid="memo-schemes-migrate")
