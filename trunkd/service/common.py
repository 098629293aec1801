"""Small helpers shared by the use cases."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from trunkd.domain import errors
from trunkd.domain.context import RequestContext
from trunkd.service.env import Env

T = TypeVar("T")


def check_revision(expected: int | None, current: int) -> None:
    """If-Match: revision_number=N must name the current revision."""
    if expected is not None and expected != current:
        raise errors.RevisionNumberConstraintFailed(expected=expected, current=current)


def real_changes(current: object, wanted: dict[str, object]) -> dict[str, object]:
    """The subset of `wanted` (model field -> value) that differs from `current`."""
    return {k: v for k, v in wanted.items() if getattr(current, k) != v}


def readable(env: Env, ctx: RequestContext, rule: str, items: list[T],
             target: Callable[[T], Mapping[str, Any]]) -> list[T]:
    """As Neutron: each listed item must also pass the read rule (a caller without reader sees none).
    The policy is asked once per distinct target (items of one project share one answer)."""
    answers: dict[tuple[tuple[str, Any], ...], bool] = {}

    def allowed(item: T) -> bool:
        wanted = target(item)
        key = tuple(sorted(wanted.items()))
        if key not in answers:
            answers[key] = env.policy.allowed(ctx, rule, wanted)
        return answers[key]

    return [item for item in items if allowed(item)]
