"""Test runs: fast hashing, in-memory mail and cache, tasks run inline and raise."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403

DEBUG = False
# Files made by tests (PDFs) go to a scratch folder, never into the project.
MEDIA_ROOT = Path(tempfile.gettempdir()) / "chc-test-media"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tasks run inline in tests, except in the worker that the real-worker test starts with
# CHC_CELERY_EAGER=0 and a Redis broker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CHC_CELERY_EAGER", default=True)  # noqa: F405
CELERY_TASK_EAGER_PROPAGATES = True
# One process shares its local cache with itself; the real-worker test's worker is another one.
CHC_PROCESS_MEMO = CELERY_TASK_ALWAYS_EAGER
CELERY_BROKER_URL = "memory://" if CELERY_TASK_ALWAYS_EAGER else env("CELERY_BROKER_URL")  # noqa: F405
# Tests that exercise the lockout switch it on; elsewhere logins must not lock each other out.
AXES_ENABLED = False
# Tests open and close connections from several threads (live server); keep none pinned.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
