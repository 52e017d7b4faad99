"""Queries the ORM compiles once per process, then runs again with new values.

The pages every learner opens all day run the same few queries with different ids. Building
such a query costs the ORM ten times what running it costs on an open connection (the issue
"Speed" measured 42% of a step page in query building), yet the SQL differs only in its
parameters. A PreparedQuery keeps the ORM as the one place a query is written (and so the
rules in it, such as who may see which comment): it builds the queryset once with stand-ins
for the values that change, keeps the SQL, and then runs that SQL with the real values
through Django's cursor, converting each column as the ORM would.

    ENROLMENT = PreparedQuery(
        lambda values: Enrolment.objects.filter(user_id=values.user, course_id=values.course)
        .values("pk", "run_id")[:1]
    )
    rows = ENROLMENT.run(user=user.pk, course=course.pk)  # a list of dicts, as values() gives

What may change between runs is only what is passed as values: numbers (values.name),
text (values.text("name")) and times (values.time("name")). Anything else that changes the
query's shape (which filter, whether the viewer is on the team) belongs in the `shape` the
query is built and kept for: build(values, *shape), and run(shape, **values).
"""

import datetime
import itertools
import threading
from collections.abc import Callable, Hashable
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import ValuesIterable
from django.db.models.sql.compiler import SQLCompiler

# Stand-ins no real value takes: integers near the top of the smallest integer column (Django
# drops a condition whose value is out of its column's range; the check in _Compiled says so),
# text no one types, times from before Stoa.
_FIRST_NUMBER = 32_700
_TEXT = "\x00stoa-value-{}\x00"
_FIRST_TIME = datetime.datetime(1901, 1, 1, tzinfo=datetime.UTC)


class _StandIns:
    """What build() gets: each value it asks for by name, as a stand-in of its kind."""

    def __init__(self) -> None:
        self.kinds: dict[str, tuple[str, Any]] = {}
        self._count = itertools.count()

    def _stand_in(self, name: str, kind: str, make: Callable[[int], Any]) -> Any:
        if name not in self.kinds:
            self.kinds[name] = (kind, make(next(self._count)))
        return self.kinds[name][1]

    def __getattr__(self, name: str) -> int:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._stand_in(name, "number", lambda n: _FIRST_NUMBER + n)

    def text(self, name: str) -> str:
        return self._stand_in(name, "text", _TEXT.format)

    def time(self, name: str) -> datetime.datetime:
        return self._stand_in(name, "time", lambda n: _FIRST_TIME + datetime.timedelta(seconds=n))


class _Compiled:
    __slots__ = ("converters", "empty", "fixed", "kinds", "names", "slots", "sql")

    def __init__(self, queryset: QuerySet, stand_ins: _StandIns) -> None:
        if queryset._iterable_class is not ValuesIterable:
            raise TypeError("A PreparedQuery is built from a values() queryset")
        query = queryset.query
        self.names = (
            list(query.selected)
            if query.selected
            else [*query.extra_select, *query.values_select, *query.annotation_select]
        )
        compiler: SQLCompiler = query.get_compiler(queryset.db)
        self.empty = False
        try:
            self.sql, params = compiler.as_sql()
        except EmptyResultSet:  # a shape that can match nothing, as Q(pk__in=[])
            self.empty, self.sql, params = True, "", ()
        # Where each stand-in ended up among the parameters (times as the backend adapts them).
        connection = connections[queryset.db]
        by_value = {}
        for name, (kind, value) in stand_ins.kinds.items():
            if kind == "time":
                value = connection.ops.adapt_datetimefield_value(value)
            by_value[value] = name
        self.fixed = list(params)
        self.slots = [
            (index, by_value[param])
            for index, param in enumerate(params)
            if _hashable_in(param, by_value)
        ]
        # Every value asked for must be in the SQL: one Django left out (a condition it found
        # could match nothing, or a value it transformed) would be run as the stand-in.
        missing = set(by_value.values()) - {name for _, name in self.slots}
        if missing and not self.empty:
            raise ValueError(f"Values not found in the compiled query: {sorted(missing)}")
        self.kinds = {name: kind for name, (kind, _) in stand_ins.kinds.items()}
        # The converters are bound to the connection that compiled the query; they read only
        # its settings (time zone, features), which every connection to the database shares.
        self.converters = []
        if not self.empty:
            fields = [column[0] for column in compiler.select[: compiler.col_count]]
            self.converters = list(compiler.get_converters(fields).items())


def _hashable_in(value: Any, table: dict) -> bool:
    try:
        return value in table
    except TypeError:
        return False


class PreparedQuery:
    """A values() query built by `build`, compiled once per process, database and shape."""

    def __init__(self, build: Callable[..., QuerySet]) -> None:
        self._build = build
        self._compiled: dict[tuple[str, Hashable], _Compiled] = {}
        self._lock = threading.Lock()

    def _for(self, alias: str, shape: tuple) -> _Compiled:
        key = (alias, shape)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                stand_ins = _StandIns()
                queryset = self._build(stand_ins, *shape).using(alias)
                compiled = self._compiled[key] = _Compiled(queryset, stand_ins)
        return compiled

    def run(self, shape: tuple = (), /, **values: Any) -> list[dict]:
        """The rows for these values, as dicts named as values() names them. Values the
        shape's query does not ask for are ignored."""
        using = DEFAULT_DB_ALIAS
        compiled = self._for(using, shape)
        if compiled.empty:
            return []
        if missing := compiled.kinds.keys() - values.keys():
            raise TypeError(f"Values needed but not given: {sorted(missing)}")
        connection = connections[using]
        params = compiled.fixed.copy()
        for index, name in compiled.slots:
            value = values[name]
            if compiled.kinds[name] == "time":
                value = connection.ops.adapt_datetimefield_value(value)
            params[index] = value
        rows = _fetch(connection, compiled.sql, params)
        names = compiled.names
        if not compiled.converters:
            return [dict(zip(names, row, strict=True)) for row in rows]
        results = []
        for row in rows:
            cells = list(row)
            for position, (converters, expression) in compiled.converters:
                value = cells[position]
                for convert in converters:
                    value = convert(value, expression, connection)
                cells[position] = value
            results.append(dict(zip(names, cells, strict=True)))
        return results


def _fetch(connection: Any, sql: str, params: list) -> list[tuple]:
    """The rows of `sql`, read through the driver's own cursor unless something listens to
    queries (a debug cursor, as the tests' query counts use, or an execute wrapper): Django's
    cursor wrapper costs a quarter of a small query's CPU on PostgreSQL, and these queries are
    the ones every learner's page runs. It keeps what the wrapper promises: the connection's
    health check, thread and broken-transaction checks, and Django's database errors."""
    if connection.queries_logged or connection.execute_wrappers:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:
        cursor = connection.create_cursor()
        try:
            cursor.execute(sql, params)
            return cursor.fetchall()
        finally:
            cursor.close()


def columns(model: type[Model], prefix: str = "") -> list[str]:
    """The names values() reads for every column of `model` (through a relation: prefix
    "run__"), so that instance() can make the model's instance from a row."""
    return [f"{prefix}{field.attname}" for field in model._meta.concrete_fields]


def instance[M: Model](model: type[M], row: dict, prefix: str = "") -> M:
    """The instance of `model` in a row read with columns(model, prefix), as the ORM would
    have made it (Model.from_db: its state says it came from the database)."""
    names = columns(model)
    return model.from_db(DEFAULT_DB_ALIAS, names, [row[f"{prefix}{name}"] for name in names])
