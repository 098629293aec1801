"""The API extensions trunkd really implements."""

from __future__ import annotations

from typing import Any

_UPDATED = "2016-01-01T10:00:00-00:00"

# alias -> (name, description)
_EXTENSIONS: dict[str, tuple[str, str]] = {
    "trunk": ("Trunk Extension", "Provides support for trunk ports"),
    "trunk-details": ("Trunk port details", "Expose trunk port details"),
    "binding": ("Port Binding", "Expose port bindings of a virtual port to external application"),
    "provider": ("Provider Network", "Expose mapping of virtual networks to physical networks"),
    "net-mtu": ("Network MTU", "Provides MTU attribute for a network resource."),
    "project-id": ("project_id field enabled", "Extension that indicates that project_id field is enabled."),
    "pagination": ("Pagination support", "Extension that indicates that pagination is enabled."),
    "sorting": ("Sorting support", "Extension that indicates that sorting is enabled."),
    "fields": ("Fields selection", "Extension that indicates that the fields query parameter is supported."),
    "filter-validation": ("Filter parameters validation", "Provides validation on filter parameters."),
    "standard-attr-description": (
        "standard-attr-description", "Extension to add descriptions to standard attributes"),
    "standard-attr-revisions": (
        "Resource revision numbers", "This extension will display the revision number of neutron resources."),
    "standard-attr-timestamp": (
        "Resource timestamps", "Adds created_at and updated_at fields to resources with standard attributes."),
    "port-security": ("Port Security", "Provides port security"),
    "allowed-address-pairs": ("Allowed Address Pairs", "Provides allowed address pairs"),
    "standard-attr-tag": (
        "Tag support for resources with standard attribute: subnet, trunk, network, port",
        "Enables to set tag on resources with standard attribute."),
    "tag-creation": (
        "Tag support for resources during creation", "Enables to add tags in bulk (POST) and on resource creation."),
    "revision-if-match": (
        "If-Match constraints based on revision_number",
        "Extension indicating that If-Match based on revision_number is supported."),
}


def extension(alias: str) -> dict[str, Any] | None:
    if alias not in _EXTENSIONS:
        return None
    name, description = _EXTENSIONS[alias]
    return {"name": name, "alias": alias, "description": description, "updated": _UPDATED, "links": []}


def all_extensions() -> list[dict[str, Any]]:
    return [e for e in map(extension, _EXTENSIONS) if e is not None]
