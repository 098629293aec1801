"""Which hosts an agent identity may speak for ([agent] host_identities, opt-in).

Each entry is `IDENTITY:HOST_PATTERN`: a Keystone user (id or name; in noauth the X-User-Id / X-User-Name
headers) and a shell-style pattern (`*`, `?`, `[…]`, matched case-sensitively) of the hosts it speaks for.
Repeat an identity for more patterns. An identity with entries may write only for hosts one of its patterns
matches; an identity without entries is not bound (Nova's user binds ports on every host)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from trunkd.domain import errors


@dataclass(frozen=True)
class HostIdentities:
    patterns: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def parse(cls, entries: Iterable[str]) -> HostIdentities:
        """From `IDENTITY:HOST_PATTERN` entries; ValueError naming the option for a malformed one."""
        found: dict[str, list[str]] = {}
        for entry in entries:
            identity, sep, pattern = entry.strip().partition(":")
            if not sep or not identity.strip() or not pattern.strip():
                raise ValueError(f"[agent] host_identities: {entry!r} is not IDENTITY:HOST_PATTERN "
                                 "(e.g. agent-compute-1:compute-1 or agent-rack7:rack7-*)")
            found.setdefault(identity.strip(), []).append(pattern.strip())
        return cls({k: tuple(v) for k, v in found.items()})

    def bound(self, identities: Iterable[str | None]) -> tuple[str, tuple[str, ...]] | None:
        """The first of the caller's identities that has entries, with its patterns; None if unbound."""
        for identity in identities:
            if identity and identity in self.patterns:
                return identity, self.patterns[identity]
        return None

    def check(self, identities: Iterable[str | None], host: str) -> None:
        """Raise HostNotAllowed if the caller is bound to hosts and `host` is none of them."""
        bound = self.bound(identities)
        if bound is not None and not any(fnmatchcase(host, p) for p in bound[1]):
            raise errors.HostNotAllowed(identity=bound[0], host=host)
