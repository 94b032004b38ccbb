"""Reading the signed-in user on every request as one prepared statement (core.rawsql)."""

from __future__ import annotations

import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import connections, router

from . import rawsql


@functools.cache
def _user_sql() -> tuple[str, list]:
    """SELECT of every concrete column of the user model by its primary key; identifiers only."""
    model = get_user_model()
    q = connections[router.db_for_read(model)].ops.quote_name
    fields = list(model._meta.concrete_fields)
    columns = ", ".join(q(f.column) for f in fields)
    sql = f"SELECT {columns} FROM {q(model._meta.db_table)} WHERE {q(model._meta.pk.column)} = %s"  # noqa: S608
    return sql, fields


class UserBackend(ModelBackend):
    """ModelBackend whose `get_user` (run by every signed-in request) reads the user row by hand:
    Django spent longer building that query than PostgreSQL took to answer it. Signing in,
    permissions and the active check are ModelBackend's own."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        """ModelBackend's; a refusal stops there, or the ModelBackend listed after this one (for
        sessions begun before it) would hash the password a second time."""
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and password is not None:
            raise PermissionDenied
        return user

    def get_user(self, user_id):
        model = get_user_model()
        db = router.db_for_read(model)
        connection = connections[db]
        sql, fields = _user_sql()
        key = model._meta.pk.get_db_prep_value(user_id, connection)  # typed by auth.get_user
        with connection.cursor() as cursor:
            cursor.execute(sql, [key])
            row = cursor.fetchone()
        if row is None:
            return None
        row = rawsql.convert(row, rawsql.converters(connection, "user", fields), connection)
        user = model.from_db(db, [f.attname for f in fields], row)
        return user if self.user_can_authenticate(user) else None
