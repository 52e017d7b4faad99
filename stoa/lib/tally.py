"""Counters kept in aggregate rows: the dashboards' figures, written in the transaction of
each write they count, so that reading them costs a row per day, week or step whatever the
number of learners.

add() is one UPDATE in the usual case. The first add to a row inserts it inside a savepoint;
if another transaction inserted it at the same moment, the UPDATE runs again.
"""

from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import F


def add(model: type[models.Model], keys: dict[str, Any], **amounts: int) -> None:
    """Adds `amounts` (field=number, negative to take away) to the row of `model` named by
    `keys` (its unique fields), creating the row at the first add."""
    changes = {field: F(field) + amount for field, amount in amounts.items()}
    if model._default_manager.filter(**keys).update(**changes):
        return
    try:
        with transaction.atomic():
            model._default_manager.create(**keys, **amounts)
    except IntegrityError:  # created by another transaction meanwhile
        model._default_manager.filter(**keys).update(**changes)
