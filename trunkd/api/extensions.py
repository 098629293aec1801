"""The API extensions trunkd really implements."""

from __future__ import annotations

from typing import Any

from trunkd.service.env import Settings

_UPDATED = "2016-01-01T10:00:00-00:00"

# alias -> (name, description)
_EXTENSIONS: dict[str, tuple[str, str]] = {
    "trunk": ("Trunk Extension", "Provides support for trunk ports"),
    "trunk-details": ("Trunk port details", "Expose trunk port details"),
    "binding": ("Port Binding", "Expose port bindings of a virtual port to external application"),
    "provider": ("Provider Network", "Expose mapping of virtual networks to physical networks"),
    "net-mtu": ("Network MTU", "Provides MTU attribute for a network resource."),
    "net-mtu-writable": ("Network MTU (writable)", "Provides a writable MTU attribute for a network resource."),
    "external-net": ("Neutron external network", "Adds external network attribute to network resource."),
    "extra_dhcp_opt": ("Neutron Extra DHCP options", "Extra options configuration for DHCP. For example PXE boot "
                       "options to DHCP clients can be specified (e.g. tftp-server, server-ip-address, "
                       "bootfile-name)"),
    "subnet-service-types": ("Subnet service types", "Provides ability to set the subnet service_types field"),
    "tag-ports-during-bulk-creation": (
        "Tag Ports During Bulk Creation", "Allow to tag ports during bulk creation"),
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
    "security-group": ("security-group", "The security groups extension."),
    "quotas": ("Quota management support", "Expose functions for quotas management per project"),
    "stateful-security-group": ("Stateful security group", "Indicates if the security group is stateful or not"),
    "security-groups-normalized-cidr": ("Normalized CIDR field for security group rules",
                                        "Add new field with normalized remote_ip_prefix cidr in SG rule"),
    "port-security-groups-filtering": ("Port filtering on security groups",
                                       "Provides security groups filtering when listing ports"),
    "security-groups-rules-belongs-to-default-sg": (
        "Security group rule belongs to the project's default security group",
        "Flag to determine if the security group rule belongs to the project's default security group"),
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


# Beyond Neutron (issue 13): listed always, or only when the deployment turned the feature on.
_BEYOND_UPDATED = "2026-11-22T00:00:00-00:00"
_BEYOND: dict[str, tuple[str, str]] = {
    "subport-desired-state": (
        "Desired-state subports",
        "PUT /v2.0/trunks/{id}/sub_ports with the complete list applies only the difference; "
        "?idempotent=true on add_subports/remove_subports skips identical or absent entries."),
    "dry-run": ("Dry run", "?dry_run=true on trunk create, add_subports, remove_subports and sub_ports: "
                "full validation and the would-be result, no write, no event."),
    "port-delete-cascade": ("Port delete cascade", "DELETE /v2.0/ports/{id}?cascade=trunk deletes a parent port "
                            "with its trunk, or a subport port with its membership, in one transaction."),
    "subport-status": ("Per-subport status", "?subport_status=true adds status and status_reason to each "
                       "subport (trunks, get_subports, trunk_details), as reported by the agents."),
    "metrics": ("Prometheus metrics", "GET /metrics in the Prometheus text format."),
    "operator-ui": ("Operator page", "GET /ui: a read-only page for admins, live from the event feed."),
}
_OPTIONAL: dict[str, tuple[str, str]] = {
    "segmentation-id-allocation": (
        "Segmentation ID allocation", "A subport given without segmentation_id gets a free VLAN of its trunk."),
    "trunk-guard-rails": ("Trunk guard rails", "Subport rules this deployment enforces: %s."),
}


def _entry(alias: str, name: str, description: str, updated: str) -> dict[str, Any]:
    return {"name": name, "alias": alias, "description": description, "updated": updated, "links": []}


def _enabled(settings: Settings) -> dict[str, dict[str, Any]]:
    found = {a: _entry(a, n, d, _UPDATED) for a, (n, d) in _EXTENSIONS.items()}
    found.update({a: _entry(a, n, d, _BEYOND_UPDATED) for a, (n, d) in _BEYOND.items()})
    if settings.allocator is not None:
        name, description = _OPTIONAL["segmentation-id-allocation"]
        policy = f" Policy {settings.allocator.policy}, range {settings.allocator.low}-{settings.allocator.high}."
        found["segmentation-id-allocation"] = _entry("segmentation-id-allocation", name, description + policy,
                                                     _BEYOND_UPDATED)
    if settings.guard_rails:
        name, description = _OPTIONAL["trunk-guard-rails"]
        found["trunk-guard-rails"] = _entry("trunk-guard-rails", name,
                                            description % ", ".join(sorted(settings.guard_rails)), _BEYOND_UPDATED)
    return found


def extension(alias: str, settings: Settings) -> dict[str, Any] | None:
    return _enabled(settings).get(alias)


def all_extensions(settings: Settings) -> list[dict[str, Any]]:
    return list(_enabled(settings).values())
