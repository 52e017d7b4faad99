"""PreparedQuery, on Django's own models (stoa.lib imports no app of Stoa's)."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import DatabaseError, connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from stoa.lib.prepared import PreparedQuery, _fetch, columns, instance

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture
def sessions():
    return [
        Session.objects.create(
            session_key=f"key-{n}",
            session_data=f"data-{n}",
            expire_date=NOW + datetime.timedelta(hours=n),
        )
        for n in range(1, 4)
    ]


def _expiring_after(values, by_key: bool):
    found = Session.objects.filter(expire_date__gt=values.time("after"))
    if by_key:
        found = found.filter(session_key=values.text("key"))
    return found.order_by("expire_date").values("session_key", "expire_date")


def test_runs_as_the_orm_would_with_new_values_each_time(sessions):
    query = PreparedQuery(_expiring_after)
    orm = Session.objects.filter(expire_date__gt=NOW).order_by("expire_date")

    rows = query.run((False,), after=NOW)

    assert rows == list(orm.values("session_key", "expire_date"))  # times aware, as the ORM's
    assert [row["session_key"] for row in rows] == ["key-1", "key-2", "key-3"]
    later = query.run((False,), after=NOW + datetime.timedelta(minutes=90))
    assert [row["session_key"] for row in later] == ["key-2", "key-3"]
    assert [row["session_key"] for row in query.run((True,), after=NOW, key="key-3")] == ["key-3"]
    assert query.run((True,), after=NOW, key="key-'; DROP TABLE x; --") == []


def test_the_driver_cursor_reads_what_the_counted_cursor_reads(sessions):
    """Unwatched, a query runs on the driver's own cursor; watched (the query counts), it runs
    through Django's and is counted. Both read the same rows."""
    query = PreparedQuery(_expiring_after)

    unwatched = query.run((False,), after=NOW)
    with CaptureQueriesContext(connection) as watched:
        counted = query.run((False,), after=NOW)

    assert unwatched == counted
    assert len(watched.captured_queries) == 1


def test_the_driver_cursor_raises_djangos_database_errors(db):
    with pytest.raises(DatabaseError):
        _fetch(connection, "SELECT missing FROM no_such_table WHERE 1 = %s", [1])


def test_numbers_are_values_too():
    query = PreparedQuery(lambda values: ContentType.objects.filter(pk=values.id).values("model"))
    session = ContentType.objects.get_for_model(Session)

    assert query.run(id=session.pk) == [{"model": "session"}]
    assert query.run(id=0) == []


def test_builds_each_shape_once(sessions, django_assert_num_queries):
    built = []

    def build(values, shape):
        built.append(shape)
        return Session.objects.filter(expire_date__gt=values.time("after")).values("pk")

    query = PreparedQuery(build)
    for _ in range(3):
        with django_assert_num_queries(1):
            assert len(query.run(("a",), after=NOW)) == 3
    query.run(("b",), after=NOW)

    assert built == ["a", "b"]


def test_a_shape_that_matches_nothing_runs_no_query(django_assert_num_queries):
    query = PreparedQuery(lambda values: Session.objects.filter(Q(pk__in=[])).values("pk"))

    with django_assert_num_queries(0):
        assert query.run() == []


def test_values_a_shape_does_not_ask_for_are_ignored_and_missing_ones_refused(sessions):
    def build(values, by_key: bool):
        found = Session.objects.filter(expire_date__gt=values.time("after"))
        return (found.filter(session_key=values.text("key")) if by_key else found).values("pk")

    query = PreparedQuery(build)

    assert len(query.run((False,), after=NOW, key="ignored")) == 3
    with pytest.raises(TypeError, match="key"):
        query.run((True,), after=NOW)


def test_a_value_missing_from_the_sql_is_refused():
    # As a condition Django drops would leave it (a value out of its column's range): the
    # query would otherwise run with the stand-in in place of the value.
    def build(values):
        values.unused  # noqa: B018 (asked for, never used)
        return ContentType.objects.filter(pk=values.id).values("pk")

    with pytest.raises(ValueError, match="unused"):
        PreparedQuery(build).run(id=1, unused=2)


def test_only_values_querysets_are_prepared():
    query = PreparedQuery(lambda values: Session.objects.filter(expire_date__gt=values.time("a")))

    with pytest.raises(TypeError, match="values"):
        query.run(a=NOW)


def test_instance_makes_the_model_as_the_orm_does(sessions):
    row = Session.objects.filter(pk="key-2").values(*columns(Session)).get()

    session = instance(Session, row)

    assert session == sessions[1]
    assert not session._state.adding
    assert (session.session_data, session.expire_date) == ("data-2", sessions[1].expire_date)
