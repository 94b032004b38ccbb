"""System checks of this project's settings: said on every management command, and an error
for `check --deploy`, rather than a settings module that refuses to load (which would also stop
collectstatic and every page over one mail setting)."""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register("chc")
def site_address(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Mail links need the site's public address; without one they carry the path alone."""
    if not settings.SITE_URL_PROBLEM:
        return []
    return [checks.Warning(settings.SITE_URL_PROBLEM, id="chc.W001")]


@checks.register("chc", deploy=True)
def site_address_deploy(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A deployment is not ready until mail links can be opened by their recipients."""
    if not settings.SITE_URL_PROBLEM:
        return []
    return [checks.Error(settings.SITE_URL_PROBLEM, id="chc.E001")]
