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
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = "memory://"
# Tests that exercise the lockout switch it on; elsewhere logins must not lock each other out.
AXES_ENABLED = False
# Tests open and close connections from several threads (live server); keep none pinned.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
