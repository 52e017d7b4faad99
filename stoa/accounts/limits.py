"""How often people may try to sign in and sign up, and what they are told when they may not.

Sign-in stops people guessing passwords without letting a stranger lock a learner, or a whole
classroom, out. Only failures count: each attempt is counted before its password is checked
(so counts stay exact under concurrent requests) and taken back if it succeeds. An attempt one
limit refuses checks no password, so it is taken back from the limits counted before it.

- Per client address and account (the email address typed): 5 failures per 15 minutes. This
  is what someone guessing one account's password from one place meets. It holds the owner
  too, but only at that address, and resetting the password lifts it.
- Per account, from all addresses together: 20 failures per hour, for guessing spread over
  many addresses. Here the owner cannot be told apart from the guesser, so the refusal is not
  a lockout: it tells them to reset their password, which needs their inbox and clears the
  account's count. Addresses the account is known at (below) are not held to this limit, so
  the owner at home signs in as usual while the account is under attack.
- Per client address, over all accounts: 100 failures per 15 minutes, against one address
  trying many accounts (credential stuffing). It is high so that a classroom or office
  behind one address can make the odd typo; attempts the first limit refuses do not count
  here, so one person retrying cannot use up everyone's allowance; and known pairs are not
  held to it, so a learner who has signed in from a refused classroom before still gets in.

An account is known at an address once a sign-in succeeds or its password is reset from there,
for 30 days from the latest. Known pairs still meet the first limit, so someone sharing the
owner's address (the same classroom) gets five guesses per 15 minutes, like anyone else.

What this leaves: a newcomer at an address refused for many failures waits for the window to
end (at most 15 minutes), since letting unknown accounts through would let a guesser try one
password on each of many accounts; and an owner whose account is being guessed from many
addresses signs in from a new address by resetting their password.

Every sign-up attempt counts against the IP address, which also slows anyone probing which
addresses have accounts. Reset emails are limited per email address, so that nobody can flood
an inbox, and per IP address.
"""

from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, ngettext

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

    def clear(self, identity: str) -> None:
        ratelimit.clear(self.scope, identity, window_seconds=self.window_seconds)


SIGN_IN_PER_PAIR = Limit("signin-pair", limit=5, window_seconds=15 * 60)
SIGN_IN_PER_ACCOUNT = Limit("signin-account", limit=20, window_seconds=60 * 60)
SIGN_IN_PER_IP = Limit("signin-ip", limit=100, window_seconds=15 * 60)
# Account and address pairs a sign-in succeeded from, or a reset, exempt from the last two.
KNOWN_PAIR = "signin-known"
KNOWN_PAIR_SECONDS = 30 * 24 * 60 * 60
SIGN_UP_PER_IP = Limit("signup-ip", limit=10, window_seconds=60 * 60)
# Reset emails go to someone's inbox: few per address, so nobody can flood it.
PASSWORD_RESET_PER_ADDRESS = Limit("reset-email", limit=3, window_seconds=60 * 60)
PASSWORD_RESET_PER_IP = Limit("reset-ip", limit=20, window_seconds=60 * 60)


@dataclass(frozen=True)
class Refusal:
    message: str
    retry_after: int  # seconds, for the Retry-After header


def _refusal(result: ratelimit.RateLimitResult, what: str | Promise) -> Refusal:
    minutes = result.retry_after_minutes
    wait = ngettext(
        "Try again in about a minute.", "Try again in about %(minutes)d minutes.", minutes
    ) % {"minutes": minutes}
    return Refusal(f"{what} {wait}", result.retry_after)


def _address_key(email: str) -> str:
    return email.strip().lower()


def _pair_key(request: HttpRequest, account: str) -> str:
    return f"{ratelimit.client_ip(request)} {account}"  # no IP address holds a space


def _sign_in_limits(request: HttpRequest, *, email: str) -> list[tuple[Limit, str, Promise]]:
    """The limits one sign-in attempt counts against, each with its identity and the reason
    given when it refuses: the pair first, so that its refusals count nowhere else."""
    by_ip = (
        SIGN_IN_PER_IP,
        ratelimit.client_ip(request),
        gettext_lazy("Too many sign-in attempts from your network."),
    )
    account = _address_key(email)
    if not account:
        return [by_ip]
    pair = _pair_key(request, account)
    by_pair = (SIGN_IN_PER_PAIR, pair, gettext_lazy("Too many sign-in attempts for this address."))
    if ratelimit.is_remembered(KNOWN_PAIR, pair):
        return [by_pair]
    by_account = (
        SIGN_IN_PER_ACCOUNT,
        account,
        gettext_lazy(
            "Too many failed attempts to sign in to this account. If it is yours, "
            "reset your password to sign in now."
        ),
    )
    return [by_pair, by_ip, by_account]


def check_sign_in(request: HttpRequest, *, email: str) -> Refusal | None:
    """Counts one sign-in attempt; returns a Refusal when it is over a limit."""
    counted: list[tuple[Limit, str]] = []
    for limit, identity, reason in _sign_in_limits(request, email=email):
        result = limit.hit(identity)
        if not result.allowed:
            for earlier, earlier_identity in counted:
                earlier.forgive(earlier_identity)
            return _refusal(result, reason)
        counted.append((limit, identity))
    return None


def forgive_sign_in(request: HttpRequest, *, email: str) -> None:
    """Takes back a sign-in that succeeded and remembers the pair it came from.

    It asks again whether the pair is known rather than being told what check_sign_in
    counted: they differ only when a sign-in from the same pair succeeds in between, and then
    one failure too many stays counted, which is harmless.
    """
    for limit, identity, _ in _sign_in_limits(request, email=email):
        limit.forgive(identity)
    if account := _address_key(email):
        ratelimit.remember(KNOWN_PAIR, _pair_key(request, account), seconds=KNOWN_PAIR_SECONDS)


def password_was_reset(request: HttpRequest, *, email: str) -> None:
    """A new password set through an emailed link: whoever did it holds the inbox, so the
    failures counted against the account, here and everywhere, no longer count."""
    account = _address_key(email)
    pair = _pair_key(request, account)
    SIGN_IN_PER_ACCOUNT.clear(account)
    SIGN_IN_PER_PAIR.clear(pair)
    ratelimit.remember(KNOWN_PAIR, pair, seconds=KNOWN_PAIR_SECONDS)


def check_sign_up(request: HttpRequest) -> Refusal | None:
    """Counts one sign-up attempt; returns a Refusal when it is over the limit."""
    by_ip = SIGN_UP_PER_IP.hit(ratelimit.client_ip(request))
    if not by_ip.allowed:
        return _refusal(by_ip, gettext_lazy("Too many sign-up attempts from your network."))
    return None


def check_password_reset(request: HttpRequest, *, email: str) -> Refusal | None:
    """Counts one password-reset request; returns a Refusal when it is over a limit."""
    by_ip = PASSWORD_RESET_PER_IP.hit(ratelimit.client_ip(request))
    if not by_ip.allowed:
        return _refusal(by_ip, gettext_lazy("Too many password-reset requests from your network."))
    if _address_key(email):
        by_address = PASSWORD_RESET_PER_ADDRESS.hit(_address_key(email))
        if not by_address.allowed:
            return _refusal(
                by_address, gettext_lazy("Too many password-reset emails for this address.")
            )
    return None
