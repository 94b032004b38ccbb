from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


def _catalogue_written(**_kwargs) -> None:
    from .selectors import catalogue_changed

    catalogue_changed()


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = _("Service tallies")

    def ready(self) -> None:
        from .excel import register
        from .models import Indicator, Rate, ValidationRule

        register()
        # The catalogue is read once per process (core/memo.py): every write moves its version.
        for model in (Indicator, Rate, ValidationRule):
            for signal in (post_save, post_delete):
                signal.connect(_catalogue_written, sender=model, dispatch_uid=f"memo-{model}")
        post_migrate.connect(_catalogue_written, sender=self, dispatch_uid="memo-migrate")
