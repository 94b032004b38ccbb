"""`field__any_of=ids`: membership in a long list of ids, as one parameter on PostgreSQL.

A city's dashboard asks about a thousand centres. With `__in`, each query carries a thousand
placeholders, and psycopg spends ~15 ms per query splitting and quoting them (measured on the
city benchmark); `= ANY(%s)` passes the list as one array. Other databases get a plain IN.
"""

from __future__ import annotations

from django.db.models import Field, ForeignObject, Lookup
from django.db.models.lookups import In

from .rawsql import array_param


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        values = list(self.rhs)
        if connection.vendor != "postgresql":
            if not values:
                return "1 = 0", []
            return In(self.lhs, values).as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, array_param(values)]


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # relations look their lookups up only from here down
