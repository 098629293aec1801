"""Segmentation-ID allocation: the free VLANs of one trunk, picked by policy (pure)."""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass, replace

from trunkd.domain import errors
from trunkd.domain.model import SubPort

# segmentation_id of a subport whose VLAN the server is to pick (0 is never a valid VLAN)
AUTO = 0
ALLOCATED_TYPE = "vlan"
POLICIES = ("random", "lowest")
_rng = random.SystemRandom()


@dataclass(frozen=True)
class Allocator:
    """`random` (the original Neutron plugin's choice) or `lowest`, within [low, high]."""

    policy: str = "random"
    low: int = 1
    high: int = 4094

    def pick(self, trunk_id: str, count: int, taken: Collection[int]) -> list[int]:
        """`count` distinct free ids (not in `taken`); SegmentationIdsExhausted if too few."""
        taken = set(taken)
        free = [i for i in range(self.low, self.high + 1) if i not in taken]
        if count > len(free):
            raise errors.SegmentationIdsExhausted(
                segmentation_type=ALLOCATED_TYPE, low=self.low, high=self.high, trunk_id=trunk_id,
                count=count, free=len(free),
            )
        return free[:count] if self.policy == "lowest" else _rng.sample(free, count)


def parse_allocator(policy: str, id_range: str) -> Allocator | None:
    """The allocator a deployment configured: policy off/random/lowest, range 'LOW-HIGH' (1-4094)."""
    policy = policy.strip().lower()
    if policy in ("", "off", "false", "no"):
        return None
    if policy in ("on", "true", "yes"):
        policy = "random"
    if policy not in POLICIES:
        raise ValueError(f"segmentation allocation policy must be off, random or lowest, not '{policy}'")
    try:
        low, high = (int(x) for x in id_range.split("-", 1))
    except ValueError:
        raise ValueError(f"segmentation range must be LOW-HIGH, not '{id_range}'") from None
    if not 1 <= low <= high <= 4094:
        raise ValueError(f"segmentation range {low}-{high} must lie within 1-4094")
    return Allocator(policy, low, high)


def assign(trunk_id: str, subs: list[SubPort], kept: Collection[SubPort], allocator: Allocator) -> list[SubPort]:
    """Give every AUTO subport a free VLAN of the trunk: free of `kept` and of the explicit ids."""
    pending = [i for i, s in enumerate(subs) if s.segmentation_id == AUTO]
    if not pending:
        return subs
    taken = {s.segmentation_id for s in [*kept, *subs] if s.segmentation_type == ALLOCATED_TYPE}
    chosen = allocator.pick(trunk_id, len(pending), taken)
    result = list(subs)
    for index, vlan in zip(pending, chosen, strict=True):
        result[index] = replace(subs[index], segmentation_type=ALLOCATED_TYPE, segmentation_id=vlan)
    return result
