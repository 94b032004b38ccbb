"""Django's PostgreSQL backend with a health check that costs no round trip on a connection
that answered a moment ago and whose server has sent nothing since (config/settings/base.py names
it as the engine for postgres:// URLs).

With CONN_HEALTH_CHECKS every request's first query was preceded by `SELECT 1`: a round trip on
every page and cell save (under load each one waits for a core). A connection the server ended
(a restart, an administrator's terminate, an idle timeout) has something to read: the server's
goodbye or the socket's end. So the check looks at the socket first and skips `SELECT 1` only
when nothing is readable and the connection was last used less than `RECENT` seconds ago. A
connection idle for longer still gets `SELECT 1`: a peer that vanished without a word (a host
crash, a failover that moved the address) shows only when something is sent, and the check
then reconnects before the request's own query fails.
"""

from __future__ import annotations

import select
import time

from django.db.backends.postgresql import base
from psycopg import pq

# A connection used this recently and quiet since is taken as alive (a busy worker's case).
RECENT = 5.0


class DatabaseWrapper(base.DatabaseWrapper):
    _used_at = 0.0

    def create_cursor(self, name=None):
        self._used_at = time.monotonic()
        return super().create_cursor(name)

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and self._quiet()
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _quiet(self) -> bool:
        """Used a moment ago, open, idle, and nothing from the server waiting on the socket."""
        conn = self.connection
        if time.monotonic() - self._used_at > RECENT:
            return False
        if conn.closed or conn.broken or conn.pgconn.status != pq.ConnStatus.OK:
            return False
        if conn.pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return False
        if conn.pgconn.pipeline_status != pq.PipelineStatus.OFF:
            return False
        poller = select.poll()  # not select(): a descriptor past 1023 is fine
        try:
            poller.register(conn.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
            return not poller.poll(0)
        except (OSError, ValueError):
            return False
