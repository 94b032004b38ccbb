from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = _("Staff roster")

    def ready(self) -> None:
        from . import record_imports
        from .importer import register

        register()
        record_imports.register()  # training lists and practising registrations
