"""Settings shared by every environment; each value can be set from the environment."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file beside manage.py is optional; real environment variables win.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-only-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "centers",
    "staff",
    "services",
    "reporting",
]

MIDDLEWARE = [
    # First, so that every log line of the request carries its id and the access line times it all.
    "core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Early, so that every response (error pages too) carries the policy and the nonce is set.
    "csp.middleware.CSPMiddleware",
    "core.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After sessions, auth and messages: it signs out with a message for the login page.
    "core.middleware.SessionTimeoutMiddleware",
    "core.middleware.QueryGuardMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.HtmxVaryMiddleware",
    "core.middleware.AdminScopesDisabledMiddleware",
    # Axes must come last so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "centers.context_processors.places",
                "core.context_processors.csp_nonce",
            ],
            "builtins": [
                "django.templatetags.i18n",
                "template_partials.templatetags.partials",
                "core.templatetags.chc",
                "core.templatetags.icons",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------
# DATABASE_URL selects PostgreSQL (postgres://…, psycopg 3); the default is a SQLite file.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Persistent connections: closing per request halves throughput (perf.md A1).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The same backend, its health check without a round trip while the server is quiet.
    DATABASES["default"]["ENGINE"] = "core.postgresql"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default (make run): a writing transaction takes the write lock when it
    # begins and waits for another writer instead of failing with "database is locked" (two
    # clicks of one button at once).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses locked-out credentials before any password check.
    "axes.backends.AxesStandaloneBackend",
    "core.auth.UserBackend",  # ModelBackend, with the per-request user read prepared
    # Sessions begun before UserBackend name ModelBackend: they stay signed in.
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: lock a username from one address after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_RESET_ON_SUCCESS = True
# Requests from these proxies (addresses or networks) have the client address read from
# X-Forwarded-For (core/http.py), so that logins do not all share the proxy's address; from
# anywhere else X-Forwarded-For is ignored, since a client can send any value. nginx is local.
CHC_TRUSTED_PROXIES = env.list("CHC_TRUSTED_PROXIES", default=["127.0.0.1", "::1"])
AXES_CLIENT_IP_CALLABLE = "core.http.client_ip"
AXES_VERBOSE = False

SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=12 * 3600)
# A session ends after this long without a request, and this long after signing in at the
# latest (a working day), whatever the cookie says (core.middleware.SessionTimeoutMiddleware).
CHC_SESSION_IDLE_MINUTES = env.int("CHC_SESSION_IDLE_MINUTES", default=30)
CHC_SESSION_MAX_HOURS = env.int("CHC_SESSION_MAX_HOURS", default=10)

# --- Content-Security-Policy (django-csp) ---------------------------------------------
# Scripts and styles from our own origin, or inline with the request's nonce; nothing inline
# otherwise (no onclick=, no style=). htmx is told not to inject its indicator styles
# (base.html), and Chart.js draws on a canvas from a static file.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Language, time -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# The PDF fonts (22 MB of OpenType, read from disk by WeasyPrint) are not worth compressing:
# brotli on them alone takes collectstatic from seconds to minutes.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "otf", "ttf")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Generated files (PDFs) go through Django's storage API: the local MEDIA_ROOT by default, or any
# S3-compatible object store (MinIO, Ceph, 阿里云 OSS, 腾讯云 COS …) with CHC_MEDIA_STORAGE=s3, so
# that several app servers and workers share them.
if env("CHC_MEDIA_STORAGE", default="local") == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("CHC_S3_BUCKET"),
            "endpoint_url": env("CHC_S3_ENDPOINT_URL", default=None),
            "region_name": env("CHC_S3_REGION", default=None),
            "access_key": env("CHC_S3_ACCESS_KEY_ID", default=None),
            "secret_key": env("CHC_S3_SECRET_ACCESS_KEY", default=None),
            "location": env("CHC_S3_PREFIX", default=""),
            "addressing_style": env("CHC_S3_ADDRESSING_STYLE", default="path"),
            "default_acl": None,  # the bucket stays private; downloads go through the app
            "file_overwrite": False,
        },
    }

# --- Mail -----------------------------------------------------------------------------
EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="chc@localhost")

# --- Cache ----------------------------------------------------------------------------
CACHES = {"default": env.cache("DJANGO_CACHE_URL", default="locmemcache://")}
# Catalogue-like values kept per process behind a version in the cache (core/memo.py): only a
# cache every process shares can tell the others that the catalogue changed.
CHC_PROCESS_MEMO = CACHES["default"]["BACKEND"].endswith("RedisCache")

# --- Celery ---------------------------------------------------------------------------
# Without a broker the tasks run in-process (eager), so the app works with nothing else
# installed; set CELERY_BROKER_URL=redis://… and start a worker for the real thing.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None  # job state lives in our own tables, not in Celery
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Every task is idempotent (claims, conditional updates), so a task whose worker dies is
# delivered again rather than lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Keep retries and countdowns well under Redis' redelivery timeout (perf.md B3). A broker that
# does not answer must not hold a request: the outbox keeps what could not be published.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# Keep reconnecting at start-up and after a broker restart (Celery 6 changes the default).
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Beat (one process per deployment) runs the sweepers: hand-offs the broker missed, PDF runs
# whose worker died, and rollup refreshes and mails whose message the broker lost.
SWEEP_SECONDS = env.int("CHC_SWEEP_SECONDS", default=10)
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "outbox-flush": {"task": "core.tasks.outbox_flush_task", "schedule": SWEEP_SECONDS},
    "pdf-runs-resume": {
        "task": "reporting.tasks.report_runs_resume_task",
        "schedule": SWEEP_SECONDS,
    },
    "rollups-sweep": {"task": "services.tasks.rollups_sweep_task", "schedule": 60},
    "imports-resume": {"task": "core.tasks.imports_resume_task", "schedule": 60},
    # Reminders (tallies due and overdue, the annual report, expiries), each sent once; daily
    # at 08:00 local time (CELERY_TIMEZONE), the hour is CHC_REMINDER_HOUR.
    "reminders-daily": {
        "task": "reporting.tasks.reminders_task",
        "schedule": crontab(hour=env.int("CHC_REMINDER_HOUR", default=8), minute=0),
    },
}
# A rollup refresh waits this many seconds after the save that queued it, so the saves that
# follow within them share it (readers compute the centre live meanwhile: never stale).
CHC_ROLLUP_REFRESH_DELAY = env.int("CHC_ROLLUP_REFRESH_DELAY", default=2)
# A worker checking an uploaded spreadsheet may grow by this much before the file is refused.
CHC_IMPORT_MEMORY_MB = env.int("CHC_IMPORT_MEMORY_MB", default=768)
# A PDF run queued or rendering this long is stuck: the page offers a retry and beat queues it
# again, up to PDF_MAX_ATTEMPTS renders.
PDF_STALL_SECONDS = env.int("CHC_PDF_STALL_SECONDS", default=20)
PDF_MAX_ATTEMPTS = env.int("CHC_PDF_MAX_ATTEMPTS", default=3)

# --- Logging --------------------------------------------------------------------------
# One line per record on stdout, each with the request id (or Celery task id, "-" outside
# both; core/logs.py). DJANGO_LOG_FORMAT: "plain" for people, "json" (production's default)
# for a log collector. `chc.request` writes one access line per request (core/middleware.py).
LOG_FORMAT = env("DJANGO_LOG_FORMAT", default="plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ValueError(f"DJANGO_LOG_FORMAT must be 'plain' or 'json', not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Service tallies ------------------------------------------------------------------
# A month locks for clerks and managers this many days after it ends (a reviewer can reopen it).
TALLY_LOCK_DAYS = env.int("CHC_TALLY_LOCK_DAYS", default=30)
# A month is reported on time when marked complete by this day of the following month.
TALLY_DUE_DAY = env.int("CHC_TALLY_DUE_DAY", default=10)
# A departure rate (annualised, %) above this is offered as a weak spot in work summaries.
SUMMARY_HIGH_DEPARTURE_RATE = env.int("CHC_SUMMARY_HIGH_DEPARTURE_RATE", default=15)
# What is material enough for 存在的问题 (reporting/problems.py): a fall on the same period of
# last year of at least this many 百分点 for a % rate, 千分点 for a ‰ rate (严重精神障碍报告患病率
# runs at about 4‰, where one 千分点 would be a quarter of it and 0.2 about the 5% asked of a
# count), and % for a count or an amount; and an
# 编外 share (% of the staff serving at the period's end) above this. One deployment serves one
# city's commissions, which report to the same conventions, so these are settings rather than a
# per-commission field (that would need a migration and a form for a number nobody asked to vary).
SUMMARY_PROBLEM_MIN_POINTS = Decimal(env.str("CHC_SUMMARY_PROBLEM_MIN_POINTS", default="1"))
SUMMARY_PROBLEM_MIN_PERMILLE_POINTS = Decimal(
    env.str("CHC_SUMMARY_PROBLEM_MIN_PERMILLE_POINTS", default="0.2")
)
SUMMARY_PROBLEM_MIN_DECLINE = Decimal(env.str("CHC_SUMMARY_PROBLEM_MIN_DECLINE", default="5"))
SUMMARY_HIGH_OFF_SHARE = Decimal(env.str("CHC_SUMMARY_HIGH_OFF_SHARE", default="50"))

# --- Annual filing --------------------------------------------------------------------
# 从业人数 on the report: "all" serving staff on 31 December (what filed reports show), or only
# those "establishment" (在编). The form prints which definition was used.
FILING_STAFF_COUNT = env("CHC_FILING_STAFF_COUNT", default="all")
# Filings are due by this month and day of the following year.
FILING_DUE_MONTH_DAY = (3, 31)
# Links in mails point here. Production explains a missing or unusable one in SITE_URL_PROBLEM,
# which the system checks report (core/checks.py).
SITE_URL = env("CHC_SITE_URL", default="http://127.0.0.1:8000")
SITE_URL_PROBLEM = ""

# --- API (/api/v1/, core/api.py) ------------------------------------------------------
# Personal tokens (Authorization: Bearer …) or the browser's session (with CSRF); every error
# answers {"code", "message", "details"}; reads carry ETags. Requests are throttled per token (per
# user on the session) on the shared cache: CHC_API_RATE is DRF's "number/period".
CHC_API_RATE = env("CHC_API_RATE", default="300/min")
# A push (POST …/dataValueSets/) larger than this is refused before it is read (413).
CHC_API_MAX_PUSH_BYTES = env.int("CHC_API_MAX_PUSH_BYTES", default=20 * 1024 * 1024)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api_policies.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["core.api_policies.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.api_policies.JsonParser", "core.api_policies.CsvParser"],
    "DEFAULT_PAGINATION_CLASS": "core.api_policies.Pagination",
    "DEFAULT_SCHEMA_CLASS": "core.api.AutoSchema",
    "EXCEPTION_HANDLER": "core.api_policies.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": _("Health Centre Desk API"),
    "DESCRIPTION": _(
        "Read metadata, data values, figures and work states, and push monthly values, as the "
        "signed-in user or with a personal API token (Authorization: Bearer …). The "
        "integration guide is docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI from our own static files (drf-spectacular-sidecar): no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "MonthStatusEnum": "services.api.MONTH_STATUSES",
        "ImportStatusEnum": "services.api.IMPORT_STATUSES",
    },
}
