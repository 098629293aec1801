"""Attribute maps of our resources and the API-layer body checks (Neutron's order)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from trunkd.api import http_errors
from trunkd.api import validators as v
from trunkd.domain import errors
from trunkd.domain import security_groups as sg
from trunkd.domain.addressing import IPV6_MODES
from trunkd.domain.context import RequestContext
from trunkd.domain.limits import MAX_BULK
from trunkd.domain.subports import shape_error

_NO_DEFAULT = object()


@dataclass(frozen=True)
class Attr:
    post: bool = False
    put: bool = False
    required: bool = False
    default: Any = _NO_DEFAULT
    check: v.Validator = v.anything
    # query filter converter; None means the attribute is not filterable
    filter: Callable[[str], Any] | None = None
    sort: bool = False

    @property
    def has_default(self) -> bool:
        return self.default is not _NO_DEFAULT


def _text(value: str) -> str:
    return value


def _bool_filter(value: str) -> bool:
    return v.boolean(value)


def _fixed_ip_filter(value: str) -> tuple[str, str]:
    """`fixed_ips=ip_address=A` or `fixed_ips=subnet_id=S`, as Neutron's port list takes them."""
    key, sep, wanted = value.partition("=")
    if not sep or key not in ("ip_address", "subnet_id"):
        raise ValueError(f"'{value}' is not ip_address=<address> or subnet_id=<id>")
    return key, wanted


def _ip_filter(value: str) -> str:
    return v.ip_address(value)


ID = Attr(check=v.uuid, filter=_text, sort=True)
NAME = Attr(post=True, put=True, default="", check=v.name_string(255), filter=_text, sort=True)
DESCRIPTION = Attr(post=True, put=True, default="", check=v.string(255), filter=_text)
ADMIN_STATE = Attr(post=True, put=True, default=True, check=v.boolean, filter=_bool_filter, sort=True)
PROJECT = Attr(post=True, check=v.string(255), filter=_text, sort=True)
STATUS = Attr(filter=_text, sort=True)
REVISION = Attr(filter=v.to_int)
READ_ONLY = Attr()

STANDARD = {
    "id": ID,
    "description": DESCRIPTION,
    "project_id": PROJECT,
    "tenant_id": PROJECT,
    "revision_number": REVISION,
    "created_at": READ_ONLY,
    "updated_at": READ_ONLY,
}

NETWORK: Mapping[str, Attr] = {
    **STANDARD,
    "name": NAME,
    "admin_state_up": ADMIN_STATE,
    "shared": Attr(post=True, put=True, check=v.boolean, filter=_bool_filter, sort=True),
    "mtu": Attr(post=True, put=True, default=0, check=v.mtu, filter=v.to_int, sort=True),
    "status": STATUS,
    "subnets": READ_ONLY,
    "tags": Attr(post=True, check=v.tag_list),
    "provider:network_type": Attr(post=True, check=v.string(32), filter=_text),
    "provider:physical_network": Attr(post=True, check=v.string(64), filter=_text),
    "provider:segmentation_id": Attr(post=True, check=v.to_int, filter=v.to_int),
    "port_security_enabled": Attr(post=True, put=True, default=True, check=v.boolean, filter=_bool_filter),
    "router:external": Attr(post=True, put=True, check=v.boolean, filter=_bool_filter),
}

PORT: Mapping[str, Attr] = {
    **STANDARD,
    "name": NAME,
    "admin_state_up": ADMIN_STATE,
    "network_id": Attr(post=True, required=True, check=v.uuid, filter=_text, sort=True),
    "mac_address": Attr(post=True, put=True, check=v.mac_address, filter=_text, sort=True),
    "fixed_ips": Attr(post=True, put=True, check=v.fixed_ips, filter=_fixed_ip_filter),
    "port_security_enabled": Attr(post=True, put=True, check=v.boolean, filter=_bool_filter),
    "allowed_address_pairs": Attr(post=True, put=True, check=v.allowed_address_pairs),
    "security_groups": Attr(post=True, put=True, check=v.security_groups, filter=_text),
    "device_id": Attr(post=True, put=True, default="", check=v.string(255), filter=_text, sort=True),
    "device_owner": Attr(post=True, put=True, default="", check=v.string(255), filter=_text, sort=True),
    "status": STATUS,
    "tags": Attr(post=True, check=v.tag_list),
    "binding:host_id": Attr(post=True, put=True, check=v.string(255), filter=_text),
    "binding:profile": Attr(post=True, put=True, check=v.binding_profile),
    "binding:vnic_type": Attr(post=True, put=True, default="normal", check=v.vnic_type, filter=_text),
    "binding:vif_type": Attr(filter=_text),
    "binding:vif_details": READ_ONLY,
    "extra_dhcp_opts": Attr(post=True, put=True, check=v.extra_dhcp_opts),
    "trunk_details": READ_ONLY,
}

SUBNET: Mapping[str, Attr] = {
    **STANDARD,
    "name": NAME,
    "network_id": Attr(post=True, required=True, check=v.uuid, filter=_text, sort=True),
    "ip_version": Attr(post=True, required=True, check=v.ip_version, filter=v.ip_version, sort=True),
    "cidr": Attr(post=True, check=v.cidr, filter=v.cidr, sort=True),
    "subnetpool_id": Attr(post=True, check=v.one_of(None)),
    "gateway_ip": Attr(post=True, put=True, check=v.ip_address_or_none, filter=_ip_filter, sort=True),
    "allocation_pools": Attr(post=True, put=True, check=v.ip_pools),
    "dns_nameservers": Attr(post=True, put=True, default=[], check=v.nameservers),
    "host_routes": Attr(post=True, put=True, default=[], check=v.host_routes),
    "enable_dhcp": Attr(post=True, put=True, default=True, check=v.boolean, filter=_bool_filter, sort=True),
    "ipv6_ra_mode": Attr(post=True, default=None, check=v.one_of(*IPV6_MODES, None), filter=_text, sort=True),
    "ipv6_address_mode": Attr(post=True, default=None, check=v.one_of(*IPV6_MODES, None), filter=_text,
                              sort=True),
    "tags": Attr(post=True, check=v.tag_list),
    "service_types": Attr(post=True, put=True, default=[], check=v.service_types),
    "shared": Attr(filter=_bool_filter),
    "router:external": Attr(filter=_bool_filter),
}

TRUNK: Mapping[str, Attr] = {
    **STANDARD,
    "name": NAME,
    "admin_state_up": ADMIN_STATE,
    "port_id": Attr(post=True, required=True, check=v.uuid, filter=_text, sort=True),
    "status": STATUS,
    "status_reason": READ_ONLY,
    "sub_ports": Attr(post=True, default=[], check=v.anything),
    "tags": READ_ONLY,
}

def _name_not_default(value: Any) -> str:
    """Neutron's name_not_default: a string, and never `default` (the project's own group has that name)."""
    name = v.string(255)(value)
    if name.lower() == sg.DEFAULT_NAME:
        raise errors.SecurityGroupDefaultAlreadyExists()
    return name


def _optional_id(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"'{value}' is not a valid string")
    return value


SECURITY_GROUP: Mapping[str, Attr] = {
    **STANDARD,
    "name": Attr(post=True, put=True, default="", check=_name_not_default, filter=_text, sort=True),
    "stateful": Attr(post=True, put=True, default=True, check=v.boolean, filter=_bool_filter),
    "shared": Attr(filter=_bool_filter),
    "security_group_rules": READ_ONLY,
    "tags": Attr(post=True, check=v.tag_list),
}

# in Neutron's attribute order, which is the order conversions run (and so which error a bad rule gets)
SECURITY_GROUP_RULE: Mapping[str, Attr] = {
    "id": ID,
    "security_group_id": Attr(post=True, required=True, check=v.string(36), filter=_text, sort=True),
    "remote_group_id": Attr(post=True, default=None, check=_optional_id, filter=_text, sort=True),
    "direction": Attr(post=True, required=True, check=v.one_of(sg.INGRESS, sg.EGRESS), filter=_text, sort=True),
    "protocol": Attr(post=True, default=None, check=sg.convert_protocol, filter=_text, sort=True),
    "port_range_min": Attr(post=True, default=None, check=sg.convert_port, filter=v.to_int, sort=True),
    "port_range_max": Attr(post=True, default=None, check=sg.convert_port, filter=v.to_int, sort=True),
    "ethertype": Attr(post=True, default=sg.IPV4, check=sg.convert_ethertype, filter=_text, sort=True),
    "remote_ip_prefix": Attr(post=True, default=None, check=sg.convert_ip_prefix, filter=_text, sort=True),
    "project_id": PROJECT,
    "tenant_id": PROJECT,
    "description": Attr(post=True, default="", check=v.string(255), filter=_text),
    "remote_address_group_id": Attr(post=True, default=None, check=_optional_id, filter=_text, sort=True),
    "normalized_cidr": Attr(filter=_text),
    "belongs_to_default_sg": Attr(filter=_bool_filter),
    "revision_number": REVISION,
    "created_at": READ_ONLY,
    "updated_at": READ_ONLY,
}

AGENT: Mapping[str, Attr] = {
    "host": Attr(post=True, required=True, check=v.name_string(255)),
    "agent_type": Attr(post=True, required=True, check=v.name_string(255)),
    "binary": Attr(post=True, required=True, check=v.name_string(255)),
    "topic": Attr(post=True, default="", check=v.string(255)),
    "configurations": Attr(post=True, check=v.mapping),
    "event_cursor": Attr(post=True, check=v.integer(0, 2**62)),
}


def _bad(msg: str) -> http_errors.HTTPBadRequest:
    return http_errors.HTTPBadRequest(msg=msg)


def body_item(body: Any, resource: str) -> dict[str, Any]:
    """The resource object of a body, with the texts of Neutron's prepare_request_body."""
    if not body:
        raise _bad("Resource body required")
    if not isinstance(body, dict):
        raise _bad("Body contains invalid data")
    item = body.get(resource)
    if item is None:
        raise _bad(f"Unable to find '{resource}' in request body")
    if not isinstance(item, dict):
        raise _bad(f"Object '{resource}' contains invalid data")
    return item


def _check_known(item: Mapping[str, Any], attrs: Mapping[str, Attr]) -> None:
    unknown = sorted(k for k in item if k not in attrs)
    if unknown:
        raise _bad(f"Unrecognized attribute(s) '{', '.join(unknown)}'")


def _convert(name: str, attr: Attr, value: Any) -> Any:
    try:
        return attr.check(value)
    except v.ConversionError as exc:
        raise errors.InvalidInput(error_message=str(exc)) from None
    except ValueError as exc:
        raise _bad(f"Invalid input for {name}. Reason: {exc}.") from None


def _project(item: dict[str, Any], ctx: RequestContext) -> str:
    project = item.pop("project_id", None)
    tenant = item.pop("tenant_id", None)
    if project is not None and tenant is not None and project != tenant:
        raise _bad("'project_id' and 'tenant_id' do not match")
    chosen = project if project is not None else tenant
    if chosen is None:
        return ctx.project_id
    if chosen != ctx.project_id and not ctx.is_admin:
        raise _bad(
            "Specifying 'project_id' or 'tenant_id' other than the authenticated project "
            "in request requires admin privileges"
        )
    return chosen


def parse_create_item(item: Any, attrs: Mapping[str, Attr], ctx: RequestContext) -> dict[str, Any]:
    """One resource of a POST body: known keys, required present, values converted, defaults set."""
    if not isinstance(item, dict):
        raise _bad("Body contains invalid data")
    _check_known(item, attrs)
    item = dict(item)
    for name in item:
        if not attrs[name].post:
            raise _bad(f"Attribute '{name}' not allowed in POST")
    for name, attr in attrs.items():
        if attr.required and name not in item:
            raise _bad(f"Failed to parse request. Required attribute '{name}' not specified")
    for name in ("project_id", "tenant_id"):
        if name in item:
            _convert(name, attrs[name], item[name])
    result: dict[str, Any] = {"project_id": _project(item, ctx)}
    for name, attr in attrs.items():
        if name in item:
            result[name] = _convert(name, attr, item[name])
        elif attr.has_default and attr.post:
            result[name] = attr.default
    return result


def parse_create(body: Any, resource: str, collection: str, attrs: Mapping[str, Attr],
                 ctx: RequestContext) -> tuple[list[dict[str, Any]], bool]:
    """A POST body, single (`{resource: …}`) or bulk (`{collection: […]}`). Returns (items, bulk)."""
    if isinstance(body, dict) and collection in body and resource not in body:
        items = body[collection]
        if not items:
            raise _bad("Resources required")
        if not isinstance(items, list) or len(body) != 1:
            raise _bad("Body contains invalid data")
        if len(items) > MAX_BULK:
            raise _bad(f"Bulk request has {len(items)} {collection}; at most {MAX_BULK} are allowed")
        # each item bare or wrapped in {resource: …}, as Neutron takes both
        return [parse_create_item(i[resource] if isinstance(i, dict) and resource in i else i, attrs, ctx)
                for i in items], True
    return [parse_create_item(body_item(body, resource), attrs, ctx)], False


def parse_update(body: Any, resource: str, attrs: Mapping[str, Attr]) -> dict[str, Any]:
    item = body_item(body, resource)
    _check_known(item, attrs)
    for name in item:
        if not attrs[name].put:
            raise _bad(f"Cannot update read-only attribute {name}")
    return {name: _convert(name, attrs[name], value) for name, value in item.items()}


def check_sub_ports(item: dict[str, Any], allocating: bool = False) -> None:
    """Step 2 of trunk create: the sub_ports list shape, every item (before any lookup)."""
    problem = shape_error(item.get("sub_ports", []), allocating=allocating)
    if problem:
        raise _bad(f"Invalid input for sub_ports. Reason: {problem}.")
