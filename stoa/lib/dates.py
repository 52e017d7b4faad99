"""Dates as people read them."""

import datetime

from django.utils import timezone

# Rough lengths, as "3 months ago" needs: the exact moment goes in a title or datetime.
_UNITS = (
    (365 * 86400, "year"),
    (30 * 86400, "month"),
    (7 * 86400, "week"),
    (86400, "day"),
    (3600, "hour"),
    (60, "minute"),
)


def ago(moment: datetime.datetime, *, now: datetime.datetime | None = None) -> str:
    """How long ago, roughly: "just now", "5 minutes ago", "2 days ago".

    Rather than Django's timesince, which is exact to the calendar and translated, and costs
    twenty times as much: a step page says this of up to a hundred comments."""
    seconds = ((now or timezone.now()) - moment).total_seconds()
    for size, unit in _UNITS:
        if seconds >= size:
            count = int(seconds // size)
            # A no-break space, as timesince uses, keeps "5 minutes" on one line.
            return f"{count}\xa0{unit}{'' if count == 1 else 's'} ago"
    return "just now"
