"""Segmentation types and their ID validators."""

from __future__ import annotations

from collections.abc import Callable, Mapping

INHERIT = "inherit"

SegmentationValidator = Callable[[int], bool]

VALIDATORS: Mapping[str, SegmentationValidator] = {
    "vlan": lambda i: 1 <= i <= 4094,
    "vxlan": lambda i: 1 <= i <= 16777215,
}


def validators_for(types: frozenset[str]) -> dict[str, SegmentationValidator]:
    """Validators of the given types; a type without one raises KeyError."""
    return {t: VALIDATORS[t] for t in types}
