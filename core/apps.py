from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Audit and shared tools")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.core.signals import request_finished, request_started
        from django.db.backends.signals import connection_created

        from . import checks, lookups, memo  # noqa: F401 (register the checks and `__any_of`)
        from .middleware import start_session_clock
        from .rawsql import register_dumpers

        user_logged_in.connect(start_session_clock, dispatch_uid="chc-session-clock")
        request_started.connect(memo.request_started, dispatch_uid="chc-memo-request")
        request_finished.connect(memo.request_finished, dispatch_uid="chc-memo-request")
        connection_created.connect(register_dumpers, dispatch_uid="chc-id-arrays")
