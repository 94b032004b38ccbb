"""WSGI entry point (gunicorn config.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()


def _warm() -> None:
    """Compile the URLs and the layout every page extends before gunicorn forks its workers
    (preload_app): each worker answers its first request as fast as its thousandth."""
    from django.template.loader import get_template
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports every view module)
    for name in ("base.html", "partials/field.html", "partials/messages.html"):
        get_template(name)


_warm()
