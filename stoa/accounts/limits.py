"""How often people may try to sign in and sign up, and what they are told when they may not.

Sign-in attempts count against both the email address typed (guessing one account's password)
and the client's IP address (trying many accounts); a successful sign-in is forgiven, so a
classroom behind one address only uses up its allowance with mistakes. Every sign-up attempt
counts against the IP address, which also slows anyone probing which addresses have accounts.
"""

from dataclasses import dataclass

from django.http import HttpRequest

from stoa.lib import ratelimit


@dataclass(frozen=True)
class Limit:
    scope: str
    limit: int
    window_seconds: int

    def hit(self, identity: str) -> ratelimit.RateLimitResult:
        return ratelimit.hit(
            self.scope, identity, limit=self.limit, window_seconds=self.window_seconds
        )

    def forgive(self, identity: str) -> None:
        ratelimit.forgive(self.scope, identity, window_seconds=self.window_seconds)


SIGN_IN_PER_ADDRESS = Limit("signin-email", limit=5, window_seconds=15 * 60)
SIGN_IN_PER_IP = Limit("signin-ip", limit=30, window_seconds=15 * 60)
SIGN_UP_PER_IP = Limit("signup-ip", limit=10, window_seconds=60 * 60)
# Reset emails go to someone's inbox: few per address, so nobody can flood it.
PASSWORD_RESET_PER_ADDRESS = Limit("reset-email", limit=3, window_seconds=60 * 60)
PASSWORD_RESET_PER_IP = Limit("reset-ip", limit=20, window_seconds=60 * 60)


@dataclass(frozen=True)
class Refusal:
    message: str
    retry_after: int  # seconds, for the Retry-After header


def _refusal(result: ratelimit.RateLimitResult, what: str) -> Refusal:
    minutes = result.retry_after_minutes
    wait = "about a minute" if minutes == 1 else f"about {minutes} minutes"
    return Refusal(f"{what} Try again in {wait}.", result.retry_after)


def _address_key(email: str) -> str:
    return email.strip().lower()


def check_sign_in(request: HttpRequest, *, email: str) -> Refusal | None:
    """Counts one sign-in attempt; returns a Refusal when it is over a limit."""
    by_ip = SIGN_IN_PER_IP.hit(ratelimit.client_ip(request))
    if not by_ip.allowed:
        return _refusal(by_ip, "Too many sign-in attempts from your network.")
    if _address_key(email):
        by_address = SIGN_IN_PER_ADDRESS.hit(_address_key(email))
        if not by_address.allowed:
            return _refusal(by_address, "Too many sign-in attempts for this address.")
    return None


def forgive_sign_in(request: HttpRequest, *, email: str) -> None:
    SIGN_IN_PER_IP.forgive(ratelimit.client_ip(request))
    SIGN_IN_PER_ADDRESS.forgive(_address_key(email))


def check_sign_up(request: HttpRequest) -> Refusal | None:
    """Counts one sign-up attempt; returns a Refusal when it is over the limit."""
    by_ip = SIGN_UP_PER_IP.hit(ratelimit.client_ip(request))
    if not by_ip.allowed:
        return _refusal(by_ip, "Too many sign-up attempts from your network.")
    return None


def check_password_reset(request: HttpRequest, *, email: str) -> Refusal | None:
    """Counts one password-reset request; returns a Refusal when it is over a limit."""
    by_ip = PASSWORD_RESET_PER_IP.hit(ratelimit.client_ip(request))
    if not by_ip.allowed:
        return _refusal(by_ip, "Too many password-reset requests from your network.")
    if _address_key(email):
        by_address = PASSWORD_RESET_PER_ADDRESS.hit(_address_key(email))
        if not by_address.allowed:
            return _refusal(by_address, "Too many password-reset emails for this address.")
    return None
