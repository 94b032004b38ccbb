"""Developer machine: debug on, SQLite unless DATABASE_URL says otherwise, Celery eager."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
