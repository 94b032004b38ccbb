from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


def _catalogue_written(**_kwargs) -> None:
    from .selectors import catalogue_changed

    catalogue_changed()


def _tree_written(**_kwargs) -> None:
    from core import memo

    from .definitions import AUTHORITIES

    memo.changed(AUTHORITIES)


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = _("Service tallies")

    def ready(self) -> None:
        from centers.models import Authority

        from . import profile_import, target_excel
        from .excel import register
        from .models import ActivityKind, Indicator, Rate, ValidationRule

        register()
        target_excel.register()
        profile_import.register()
        # The catalogue is read once per process (core/memo.py): every write moves its version.
        for model in (Indicator, Rate, ValidationRule, ActivityKind):
            for signal in (post_save, post_delete):
                signal.connect(_catalogue_written, sender=model, dispatch_uid=f"memo-{model}")
        # The commission tree decides which definitions a centre sees (services/definitions.py).
        for signal in (post_save, post_delete):
            signal.connect(_tree_written, sender=Authority, dispatch_uid="memo-authorities")
        post_migrate.connect(_catalogue_written, sender=self, dispatch_uid="memo-migrate")
