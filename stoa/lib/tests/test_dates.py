import datetime

import pytest

from stoa.lib.dates import ago

NOW = datetime.datetime(2026, 11, 22, 12, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        (datetime.timedelta(0), "just now"),
        (datetime.timedelta(seconds=59), "just now"),
        (datetime.timedelta(minutes=1), "1\xa0minute ago"),
        (datetime.timedelta(minutes=59, seconds=59), "59\xa0minutes ago"),
        (datetime.timedelta(hours=1), "1\xa0hour ago"),
        (datetime.timedelta(hours=23), "23\xa0hours ago"),
        (datetime.timedelta(days=1), "1\xa0day ago"),
        (datetime.timedelta(days=6), "6\xa0days ago"),
        (datetime.timedelta(days=13), "1\xa0week ago"),
        (datetime.timedelta(days=14), "2\xa0weeks ago"),
        (datetime.timedelta(days=45), "1\xa0month ago"),
        (datetime.timedelta(days=364), "12\xa0months ago"),
        (datetime.timedelta(days=365 * 3 + 10), "3\xa0years ago"),
    ],
)
def test_ago_names_the_largest_whole_unit(before, expected):
    assert ago(NOW - before, now=NOW) == expected


def test_ago_of_a_moment_in_the_future_is_just_now():
    # Clocks of app servers differ by a little; a comment is never posted "in 2 seconds".
    assert ago(NOW + datetime.timedelta(seconds=2), now=NOW) == "just now"
