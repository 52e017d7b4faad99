"""Fixed-window rate limits kept in Django's cache: sign-in and sign-up now, comments later.

A limit allows `limit` hits per `window_seconds` for each identity (an email address, an IP
address, a user id) within a scope ("signin-pair", "signup-ip"). Windows are aligned to the
epoch, so a window's count lives under one cache key that expires on its own.

Counting is `cache.add(key, 1)` then `cache.incr(key)`. On Redis both are single commands, so
app servers sharing one Redis share one exact count. LocMemCache is exact within one process
and counts each process separately, which suits the single-server default. Caches without an
atomic increment (database, file) can undercount under concurrent requests.

Identities are hashed with the secret key: email addresses are not kept in the cache in clear.

Beside the counts, `remember` keeps a mark that an identity has proved itself (a sign-in that
succeeded from one address), which callers use to exempt it from some limits.
"""

import contextlib
import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac


@dataclass(frozen=True)
class RateLimitResult:
    allowed: bool
    retry_after: int  # seconds until the window resets; 0 when allowed

    @property
    def retry_after_minutes(self) -> int:
        """The wait in whole minutes, rounded up, for messages to people."""
        return max(1, math.ceil(self.retry_after / 60))


def _digest(identity: str) -> str:
    return salted_hmac("stoa.lib.ratelimit", identity, algorithm="sha256").hexdigest()[:32]


def _window(scope: str, identity: str, window_seconds: int, now: float) -> tuple[str, int]:
    if window_seconds < 1:
        raise ValueError("window_seconds must be at least 1")
    index = int(now // window_seconds)
    key = f"ratelimit:{scope}:{window_seconds}:{index}:{_digest(identity)}"
    return key, (index + 1) * window_seconds


def hit(
    scope: str, identity: str, *, limit: int, window_seconds: int, now: float | None = None
) -> RateLimitResult:
    """Counts one hit for `identity` in `scope` and says whether it is within the limit.

    Refused hits are counted too, so hammering does not shorten the wait.
    """
    now = time.time() if now is None else now
    key, window_end = _window(scope, identity, window_seconds, now)
    if cache.add(key, 1, timeout=window_seconds):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window_seconds)
            count = 1
    if count <= limit:
        return RateLimitResult(allowed=True, retry_after=0)
    return RateLimitResult(allowed=False, retry_after=max(1, math.ceil(window_end - now)))


def forgive(scope: str, identity: str, *, window_seconds: int, now: float | None = None) -> None:
    """Takes back one hit in the current window, e.g. after a sign-in that succeeded, so that
    only failures count against people who share an address."""
    now = time.time() if now is None else now
    key, _ = _window(scope, identity, window_seconds, now)
    with contextlib.suppress(ValueError):  # the window has already ended
        cache.decr(key)


def clear(scope: str, identity: str, *, window_seconds: int, now: float | None = None) -> None:
    """Forgets every hit in the current window, e.g. once a person has shown who they are by
    resetting their password. Earlier windows need no clearing: they no longer count."""
    now = time.time() if now is None else now
    key, _ = _window(scope, identity, window_seconds, now)
    cache.delete(key)


def remember(scope: str, identity: str, *, seconds: int) -> None:
    """Marks `identity` as known in `scope` for `seconds`, starting again on each call."""
    cache.set(f"ratelimit-known:{scope}:{_digest(identity)}", True, timeout=seconds)


def is_remembered(scope: str, identity: str) -> bool:
    return cache.get(f"ratelimit-known:{scope}:{_digest(identity)}", False) is True


def client_ip(request: HttpRequest) -> str:
    """The address to rate-limit a request by.

    This is REMOTE_ADDR. Behind a load balancer or reverse proxy, list its addresses or networks
    in settings.STOA_TRUSTED_PROXIES (none by default): for requests from them the client is
    the right-most X-Forwarded-For entry that is not itself a trusted proxy. Entries further
    left are the client's own claims and never count. Without that setting every request
    behind a proxy shares the proxy's address, and so its limits.

    IPv6 addresses are reduced to their /64 network, which one home or server usually holds
    whole and could otherwise rotate through.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = [
        ipaddress.ip_network(network, strict=False)
        for network in getattr(settings, "STOA_TRUSTED_PROXIES", ())
    ]
    address = _parse_ip(remote)
    if trusted and address is not None and _is_trusted(address, trusted):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        for entry in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
            address = _parse_ip(entry)
            if address is None:
                return entry[:100]
            if not _is_trusted(address, trusted):
                break
    if address is None:
        return remote
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _parse_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _is_trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
    trusted: list[ipaddress.IPv4Network | ipaddress.IPv6Network],
) -> bool:
    return any(address in network for network in trusted)
