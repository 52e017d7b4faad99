import os
import threading

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from stoa.lib import ratelimit
from stoa.lib.ratelimit import RateLimitResult, client_ip, forgive, hit

WINDOW = 900
START = 1_800_000_000.0  # a window boundary: 1_800_000_000 is a multiple of 900


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """Other test files share the cache: count in an empty in-process one of our own."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "stoa-ratelimit-tests",
        }
    }
    cache.clear()


def hits(count, identity="ada@example.org", *, scope="signin", limit=3, now=START):
    return [hit(scope, identity, limit=limit, window_seconds=WINDOW, now=now) for _ in range(count)]


def test_hits_within_the_limit_are_allowed():
    assert hits(3) == [RateLimitResult(allowed=True, retry_after=0)] * 3


def test_the_hit_over_the_limit_is_refused_until_the_window_ends():
    *_, refused = hits(4, now=START + 60)

    assert refused == RateLimitResult(allowed=False, retry_after=WINDOW - 60)
    assert refused.retry_after_minutes == 14


def test_retry_after_minutes_round_up_and_never_say_zero():
    assert RateLimitResult(allowed=False, retry_after=61).retry_after_minutes == 2
    assert RateLimitResult(allowed=False, retry_after=1).retry_after_minutes == 1


def test_a_new_window_starts_a_new_count():
    hits(5)

    assert hits(1, now=START + WINDOW)[0].allowed


def test_refused_hits_keep_counting():
    hits(10)

    assert not hits(1, now=START + WINDOW - 1)[0].allowed


def test_identities_are_counted_apart():
    hits(3, "ada@example.org")

    assert hits(1, "grace@example.org")[0].allowed


def test_scopes_are_counted_apart():
    hits(3, scope="signin")

    assert hits(1, scope="comments")[0].allowed


def test_forgive_takes_back_one_hit():
    hits(3)
    forgive("signin", "ada@example.org", window_seconds=WINDOW, now=START)

    assert hits(1)[0].allowed
    assert not hits(1)[0].allowed


def test_forgive_after_the_window_ended_does_nothing():
    forgive("signin", "ada@example.org", window_seconds=WINDOW, now=START)

    assert hits(3) == [RateLimitResult(allowed=True, retry_after=0)] * 3


def test_clear_forgets_every_hit_in_the_window():
    hits(5)
    ratelimit.clear("signin", "ada@example.org", window_seconds=WINDOW, now=START)

    assert hits(3) == [RateLimitResult(allowed=True, retry_after=0)] * 3


def test_a_remembered_identity_is_known_in_its_scope_only():
    ratelimit.remember("signin-known", "ada@example.org", seconds=60)

    assert ratelimit.is_remembered("signin-known", "ada@example.org")
    assert not ratelimit.is_remembered("signin-known", "grace@example.org")
    assert not ratelimit.is_remembered("other", "ada@example.org")
    assert not any("ada" in key for key in cache._cache)


def test_identities_are_not_kept_in_the_cache_in_clear():
    hits(1, "ada@example.org")

    assert not any("ada" in key for key in cache._cache)  # LocMemCache's own store


def test_counting_is_exact_across_threads():
    results = []

    def hammer():
        results.extend(hits(20, limit=50))

    threads = [threading.Thread(target=hammer) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(result.allowed for result in results) == 50


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (make test-scaled)")
def test_counting_is_exact_across_threads_on_redis(settings):
    # A prefix of its own: clearing the shared Redis would disturb other test workers.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": f"test-ratelimit-{os.getpid()}",
        }
    }
    key, _ = ratelimit._window("signin", "ada@example.org", WINDOW, START)
    cache.delete(key)  # left over from an earlier run, if any
    results = []

    def hammer():
        results.extend(hits(20, limit=50))

    threads = [threading.Thread(target=hammer) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    cache.delete(key)
    assert sum(result.allowed for result in results) == 50


rf = RequestFactory()


def request_from(remote_addr, forwarded_for=None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return rf.get("/", **extra)


def test_client_ip_is_remote_addr():
    assert client_ip(request_from("203.0.113.7")) == "203.0.113.7"


def test_client_ip_ignores_forwarded_for_without_trusted_proxies():
    assert client_ip(request_from("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_client_ip_reads_forwarded_for_from_a_trusted_proxy(settings):
    settings.STOA_TRUSTED_PROXIES = ["10.0.0.0/8"]

    # The client claimed 198.51.100.1 itself; the proxy saw 203.0.113.7.
    request = request_from("10.0.0.2", "198.51.100.1, 203.0.113.7, 10.0.0.3")

    assert client_ip(request) == "203.0.113.7"


def test_client_ip_ignores_forwarded_for_from_an_untrusted_peer(settings):
    settings.STOA_TRUSTED_PROXIES = ["10.0.0.0/8"]

    assert client_ip(request_from("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_client_ip_groups_ipv6_by_64_network():
    assert client_ip(request_from("2001:db8:1:2:aaaa::1")) == "2001:db8:1:2::/64"
    assert client_ip(request_from("2001:db8:1:2:bbbb::9")) == "2001:db8:1:2::/64"


def test_client_ip_unwraps_ipv4_mapped_ipv6():
    assert client_ip(request_from("::ffff:203.0.113.7")) == "203.0.113.7"


def test_window_seconds_must_be_positive():
    with pytest.raises(ValueError):
        ratelimit.hit("signin", "ada", limit=1, window_seconds=0)
