"""Values built from tables that change rarely (the indicator catalogue), kept in each process and
rebuilt when a version shared through the cache moves.

A write calls `changed()` inside its transaction; the new version is stored when it commits, so
no process can keep the old value under the new version. Until then the writing process builds
afresh inside transactions (it may read its own uncommitted rows, which must not be kept).
Every read costs one cache GET instead of the queries and the model building. A value is also
rebuilt after `max_age` seconds, which bounds what a lost bump (a process killed between its
commit and the bump) can cost.

Only a cache every process shares can carry the version (`CHC_PROCESS_MEMO`, on with Redis);
without one each read builds afresh. If the cache fails, the read builds afresh too.

Within a request the versions are read once, all together (one MGET instead of a GET per memo
read: a cell save read three, and under load each round trip to Redis waits for a core), and
kept until the request ends; a change this process commits meanwhile moves them at once.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Generic, TypeVar

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.db import connection, transaction

T = TypeVar("T")
log = logging.getLogger(__name__)
_ALL: list[Versioned] = []
_PENDING: set[str] = set()  # names this process changed in a transaction not yet committed
_REQUEST = threading.local()  # .versions: {name: version} read in this request, or absent


def _key(name: str) -> str:
    return f"memo-version:{name}"


class Versioned(Generic[T]):
    """One value per process, rebuilt when the version named `name` moves (memos of one name
    share it: one write invalidates them all)."""

    def __init__(self, name: str, build: Callable[[], T], *, max_age: float = 300.0) -> None:
        self.name, self.build, self.max_age = name, build, max_age
        self._version: str | None = None
        self._value: T | None = None
        self._built_at = 0.0
        _ALL.append(self)

    def get(self) -> T:
        if not settings.CHC_PROCESS_MEMO or (self.name in _PENDING and connection.in_atomic_block):
            return self.build()
        try:
            version = _version(self.name)
        except Exception:  # the cache is down: correct and slower, never wrong
            log.warning("memo %s: cache unavailable, building afresh", self.name, exc_info=True)
            return self.build()
        now = time.monotonic()
        if version is None or version != self._version or now - self._built_at > self.max_age:
            self._value, self._version, self._built_at = self.build(), version, now
        return self._value

    def clear(self) -> None:
        self._version, self._value = None, None


def _version(name: str) -> str | None:
    """The shared version of `name`: from this request's snapshot, else from the cache."""
    versions = getattr(_REQUEST, "versions", None)
    if versions is not None and name not in versions:  # the request's first read: all at once
        names = {memo.name for memo in _ALL} | {name}
        found = cache.get_many([_key(n) for n in names])
        versions.update({n: found.get(_key(n)) for n in names})
    version = versions.get(name) if versions is not None else cache.get(_key(name))
    if version is None:  # first use, or the cache lost it: any new token will do
        cache.add(_key(name), uuid.uuid4().hex, timeout=None)
        version = cache.get(_key(name))
        if versions is not None:
            versions[name] = version
    return version


def read_with(alias: str, key: str):
    """`key`'s value from the cache `alias`, read in one round trip with this request's memo
    versions when they come from the same cache and are not read yet (core.sessions: the
    session and the versions, nearly every request's two cache reads, become one)."""
    versions = getattr(_REQUEST, "versions", None)
    shared = settings.CHC_PROCESS_MEMO and alias == DEFAULT_CACHE_ALIAS
    if versions is None or versions or not shared:
        return caches[alias].get(key)
    names = {memo.name for memo in _ALL}
    found = caches[alias].get_many([key, *(_key(n) for n in names)])
    versions.update({n: found.get(_key(n)) for n in names})
    return found.get(key)


def request_started(**kwargs) -> None:
    """On request_started (core.apps): this request reads the versions once, when first needed."""
    _REQUEST.versions = {}


def request_finished(**kwargs) -> None:
    """On request_finished: the next request reads them afresh."""
    _REQUEST.__dict__.pop("versions", None)


def changed(name: str) -> None:
    """Call where the tables behind `name` are written: every process rebuilds after the commit."""
    _PENDING.add(name)
    for memo in _ALL:
        if memo.name == name:
            memo.clear()
    transaction.on_commit(lambda: _bump(name))


def _bump(name: str) -> None:
    _PENDING.discard(name)
    token = uuid.uuid4().hex
    versions = getattr(_REQUEST, "versions", None)
    if versions is not None:
        versions[name] = token
    try:
        cache.set(_key(name), token, timeout=None)
    except Exception:  # max_age still bounds how long other processes keep the old value
        log.warning("memo %s: could not store a new version", name, exc_info=True)
    for memo in _ALL:
        if memo.name == name:
            memo.clear()  # this process at once, even without a shared cache


def clear_all() -> None:
    """Forget every value in this process (tests: each starts from the database)."""
    _PENDING.clear()
    for memo in _ALL:
        memo.clear()
