"""The session engine of production with a shared cache (config/settings/production.py): Django's
cached_db, whose cache read of the session also brings the request's memo versions (core.memo):
one round trip to Redis on nearly every request, not two. A session the cache has lost is read
as cached_db reads it (the database, then the cache refilled)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.backends import cached_db

from . import memo


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            data = memo.read_with(settings.SESSION_CACHE_ALIAS, self.cache_key)
        except Exception:  # as cached_db: a cache that fails reads from the database
            data = None
        return super().load() if data is None else data
