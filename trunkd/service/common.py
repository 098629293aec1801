"""Small helpers shared by the use cases."""

from __future__ import annotations

from trunkd.domain import errors


def check_revision(expected: int | None, current: int) -> None:
    """If-Match: revision_number=N must name the current revision."""
    if expected is not None and expected != current:
        raise errors.RevisionNumberConstraintFailed(expected=expected, current=current)


def real_changes(current: object, wanted: dict[str, object]) -> dict[str, object]:
    """The subset of `wanted` (model field -> value) that differs from `current`."""
    return {k: v for k, v in wanted.items() if getattr(current, k) != v}
