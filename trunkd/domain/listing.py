"""A parsed list request: filters, tag filters, sort and page (no SQL here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TAG_FILTERS = ("tags", "tags-any", "not-tags", "not-tags-any")


@dataclass(frozen=True)
class ListQuery:
    filters: dict[str, list[Any]] = field(default_factory=dict)
    tag_filters: dict[str, list[str]] = field(default_factory=dict)
    sorts: list[tuple[str, bool]] = field(default_factory=list)  # (attribute, ascending)
    limit: int | None = None
    marker: str | None = None
    page_reverse: bool = False
    # set when a filter names an attribute the caller may not read: the list is then limited to this
    # project's own resources (the filter may tell the caller about what it owns, never about others')
    owner: str | None = None

