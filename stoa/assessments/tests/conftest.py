import pytest

from stoa.testing import make_poll


@pytest.fixture
def poll(course):
    """A choose-one poll at the end of week 1 (open in the course's run, which starts today)."""
    return make_poll(course)


@pytest.fixture
def locked_poll(course):
    """A poll in week 2, which opens in a week."""
    return make_poll(course, week=2)
