from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Audit and shared tools")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import checks, lookups  # noqa: F401 (register the checks and `__any_of`)
        from .middleware import start_session_clock

        user_logged_in.connect(start_session_clock, dispatch_uid="chc-session-clock")
