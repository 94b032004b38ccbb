"""Django's PostgreSQL backend with a health check that costs no round trip while the server has
sent nothing (config/settings/base.py names it as the engine for postgres:// URLs).

With CONN_HEALTH_CHECKS every request's first query was preceded by `SELECT 1`: a round trip on
every page and cell save (under load each one waits for a core). A connection the server ended
(a restart, an administrator's terminate, an idle timeout) has something to read: the server's
goodbye or the socket's end. So the check looks at the socket first and sends `SELECT 1` only
when it is readable, or leaves the connection to be reopened when psycopg already knows it is
broken. A network that drops the connection silently is still found by the first query, as
without health checks.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
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
        """Open, idle, and nothing from the server waiting on the socket."""
        conn = self.connection
        if conn.closed or conn.broken or conn.pgconn.status != pq.ConnStatus.OK:
            return False
        if conn.pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return False
        poller = select.poll()  # not select(): a descriptor past 1023 is fine
        try:
            poller.register(conn.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
            return not poller.poll(0)
        except (OSError, ValueError):
            return False
