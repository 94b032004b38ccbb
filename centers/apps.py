from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CentersConfig(AppConfig):
    name = "centers"
    verbose_name = _("Centres and authorities")

    def ready(self) -> None:
        from core.auth import read_with_user

        from .selectors import start_places

        # Nearly every signed-in page reads the user's places (centers.access.request_places):
        # sent with the user's row, they cost no round trip of their own.
        read_with_user(PLACES_ATTRIBUTE, start_places)


PLACES_ATTRIBUTE = "_chc_places_read"
