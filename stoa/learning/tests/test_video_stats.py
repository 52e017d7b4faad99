"""Video statistics from the player (stoa.learning.video): the beacons' endpoint, who may
send them, what each event counts, and continents only with a GeoIP database."""

import json
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stoa.accounts.limits import Limit
from stoa.learning import services, video
from stoa.learning.models import VideoTally
from stoa.lib.refusals import Invalid
from stoa.testing import counted, enrol_in, make_course, make_run, step_of

pytestmark = pytest.mark.django_db

VIEW = {"kind": "view", "device": "desktop"}


def stats_url(course, week=1, position=1):
    """Step 1.1 of the test course is its video."""
    return reverse("learning:video_stats", args=[course.slug, week, position])


def beacon(client, course, *events, week=1, position=1, **extra):
    return client.post(
        stats_url(course, week, position),
        json.dumps({"events": list(events)}),
        content_type="application/json",
        **extra,
    )


def figures(*fields):
    return VideoTally.objects.values_list(*fields).get()


@pytest.fixture
def enrolment(client, course, learner):
    enrolment = services.enrol(user=learner, course=course)
    client.force_login(learner)
    return enrolment


# --- Counting --------------------------------------------------------------------------------


def test_a_view_and_its_milestones_are_counted_in_the_learners_run(client, enrolment, course):
    response = beacon(
        client,
        course,
        VIEW,
        {"kind": "reached", "percent": 5},
        {"kind": "reached", "percent": 10},
        {"kind": "captions"},
    )

    assert response.status_code == 204
    tally = VideoTally.objects.get()
    assert (tally.run, tally.step) == (enrolment.run, step_of(course, 1, 1))
    assert (tally.views, tally.desktop_views, tally.reached_5, tally.reached_10) == (1, 1, 1, 1)
    assert (tally.caption_views, tally.reached_25, tally.mobile_views) == (1, 0, 0)


def test_beacons_add_up(client, enrolment, course):
    beacon(client, course, VIEW, {"kind": "reached", "percent": 50})
    beacon(client, course, {"kind": "view", "device": "mobile"}, {"kind": "reached", "percent": 50})
    beacon(client, course, {"kind": "view", "device": "unknown"}, {"kind": "hd"})
    beacon(client, course, {"kind": "download"}, {"kind": "transcript"})

    assert figures(
        "views",
        "desktop_views",
        "mobile_views",
        "unknown_device_views",
        "reached_50",
        "hd_views",
        "downloads",
        "transcript_views",
    ) == (3, 1, 1, 1, 2, 1, 1, 1)


@pytest.mark.parametrize(
    ("device", "field"),
    [
        ("console", "console_views"),
        ("desktop", "desktop_views"),
        ("mobile", "mobile_views"),
        ("tv", "tv_views"),
        ("tablet", "tablet_views"),
        ("unknown", "unknown_device_views"),
    ],
)
def test_each_device_class_has_its_counter(client, enrolment, course, device, field):
    beacon(client, course, {"kind": "view", "device": device})

    assert figures("views", field) == (1, 1)


@pytest.mark.parametrize("percent", video.MILESTONES)
def test_each_milestone_has_its_counter(client, enrolment, course, percent):
    beacon(client, course, {"kind": "reached", "percent": percent})

    assert figures(f"reached_{percent}") == (1,)


def test_each_event_is_one_update_and_nothing_else_is_written(
    client, enrolment, course, django_assert_num_queries
):
    beacon(client, course, VIEW)  # the row made at the first event
    # the session, the user, the course's version, the enrolment; then an UPDATE an event, in
    # a transaction (a savepoint and its release, since each test runs in a transaction)
    with (
        django_assert_num_queries(counted(client, 9)),
        CaptureQueriesContext(connection) as queries,
    ):
        response = beacon(
            client,
            course,
            {"kind": "reached", "percent": 25},
            {"kind": "reached", "percent": 50},
            {"kind": "hd"},
        )
    assert response.status_code == 204
    writes = [
        q["sql"] for q in queries if not q["sql"].startswith(("SELECT", "SAVEPOINT", "RELEASE"))
    ]
    assert len(writes) == 3
    assert all(sql.startswith('UPDATE "learning_videotally"') for sql in writes)
    assert figures("views", "reached_25", "reached_50", "hd_views") == (1, 1, 1, 1)


# --- Continents ------------------------------------------------------------------------------


class FakeReader:
    """What geoip2's Reader answers, for a database of the given type and addresses."""

    def __init__(self, database_type: str, continents: dict[str, str]) -> None:
        self.database_type = database_type
        self.continents = continents

    def metadata(self):
        return SimpleNamespace(database_type=self.database_type)

    def _lookup(self, address: str):
        if address not in self.continents:
            raise RuntimeError(f"The address {address} is not in the database.")
        return SimpleNamespace(continent=SimpleNamespace(code=self.continents[address]))

    def country(self, address: str):
        assert "Country" in self.database_type
        return self._lookup(address)

    def city(self, address: str):
        assert "City" in self.database_type
        return self._lookup(address)


@pytest.fixture
def geoip(settings, monkeypatch):
    """A GeoIP database configured, read through a fake of geoip2's Reader."""

    def use(database_type: str, continents: dict[str, str]) -> list[str]:
        opened: list[str] = []

        def open_reader(path):
            opened.append(path)
            return FakeReader(database_type, continents)

        settings.STOA_GEOIP_PATH = f"/srv/geoip/{database_type}.mmdb"
        monkeypatch.setattr(video, "open_reader", open_reader)
        return opened

    return use


CONTINENT_FIELDS = (
    "europe_views",
    "oceania_views",
    "asia_views",
    "north_america_views",
    "south_america_views",
    "africa_views",
    "antarctica_views",
)


def test_without_a_geoip_database_continents_stay_zero_and_nothing_is_looked_up(
    client, enrolment, course, settings, monkeypatch
):
    settings.STOA_GEOIP_PATH = ""

    def never(path):
        raise AssertionError("no database is configured")

    monkeypatch.setattr(video, "open_reader", never)
    beacon(client, course, VIEW, REMOTE_ADDR="203.0.113.5")

    assert figures(*CONTINENT_FIELDS) == (0,) * 7


def test_with_a_geoip_database_views_count_by_continent(client, enrolment, course, geoip):
    opened = geoip("GeoLite2-Country", {"203.0.113.5": "EU", "198.51.100.7": "OC"})

    beacon(client, course, VIEW, {"kind": "reached", "percent": 5}, REMOTE_ADDR="203.0.113.5")
    beacon(client, course, VIEW, REMOTE_ADDR="198.51.100.7")
    beacon(client, course, VIEW, REMOTE_ADDR="192.0.2.1")  # not in the database

    assert figures("views", *CONTINENT_FIELDS) == (3, 1, 1, 0, 0, 0, 0, 0)
    assert opened == ["/srv/geoip/GeoLite2-Country.mmdb"] * 3


def test_a_city_database_is_read_with_its_own_lookup(client, enrolment, course, geoip):
    geoip("GeoIP2-City", {"2001:db8:1:2::": "NA"})

    beacon(client, course, VIEW, REMOTE_ADDR="2001:db8:1:2:aaaa::1")  # looked up by its /64

    assert figures("north_america_views") == (1,)


@pytest.mark.parametrize(
    ("code", "field"),
    [
        ("AF", "africa_views"),
        ("AN", "antarctica_views"),
        ("AS", "asia_views"),
        ("SA", "south_america_views"),
    ],
)
def test_every_continent_has_its_counter(client, enrolment, course, geoip, code, field):
    geoip("GeoLite2-Country", {"203.0.113.5": code})

    beacon(client, course, VIEW, REMOTE_ADDR="203.0.113.5")

    assert figures(field) == (1,)


def test_continent_of_is_none_without_a_database(settings):
    settings.STOA_GEOIP_PATH = ""

    assert video.continent_of("203.0.113.5") is None


# --- Refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'"events"',
        b"{}",
        b'{"events": []}',
        b'{"events": {}}',
        b'{"events": [1]}',
        b'{"events": [{"kind": "view"}]}',
        b'{"events": [{"kind": "view", "device": "fridge"}]}',
        b'{"events": [{"kind": "view", "device": ["desktop"]}]}',
        b'{"events": [{"kind": "reached", "percent": 7}]}',
        b'{"events": [{"kind": "reached", "percent": 5.0}]}',
        b'{"events": [{"kind": "reached", "percent": "5"}]}',
        b'{"events": [{"kind": "reached", "percent": true}]}',
        b'{"events": [{"kind": ["hd"]}]}',
        b'{"events": [{"kind": "rewound"}]}',
        json.dumps({"events": [VIEW] * (video.EVENTS_MAX + 1)}).encode(),
        json.dumps({"events": [VIEW], "padding": "x" * video.BODY_MAX_BYTES}).encode(),
    ],
)
def test_a_body_that_is_not_a_batch_of_events_is_refused_and_counts_nothing(
    client, enrolment, course, body
):
    response = client.post(stats_url(course), body, content_type="application/json")

    assert response.status_code == 400
    assert not VideoTally.objects.exists()


def test_the_largest_batch_is_taken():
    events = [VIEW] * video.EVENTS_MAX
    body = json.dumps({"events": events}).encode()

    assert video.parse_events(body) == [{"views": 1, "desktop_views": 1}] * video.EVENTS_MAX
    with pytest.raises(Invalid):
        video.parse_events(json.dumps({"events": [*events, VIEW]}).encode())


def test_visitors_are_sent_to_sign_in(client, course):
    response = beacon(client, course, VIEW)

    assert response["Location"].startswith(reverse("accounts:signin"))
    assert not VideoTally.objects.exists()


def test_people_not_learning_on_the_course_may_not_report(
    client, course, outsider, educator, other_course_educator
):
    for person in (outsider, educator, other_course_educator):
        client.force_login(person)
        assert beacon(client, course, VIEW).status_code == 403
    assert not VideoTally.objects.exists()


def test_a_learner_who_left_may_not_report(client, enrolment, course):
    services.leave(enrolment=enrolment)

    assert beacon(client, course, VIEW).status_code == 403


def test_a_video_not_open_yet_in_the_learners_run_is_refused(client, learner):
    course = make_course("later-course", run_started_days_ago=None)
    enrol_in(learner, make_run(course, started_days_ago=-7))
    client.force_login(learner)

    assert beacon(client, course, VIEW).status_code == 403
    assert not VideoTally.objects.exists()


def test_steps_without_a_video_are_not_found(client, enrolment, course):
    assert beacon(client, course, VIEW, position=2).status_code == 404  # an article
    assert beacon(client, course, VIEW, week=9, position=9).status_code == 404
    assert not VideoTally.objects.exists()


def test_reports_take_a_post(client, enrolment, course):
    assert client.get(stats_url(course)).status_code == 405


def test_reports_are_rate_limited_per_learner(client, enrolment, course, monkeypatch):
    monkeypatch.setattr(video, "BEACONS_PER_MINUTE", Limit("video-stats", 2, 24 * 60 * 60))
    beacon(client, course, VIEW)
    beacon(client, course, VIEW)

    response = beacon(client, course, VIEW)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert figures("views") == (2,)


# --- The script ------------------------------------------------------------------------------


def test_the_script_is_loaded_for_learners_on_video_steps_only(client, course, learner, educator):
    page = client.get(reverse("learning:step", args=[course.slug, 1, 1])).content.decode()
    assert "video-stats.js" not in page  # a visitor
    client.force_login(educator)
    page = client.get(reverse("learning:step", args=[course.slug, 1, 1])).content.decode()
    assert "video-stats.js" not in page  # the team watches without counting
    services.enrol(user=learner, course=course)
    client.force_login(learner)
    page = client.get(reverse("learning:step", args=[course.slug, 1, 2])).content.decode()
    assert "video-stats.js" not in page  # an article
    page = client.get(reverse("learning:step", args=[course.slug, 1, 1])).content.decode()
    assert f'data-endpoint="{stats_url(course)}"' in page
    assert 'data-csrf="' in page
    assert "data-video-download" in page
