"""Failed console logins: growing delays per source address and per account, never a lock.

- An address that keeps failing (against any account) waits longer and longer before its next
  attempt is even checked: free for the first `free_failures`, then 1 s, 2 s, 4 s ... up to
  `max_delay`; so does an (account, address) pair.
- An account under attack makes every address *new to it* wait `delay_after(failures)` once,
  at most `account_delay_cap`, before its first attempt: a distributed attacker pays that for
  every address, while the owner, from any address the attacker does not share, gets in after
  at most `account_delay_cap` with the right password. Nothing ever locks an account.
- Counters are forgotten after `quiet` without failures. The audit log gets one row per account
  (and one for unknown usernames) per `window`, with the count of the window before: a flood of
  guesses cannot grow it without bound.
Addresses are kept only as keyed hashes (bot.privacy); `X-Forwarded-For` is believed only from
TRUSTED_PROXIES.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.audit import audit
from bot.storage.models import LoginThrottle, as_utc

MAX_HOPS = 20
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Scope(StrEnum):
    """What a throttle row counts failures of."""

    ADDRESS = "address"
    ACCOUNT = "account"
    PAIR = "pair"
    UNKNOWN = "unknown"  # failures against usernames that do not exist (audit only)


@dataclass(frozen=True)
class Policy:
    """How fast delays grow and how long counters are kept."""

    free_failures: int = 3
    first_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=15)
    account_delay_cap: timedelta = timedelta(seconds=60)
    quiet: timedelta = timedelta(hours=1)
    window: timedelta = timedelta(minutes=15)


DEFAULT_POLICY = Policy()
NO_WAIT = timedelta(0)


def delay_after(failures: int, cap: timedelta, policy: Policy = DEFAULT_POLICY) -> timedelta:
    """The wait before the next attempt after this many failures: doubling, capped."""
    if failures < policy.free_failures:
        return NO_WAIT
    steps = min(failures - policy.free_failures, 32)
    return min(policy.first_delay * (2**steps), cap)


@dataclass(frozen=True)
class Attempt:
    """Who is trying: the keyed address and, when the username exists, the account."""

    address: str
    account_id: int | None = None

    def keys(self) -> dict[Scope, str]:
        """The throttle rows this attempt reads and updates."""
        keys = {Scope.ADDRESS: self.address}
        if self.account_id is None:
            keys[Scope.UNKNOWN] = "*"
        else:
            keys[Scope.ACCOUNT] = str(self.account_id)
            keys[Scope.PAIR] = f"{self.account_id}:{self.address}"
        return keys


async def _rows(session: AsyncSession, keys: dict[Scope, str], now: datetime,
                policy: Policy) -> dict[Scope, LoginThrottle]:
    """The attempt's rows that are not stale (stale ones count as absent)."""
    found = await session.scalars(
        select(LoginThrottle).where(
            or_(*[(LoginThrottle.scope == s.value) & (LoginThrottle.key == k)
                  for s, k in keys.items()])
        )
    )
    return {Scope(r.scope): r for r in found.all() if as_utc(r.updated_at) > now - policy.quiet}


async def _row(session: AsyncSession, scope: Scope, key: str, now: datetime,
               policy: Policy) -> LoginThrottle:
    """The row to update, created (or reset when stale) as needed."""
    query = select(LoginThrottle).where(LoginThrottle.scope == scope.value,
                                        LoginThrottle.key == key)
    row = await session.scalar(query.with_for_update())
    if row is None:
        try:
            async with session.begin_nested():
                row = LoginThrottle(scope=scope.value, key=key, failures=0, window_start=now,
                                    window_failures=0, updated_at=now)
                session.add(row)
        except IntegrityError:  # another worker created it at the same moment
            row = await session.scalar(query.with_for_update())
            assert row is not None
    elif as_utc(row.updated_at) <= now - policy.quiet:
        row.failures, row.blocked_until = 0, None
    return row


async def wait_required(session: AsyncSession, attempt: Attempt, now: datetime,
                        policy: Policy = DEFAULT_POLICY) -> timedelta:
    """How long this attempt must wait before its password is even checked (0: go ahead)."""
    keys = attempt.keys()
    rows = await _rows(session, keys, now, policy)
    waits = [as_utc(r.blocked_until) - now for s, r in rows.items()
             if s in (Scope.ADDRESS, Scope.PAIR) and r.blocked_until is not None]
    account = rows.get(Scope.ACCOUNT)
    if Scope.PAIR not in rows and account is not None:
        ticket = delay_after(account.failures, policy.account_delay_cap, policy)
        if ticket > NO_WAIT:  # an address new to an account under attack waits once
            pair = await _row(session, Scope.PAIR, keys[Scope.PAIR], now, policy)
            pair.blocked_until, pair.updated_at = now + ticket, now
            waits.append(ticket)
    return max([NO_WAIT, *waits])


async def record_failure(session: AsyncSession, attempt: Attempt, now: datetime,
                         policy: Policy = DEFAULT_POLICY) -> None:
    """Count a failed attempt, set the next delays, audit once per window; prune old rows."""
    await session.execute(delete(LoginThrottle).where(LoginThrottle.updated_at
                                                      <= now - policy.quiet))
    for scope, key in attempt.keys().items():
        row = await _row(session, scope, key, now, policy)
        row.failures += 1
        row.updated_at = now
        if scope in (Scope.ADDRESS, Scope.PAIR):
            row.blocked_until = now + delay_after(row.failures, policy.max_delay, policy)
        if scope in (Scope.ACCOUNT, Scope.UNKNOWN):
            _count_in_window(session, row, attempt, now, policy)


def _count_in_window(session: AsyncSession, row: LoginThrottle, attempt: Attempt,
                     now: datetime, policy: Policy) -> None:
    """One audit row when a window opens (with the count of the one before), else a count."""
    if row.window_failures and as_utc(row.window_start) > now - policy.window:
        row.window_failures += 1
        return
    audit(session, "login_failed", counsellor_id=attempt.account_id,
          known=attempt.account_id is not None, address=attempt.address[:10],
          previous_window_failures=row.window_failures,
          window_minutes=int(policy.window.total_seconds() // 60))
    row.window_start, row.window_failures = now, 1


async def record_success(session: AsyncSession, attempt: Attempt) -> int:
    """Forget the pair's failures; the account's recent failures (for the login's audit)."""
    keys = attempt.keys()
    account = await session.scalar(select(LoginThrottle.failures).where(
        LoginThrottle.scope == Scope.ACCOUNT.value, LoginThrottle.key == keys[Scope.ACCOUNT]))
    await session.execute(delete(LoginThrottle).where(
        LoginThrottle.scope == Scope.PAIR.value, LoginThrottle.key == keys[Scope.PAIR]))
    return int(account or 0)


async def clear_account(session: AsyncSession, account_id: int) -> int:
    """Unlock: forget an account's failures, its pairs' and those of the addresses it failed
    from (the owner's own address included). Returns rows deleted."""
    pairs = await session.scalars(select(LoginThrottle.key).where(
        LoginThrottle.scope == Scope.PAIR.value, LoginThrottle.key.like(f"{account_id}:%")))
    addresses = [key.partition(":")[2] for key in pairs.all()]
    conditions = [(LoginThrottle.scope == Scope.ACCOUNT.value)
                  & (LoginThrottle.key == str(account_id)),
                  (LoginThrottle.scope == Scope.PAIR.value)
                  & LoginThrottle.key.like(f"{account_id}:%")]
    if addresses:
        conditions.append((LoginThrottle.scope == Scope.ADDRESS.value)
                          & LoginThrottle.key.in_(addresses))
    result = await session.execute(delete(LoginThrottle).where(or_(*conditions)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------- addresses


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(t, strict=False) for t in trusted)


def _parse(value: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress | None, networks: tuple[Network, ...]) -> bool:
    return address is not None and any(address in n for n in networks)


def client_address(peer: str, forwarded_for: list[str], trusted: tuple[str, ...]) -> str:
    """The address to throttle: the socket peer, or, when the peer is a trusted proxy, the
    nearest untrusted hop of X-Forwarded-For. IPv6 is counted per /64 (one subscriber)."""
    networks = _networks(trusted)
    address = _parse(peer)
    if _trusted(address, networks):
        hops = [h for header in forwarded_for for h in header.split(",") if h.strip()]
        for hop in reversed(hops[-MAX_HOPS:]):
            parsed = _parse(hop)
            if parsed is None:
                break
            address = parsed
            if not _trusted(parsed, networks):
                break
    if address is None:
        return peer[:64] or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
