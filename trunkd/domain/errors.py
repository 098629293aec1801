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


class InvalidSubnetServiceType(InvalidInput):
    template = "Subnet service type %(service_type)s does not correspond to a valid device owner."


class InvalidInputSubnetServiceType(InvalidInput):
    template = "Subnet service type %(service_type)s is not a string."


class MalformedRequestBody(BadRequest):
    template = "Malformed request body: %(reason)s."


class NotAuthorized(TrunkdError):
    code = 403
    template = "Not authorized."


class NotAuthenticated(TrunkdError):
    code = 401
    template = "The request you have made requires authentication."


class PolicyNotAuthorized(NotAuthorized):
    template = "rule:%(action)s is disallowed by policy"


class NotFound(TrunkdError):
    code = 404
    template = "The resource could not be found."


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


class PortBound(InUse):
    template = ("Unable to complete operation on port %(port_id)s, port is already bound, port type: "
                "%(vif_type)s, old_mac %(old_mac)s, new_mac %(new_mac)s.")


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


class EventCursorExpired(Gone):
    template = (
        "Event cursor %(after)s is older than the retention window (oldest kept event is "
        "%(oldest)s). Resync: list the resources again, then follow events after %(latest)s."
    )


# -- subnets and addresses ----------------------------------------------------------------
class SubnetNotFound(NotFound):
    template = "Subnet %(subnet_id)s could not be found."


class SubnetInUse(InUse):
    template = "Unable to complete operation on subnet %(subnet_id)s: %(reason)s."

    def __init__(self, **params: Any) -> None:
        params.setdefault("reason", "One or more ports have an IP allocation from this subnet")
        super().__init__(**params)


class InvalidAllocationPool(BadRequest):
    template = "The allocation pool %(pool)s is not valid."


class OutOfBoundsAllocationPool(BadRequest):
    template = "The allocation pool %(pool)s spans beyond the subnet cidr %(subnet_cidr)s."


class OverlappingAllocationPools(Conflict):
    template = "Found overlapping allocation pools: %(pool_1)s %(pool_2)s for subnet %(subnet_cidr)s."


class GatewayConflictWithAllocationPools(InUse):
    template = "Gateway ip %(ip_address)s conflicts with allocation pool %(pool)s."


class DNSNameServersExhausted(BadRequest):
    template = (
        "Unable to complete operation for %(subnet_id)s. "
        "The number of DNS nameservers exceeds the limit %(quota)s."
    )


class HostRoutesExhausted(BadRequest):
    template = (
        "Unable to complete operation for %(subnet_id)s. The number of host routes exceeds the limit %(quota)s."
    )


class IpAddressAlreadyAllocated(Conflict):
    template = "IP address %(ip)s already allocated in subnet %(subnet_id)s"


class IpAddressGenerationFailure(Conflict):
    template = "No more IP addresses available on network %(net_id)s."


class InvalidIpForSubnet(BadRequest):
    template = "IP address %(ip_address)s is not a valid IP for the specified subnet."


class InvalidIpForNetwork(BadRequest):
    template = "IP address %(ip_address)s is not a valid IP for any of the subnets on the specified network."


class AllocationOnAutoAddressSubnet(InvalidInput):
    template = (
        "IPv6 address %(ip)s cannot be directly assigned to a port on subnet %(subnet_id)s as the "
        "subnet is configured for automatic addresses"
    )


class AddressPairAndPortSecurityRequired(Conflict):
    template = "Port Security must be enabled in order to have allowed address pairs on a port."


class DuplicateAddressPairInRequest(InvalidInput):
    template = "Request contains duplicate address pair: mac_address %(mac_address)s ip_address %(ip_address)s."


class AllowedAddressPairsMissingIP(InvalidInput):
    template = "AllowedAddressPair must contain ip_address"


class AllowedAddressPairExhausted(BadRequest):
    template = "The number of allowed address pair exceeds the maximum %(quota)s."


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


class NetworkMTUSubnetConflict(Conflict):
    template = "MTU of %(net_id)s is not valid, subnet requires a minimum of %(mtu)s"


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


# -- agents and status reports -------------------------------------------------------------
class ParentPortNotBound(Conflict):
    template = "Trunk %(trunk_id)s cannot bind subports: its parent port %(port_id)s is not bound to a host."


class StaleStatusReport(Conflict):
    template = (
        "Status report for trunk %(trunk_id)s was computed from revision %(reported)s but the trunk is at "
        "revision %(current)s; resync and report again."
    )


# -- beyond Neutron (opt-in features) ------------------------------------------------------
class SegmentationIdsExhausted(Conflict):
    template = (
        "No free %(segmentation_type)s segmentation_id left in %(low)s-%(high)s on trunk %(trunk_id)s "
        "for %(count)s subport(s) (%(free)s free)."
    )


class SubPortOnParentNetwork(Conflict):
    template = "Subport %(port_id)s is on network %(net_id)s, the network of the trunk's parent port."


class SubPortVlanIsParentVlan(Conflict):
    template = (
        "Subport %(port_id)s uses VLAN %(segmentation_id)s, the VLAN of the parent port's network "
        "%(net_id)s."
    )


class SubPortMacMismatch(Conflict):
    template = (
        "Subport %(port_id)s has MAC %(mac)s but this deployment requires subports to reuse the parent's "
        "MAC %(parent_mac)s."
    )


class SubPortUsedByInstance(Conflict):
    template = (
        "Port %(port_id)s is owned by an instance (device_owner %(device_owner)s); "
        "an instance must be attached to the trunk's parent port, never to a subport."
    )


# -- security groups (neutron.extensions.securitygroup, neutron_lib.exceptions.port_security) --------------
class InvalidCIDR(BadRequest):
    template = "Invalid CIDR %(input)s given as IP prefix."


class OverQuota(Conflict):
    template = "Quota exceeded for resources: %(overs)s."


class SecurityGroupNotFound(NotFound):
    template = "Security group %(id)s does not exist"


class SecurityGroupRuleNotFound(NotFound):
    template = "Security group rule %(id)s does not exist"


class AddressGroupNotFound(NotFound):
    template = "Address group %(address_group_id)s could not be found."


class SecurityGroupInvalidPortRange(InvalidInput):
    template = "For TCP/UDP protocols, port_range_min must be <= port_range_max"


class SecurityGroupInvalidProtocolForPort(InvalidInput):
    template = ("Ports cannot be specified for protocol %(protocol)s. "
                "Ports are only supported for %(valid_port_protocols)s.")


class SecurityGroupInvalidPortValue(InvalidInput):
    template = "Invalid value for port %(port)s"


class SecurityGroupInvalidIcmpValue(InvalidInput):
    template = "Invalid value for ICMP %(field)s (%(attr)s) %(value)s. It must be 0 to 255."


class SecurityGroupEthertypeConflictWithProtocol(InvalidInput):
    template = "Invalid ethertype %(ethertype)s for protocol %(protocol)s."


class SecurityGroupMissingIcmpType(InvalidInput):
    template = "ICMP code (port-range-max) %(value)s is provided but ICMP type (port-range-min) is missing."


class SecurityGroupRuleInvalidProtocol(InvalidInput):
    template = ("Security group rule protocol %(protocol)s not supported. Only protocol values %(values)s "
                "and integer representations [0 to 255] are supported.")


class SecurityGroupRuleInvalidEtherType(InvalidInput):
    template = "Security group rule for ethertype '%(ethertype)s' not supported. Allowed values are %(values)s."


class SecurityGroupRulesNotSingleProject(InvalidInput):
    template = "Multiple project_ids in bulk security group rule create not allowed"


class SecurityGroupNotSingleGroupRules(InvalidInput):
    template = "Only allowed to update rules for one security profile at a time"


class SecurityGroupMultipleRemoteEntites(InvalidInput):
    template = "Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided."


class SecurityGroupProtocolRequiredWithPorts(InvalidInput):
    template = "Must also specify protocol if port range is given."


class SecurityGroupRuleParameterConflict(InvalidInput):
    template = "Conflicting value ethertype %(ethertype)s for CIDR %(cidr)s"


class SecurityGroupInUse(InUse):
    template = "Security Group %(id)s %(reason)s."

    def __init__(self, message: str | None = None, **params: Any) -> None:
        params.setdefault("reason", "in use")
        super().__init__(message, **params)


class SecurityGroupCannotRemoveDefault(InUse):
    template = "Insufficient rights for removing default security group."


class SecurityGroupCannotUpdateDefault(InUse):
    template = "Updating default security group not allowed."


class SecurityGroupDefaultAlreadyExists(InUse):
    template = "Default security group already exists."


class DuplicateSecurityGroupRuleInPost(InUse):
    template = "Duplicate Security Group Rule in POST."


class SecurityGroupRuleExists(InUse):
    template = "Security group rule already exists. Rule id is %(rule_id)s."


class SecurityGroupConflict(Conflict):
    template = "Error %(reason)s while attempting the operation."


class PortSecurityPortHasSecurityGroup(InUse):
    template = ("Port has security group associated. Cannot disable port security or IP address until "
                "security group is removed.")


class PortSecurityAndIPRequiredForSecurityGroups(InvalidInput):
    template = "Port security must be enabled and port must have an IP address in order to use security groups."
