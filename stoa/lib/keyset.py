"""Keyset pagination: the one cursor type and helper behind every list that pages.

A page ends at its last row; the next starts after that row's sort key and id, so each page
is one indexed range scan however deep it is, and rows written meanwhile are neither skipped
nor repeated. In URLs a cursor is "<key>.<id>", two whole numbers. For pages ordered by time
the key is microseconds since the epoch, so the cursor is exact.

Cursors come from the address bar, so parse() takes anything and returns None for what is not
a cursor a page could have written: the caller answers 400 (or shows the first page), never
500. Numbers are bounded so that every database can compare them (64-bit integers) and every
key converts to a date.
"""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, overload

from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _lazy

from stoa.lib.refusals import Invalid

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
# Keys and ids are below 10**18 (< 2**63), and time keys end before the year 9999.
_CURSOR = re.compile(r"([0-9]{1,18})\.([0-9]{1,18})")
_LAST_MICROSECOND = (
    datetime.datetime(9999, 12, 31, tzinfo=datetime.UTC) - EPOCH
) // datetime.timedelta(microseconds=1)


class Row(Protocol):
    pk: Any
    created_at: datetime.datetime


_DAMAGED = _lazy("This page's address is damaged: go back to the first page.")


@dataclass(frozen=True)
class Cursor:
    key: int
    id: int

    def __str__(self) -> str:
        return f"{self.key}.{self.id}"

    @classmethod
    def parse(cls, value: str | None) -> "Cursor | None":
        """The cursor written in value, or None for nothing or anything malformed."""
        match = _CURSOR.fullmatch(value or "")
        if match is None:
            return None
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of_time(cls, row: Row) -> "Cursor":
        """After this row, in an order by created_at."""
        return cls.at(row.created_at, row.pk)

    @classmethod
    def at(cls, moment: datetime.datetime, pk: int) -> "Cursor":
        """After the row with this id and time, in an order by a time."""
        return cls(microseconds(moment), pk)

    @property
    def time(self) -> datetime.datetime:
        """The key as a moment; Invalid for a hand-made key too far in the future."""
        if self.key > _LAST_MICROSECOND:
            raise Invalid(_DAMAGED)
        return EPOCH + datetime.timedelta(microseconds=self.key)


def microseconds(moment: datetime.datetime) -> int:
    """A moment as a cursor writes it: microseconds since the epoch, exact."""
    return (moment - EPOCH) // datetime.timedelta(microseconds=1)


@overload
def cursor_from(query: QueryDict, name: str = "after") -> Cursor | None: ...
@overload
def cursor_from[C](
    query: QueryDict, name: str = "after", *, parse: Callable[[str], C | None]
) -> C | None: ...
def cursor_from(query: QueryDict, name: str = "after", *, parse: Callable = Cursor.parse):
    """The cursor in a query parameter (a Cursor, or what `parse` reads, for a list with a
    cursor of its own): None when there is none, Invalid (a 400) when it is not one a page
    wrote."""
    value = query.get(name)
    if not value:
        return None
    cursor = parse(value)
    if cursor is None:
        raise Invalid(_DAMAGED)
    return cursor


def after_descending(name: str, key: Any, pk: int) -> Q:
    """Rows after (key, pk) in an order by name and id, both descending."""
    # The first condition bounds the index range; the second breaks ties on equal keys.
    return Q(**{f"{name}__lte": key}) & (Q(**{f"{name}__lt": key}) | Q(pk__lt=pk))


def after_ascending(name: str, key: Any, pk: int) -> Q:
    return Q(**{f"{name}__gte": key}) & (Q(**{f"{name}__gt": key}) | Q(pk__gt=pk))


@dataclass
class Page:
    items: list[Any]
    next_cursor: Cursor | None


def newest_first(queryset: QuerySet, cursor: Cursor | None, size: int) -> Page:
    """One page of rows by (created_at, id), newest first, after the cursor: one query."""
    if cursor is not None:
        queryset = queryset.filter(after_descending("created_at", cursor.time, cursor.id))
    return _page(list(queryset.order_by("-created_at", "-id")[: size + 1]), size)


def _page(rows: list, size: int) -> Page:
    """The first `size` of rows read one past the page, which says whether another follows."""
    if len(rows) > size:
        return Page(rows[:size], Cursor.of_time(rows[size - 1]))
    return Page(rows, None)
