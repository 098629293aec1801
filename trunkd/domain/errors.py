"""Typed errors: each carries its Neutron type name and HTTP status."""

from __future__ import annotations

from typing import Any


class TrunkdError(Exception):
    """Base: the class name is the NeutronError `type` on the wire."""

    code = 500
    template = "An unknown exception occurred."

    def __init__(self, message: str | None = None, **params: Any) -> None:
        self.params = params
        self.message = message if message is not None else self.template % params
        super().__init__(self.message)

    @property
    def type_name(self) -> str:
        return type(self).__name__


# -- generic bases (Neutron's neutron_lib / webob names) -----------------------------------
class BadRequest(TrunkdError):
    code = 400
    template = "Bad %(resource)s request: %(msg)s."


class InvalidInput(BadRequest):
    template = "Invalid input for operation: %(error_message)s."


class HTTPBadRequest(BadRequest):
    """API-layer validation failure (body shape, attributes, query parameters)."""

    template = "%(msg)s"


class MalformedRequestBody(BadRequest):
    template = "Malformed request body: %(reason)s."


class NotAuthorized(TrunkdError):
    code = 403
    template = "Not authorized."


class PolicyNotAuthorized(NotAuthorized):
    template = "rule:%(action)s is disallowed by policy"


class NotFound(TrunkdError):
    code = 404
    template = "The resource could not be found."


class HTTPNotFound(NotFound):
    pass


class HTTPMethodNotAllowed(TrunkdError):
    """webob's name and text, as Neutron's pecan controllers answer a wrong method."""

    code = 405
    template = (
        "The server could not comply with the request since it is either malformed or otherwise incorrect."
    )


class Conflict(TrunkdError):
    code = 409
    template = "A conflict occurred."


class InUse(Conflict):
    template = "The resource is in use."


class Gone(TrunkdError):
    code = 410
    template = "The resource is gone."


class PreconditionFailed(TrunkdError):
    code = 412
    template = "Precondition failed."


class ServiceUnavailable(TrunkdError):
    code = 503
    template = "The service is unavailable."


# -- core resources ------------------------------------------------------------------------
class NetworkNotFound(NotFound):
    template = "Network %(net_id)s could not be found."


class PortNotFound(NotFound):
    template = "Port %(port_id)s could not be found."


class AgentNotFound(NotFound):
    template = "Agent %(id)s could not be found."


class TagNotFound(NotFound):
    template = "Tag %(tag)s could not be found."


class NetworkInUse(InUse):
    template = (
        "Unable to complete operation on network %(net_id)s. "
        "There are one or more ports still in use on the network."
    )


class PortInUse(InUse):
    template = (
        "Unable to complete operation on port %(port_id)s for network %(net_id)s. "
        "Port already has an attached device %(device_id)s."
    )


class MacAddressInUse(InUse):
    template = (
        "Unable to complete operation for network %(net_id)s. The mac address %(mac)s is in use."
    )


class VlanIdInUse(InUse):
    template = (
        "Unable to create the network. The VLAN %(vlan_id)s on physical network %(physical_network)s is in use."
    )


class TunnelIdInUse(InUse):
    template = "Unable to create the network. The tunnel ID %(tunnel_id)s is in use."


class FlatNetworkInUse(InUse):
    template = "Unable to create the flat network. Physical network %(physical_network)s is in use."


class NoNetworkAvailable(ServiceUnavailable):
    template = "Unable to create the network. No project network is available for allocation."


class RevisionNumberConstraintFailed(PreconditionFailed):
    template = "Constrained to %(expected)s, but current revision is %(current)s"


class OverQuota(Conflict):
    template = "Quota exceeded for resources: %(overs)s."


class EventCursorExpired(Gone):
    template = (
        "Event cursor %(after)s is older than the retention window (oldest kept event is "
        "%(oldest)s). Resync: list the resources again, then follow events after %(latest)s."
    )


# -- trunks --------------------------------------------------------------------------------
class TrunkNotFound(NotFound):
    template = "Trunk %(trunk_id)s could not be found."


class SubPortNotFound(NotFound):
    template = "SubPort %(port_id)s on trunk %(trunk_id)s could not be found."


class TrunkPortInUse(InUse):
    template = "Port %(port_id)s is in use by another trunk."


class DuplicateSubPort(InUse):
    template = (
        "segmentation_type %(segmentation_type)s and segmentation_id %(segmentation_id)s "
        "already in use on trunk %(trunk_id)s."
    )


class ParentPortInUse(InUse):
    template = "Port %(port_id)s is currently in use and is not eligible for use as a parent port."


class SubPortMtuGreaterThanTrunkPortMtu(Conflict):
    template = (
        "MTU %(port_mtu)s of subport %(port_id)s cannot be greater than MTU %(trunk_mtu)s "
        "of trunk %(trunk_id)s."
    )


class PortInUseAsTrunkParent(InUse):
    template = "Port %(port_id)s is currently a parent port for trunk %(trunk_id)s."


class PortInUseAsSubPort(InUse):
    template = "Port %(port_id)s is currently a subport for trunk %(trunk_id)s."


class TrunkInUse(InUse):
    template = "Trunk %(trunk_id)s is currently in use."


class TrunkDisabled(Conflict):
    template = "Trunk %(trunk_id)s is currently disabled."


class TrunkInErrorState(Conflict):
    template = (
        "Trunk %(trunk_id)s is in error state. "
        "Attempt to resolve the error condition before proceeding."
    )


class TrunkPluginDriverConflict(Conflict):
    template = (
        "A misconfiguration in the environment prevents the operation from completing, "
        "please, contact the admin."
    )


class InvalidStatusTransition(Conflict):
    template = "Trunk %(trunk_id)s cannot go from %(current)s to %(target)s."


# -- start-up (never on the wire) ----------------------------------------------------------
class StartupCheckFailed(TrunkdError):
    """A start-up check failed; the message is the one line the operator sees."""

    template = "%(msg)s"


class ParentPortNotBound(Conflict):
    template = "Trunk %(trunk_id)s cannot bind subports: its parent port %(port_id)s is not bound to a host."


class StaleStatusReport(Conflict):
    template = (
        "Status report for trunk %(trunk_id)s was computed from revision %(reported)s but the trunk is at "
        "revision %(current)s; resync and report again."
    )
