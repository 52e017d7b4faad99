import pytest
from django.core.cache import cache

from stoa.accounts.models import User

# Long, uncommon and unlike the personas' names, so Django's validators accept it.
PASSWORD = "quiet-harbour-at-dusk"


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """Rate-limit counts live in the cache, which other test files share: start each test with
    an empty in-process cache of its own."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "stoa-accounts-tests",
        }
    }
    cache.clear()


@pytest.fixture
def learner(db) -> User:
    return User.objects.create_user(
        email="ada@example.org", password=PASSWORD, display_name="Ada Lovelace"
    )


@pytest.fixture
def other_learner(db) -> User:
    return User.objects.create_user(
        email="grace@example.org",
        password=PASSWORD,
        display_name="Grace Hopper",
        bio="Compilers and nanoseconds.",
    )
