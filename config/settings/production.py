"""Production: every secret from the environment, HTTPS only, static files via whitenoise."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = False

try:
    SECRET_KEY = env("DJANGO_SECRET_KEY")
except ImproperlyConfigured as exc:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set in production (a long random string)."
    ) from exc

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
# Mail links: CHC_SITE_URL, else the site's own first host name over HTTPS, never the
# development default (127.0.0.1:8000) nor a loopback name, which no recipient can open; "*"
# names no host at all.
_LOOPBACK = {"localhost", "127.0.0.1", "[::1]", "::1"}
_first_host = next(
    (h.lstrip(".") for h in ALLOWED_HOSTS if h.strip(".*") and h.lstrip(".") not in _LOOPBACK), ""
)
SITE_URL = env("CHC_SITE_URL", default="") or (f"https://{_first_host}" if _first_host else "")
# Without a usable address only mail links suffer: the site still serves and collectstatic still
# runs; the system checks (core/checks.py) say so on every command and fail `check --deploy`.
if not SITE_URL.startswith(("https://", "http://")):
    SITE_URL_PROBLEM = (
        "CHC_SITE_URL must be set in production to the address people open the site at, with "
        "its scheme, e.g. https://chc.example.gov.cn (links in mails use it)"
        + (f"; it is {SITE_URL!r}." if SITE_URL else "; DJANGO_ALLOWED_HOSTS names no host to use.")
    )
    SITE_URL = ""

# HTTPS: the app sits behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^readyz/$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

STORAGES = {
    **STORAGES,  # noqa: F405 (the media store: local folder or S3, see base.py)
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Set DJANGO_CACHE_URL=redis://… so that every process shares one cache (scripts/prod.sh does).
CACHES = {"default": env.cache("DJANGO_CACHE_URL", default="locmemcache://")}
# With a cache every process shares, a request reads its session from it (one query less on every
# page); with a cache of each process's own, a session ended in one process would live on in the
# others, so sessions stay in the database alone.
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    SESSION_ENGINE = "core.sessions"  # cached_db, its read shared with the memo versions
CHC_PROCESS_MEMO = CACHES["default"]["BACKEND"].endswith("RedisCache")  # see base.py

EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("DJANGO_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", default=False)
# Only for django.core.mail.backends.filebased.EmailBackend (single-machine runs, drills).
EMAIL_FILE_PATH = env("DJANGO_EMAIL_FILE_PATH", default=None)
SERVER_EMAIL = env("DJANGO_SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)  # noqa: F405
ADMINS = [("ops", a) for a in env.list("DJANGO_ADMINS", default=[])]

# --- Logging --------------------------------------------------------------------------
# JSON lines on stdout for the log collector (DJANGO_LOG_FORMAT=plain to read them by eye).
# The app writes its own access line (chc.request), so run gunicorn without --access-logfile.
LOG_FORMAT = env("DJANGO_LOG_FORMAT", default="json")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT  # noqa: F405
