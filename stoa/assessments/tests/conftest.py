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


# --- Peer review ---------------------------------------------------------------------------


@pytest.fixture
def peer_step(course):
    """A peer-review step at the end of week 1 (open in the course's run, which starts today):
    at least 20 words, two reviews each, two rubric questions."""
    from stoa.testing import make_peer_step

    return make_peer_step(course)


@pytest.fixture
def locked_peer_step(course):
    """A peer-review step in week 2, which opens in a week."""
    from stoa.testing import make_peer_step

    return make_peer_step(course, week=2)
