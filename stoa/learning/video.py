"""Video statistics from the player, for the course team's research data (the video-stats
dataset of stoa.insights.research): what stoa/static/stoa/video-stats.js reports of learners'
views of a video step, counted in the run's VideoTally row for the step.

The script batches events and posts them in the background as JSON,
{"events": [{"kind": "view", "device": "desktop"}, {"kind": "reached", "percent": 25}, ...]}:

- view: playback started (a new view), with the device class the browser decided;
- reached: the furthest point of this view passed a milestone (MILESTONES, each once a view);
- captions, hd: captions were showing, the picture was 720 lines or more (once a view);
- transcript, download: the transcript was used, the video's download link followed (once a
  page).

Each event is one UPDATE of the tally row with F() increments (stoa.lib.tally.add, which makes
the row at its first event), so a milestone costs one write whatever the number of views, and
nothing is read back. Who may report is checked here: signed-in learners of the course, on an
open week, for a video step; the tallies count in the learner's run. Each learner's beacons are
rate limited, and a batch is small (EVENTS_MAX): a learner cannot inflate the figures by much.

Continents are counted only where a GeoIP database is configured (settings.STOA_GEOIP_PATH,
read with the optional geoip2 package); otherwise their counters stay 0 and the dataset's
continent columns empty.
"""

import functools
import json
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from stoa.accounts.limits import Limit
from stoa.accounts.models import User
from stoa.courses.models import Step, StepType
from stoa.learning import selectors
from stoa.learning.models import VideoTally
from stoa.lib import tally
from stoa.lib.refusals import Invalid, NotAllowed, NotFound, TooMany

MILESTONES = (5, 10, 25, 50, 75, 95, 100)
DEVICES = {
    "console": "console_views",
    "desktop": "desktop_views",
    "mobile": "mobile_views",
    "tv": "tv_views",
    "tablet": "tablet_views",
    "unknown": "unknown_device_views",
}
ONCE = {
    "captions": "caption_views",
    "transcript": "transcript_views",
    "hd": "hd_views",
    "download": "downloads",
}
# GeoIP's continent codes.
CONTINENTS = {
    "AF": "africa_views",
    "AN": "antarctica_views",
    "AS": "asia_views",
    "EU": "europe_views",
    "NA": "north_america_views",
    "OC": "oceania_views",
    "SA": "south_america_views",
}
# A batch holds what a few seconds of watching report (a view, its milestones and the rest
# come to 12 events); the script sends at most this many at once.
EVENTS_MAX = 32
BODY_MAX_BYTES = 4096
# The script sends a batch at most every few seconds while events come, and one as the page
# goes: a minute of watching is at most a dozen or so from one tab.
BEACONS_PER_MINUTE = Limit("video-stats", limit=60, window_seconds=60)


def parse_events(body: bytes) -> list[dict[str, int]]:
    """The counter increments of each event in a beacon's body; Invalid for anything that is
    not a small batch of known events."""
    if len(body) > BODY_MAX_BYTES:
        raise Invalid(_("Too much at once."))
    try:
        events = json.loads(body)["events"]
    except (ValueError, TypeError, KeyError):
        raise Invalid(_('Expected {"events": [...]}.')) from None
    if not isinstance(events, list) or not 0 < len(events) <= EVENTS_MAX:
        raise Invalid(_("Expected from 1 to %(max)d events.") % {"max": EVENTS_MAX})
    return [_amounts(event) for event in events]


def _amounts(event: Any) -> dict[str, int]:
    if isinstance(event, dict):
        kind, device, percent = event.get("kind"), event.get("device"), event.get("percent")
        if kind == "view" and isinstance(device, str) and device in DEVICES:
            return {"views": 1, DEVICES[device]: 1}
        if kind == "reached" and type(percent) is int and percent in MILESTONES:
            return {f"reached_{percent}": 1}
        if isinstance(kind, str) and kind in ONCE:
            return {ONCE[kind]: 1}
    raise Invalid(_("Unknown event: %(event)s") % {"event": json.dumps(event)[:100]})


def record_beacon(*, user: User, step: Step, body: bytes, client_ip: str) -> None:
    """Counts a beacon's events in the learner's run: one UPDATE each. TooMany over the
    learner's allowance, Invalid for a body parse_events refuses, NotFound and NotAllowed
    for a step that is not a video open to them."""
    allowance = BEACONS_PER_MINUTE.hit(str(user.pk))
    if not allowance.allowed:
        raise TooMany(_("Too many reports."), retry_after=allowance.retry_after)
    events = parse_events(body)
    if step.type != StepType.VIDEO:
        raise NotFound(_("This step has no video."))
    enrolment = selectors.enrolment_for(user=user, course=step.week.course)
    if enrolment is None:
        raise NotAllowed(_("Only the course's learners report their views."))
    if not enrolment.run.is_week_open(step.week.number, today=timezone.localdate()):
        raise NotAllowed(_("This step is not open yet."))
    continent = None
    if any("views" in amounts for amounts in events):
        continent = CONTINENTS.get(continent_of(client_ip) or "")
    keys = {"run_id": enrolment.run_id, "step": step}
    with transaction.atomic():
        for amounts in events:
            if continent and "views" in amounts:
                amounts = {**amounts, continent: 1}
            tally.add(VideoTally, keys, **amounts)


# --- GeoIP -----------------------------------------------------------------------------------


class GeoIPReader(Protocol):
    """What is used of geoip2.database.Reader."""

    def metadata(self) -> Any: ...
    def country(self, ip_address: str) -> Any: ...
    def city(self, ip_address: str) -> Any: ...


@functools.cache
def open_reader(path: str) -> GeoIPReader:
    """The database at path, opened once per process. geoip2 is imported only here: it is
    needed only where a database is configured."""
    import geoip2.database  # type: ignore[import-not-found]

    return geoip2.database.Reader(path)


def continent_of(address: str) -> str | None:
    """The two-letter continent code (EU, NA, ...) of an address, from the GeoIP database of
    settings.STOA_GEOIP_PATH; None without one, or for an address it does not know."""
    path = getattr(settings, "STOA_GEOIP_PATH", "")
    if not path or not address:
        return None
    reader = open_reader(path)
    # ratelimit.client_ip gives an IPv6 client as its /64 network, which places it as well.
    address = address.split("/", 1)[0]
    lookup = reader.city if "City" in reader.metadata().database_type else reader.country
    try:
        # geoip2's AddressNotFoundError is a RuntimeError; a malformed address a ValueError.
        return lookup(address).continent.code or None
    except (ValueError, RuntimeError):
        return None
