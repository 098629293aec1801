"""SQLAlchemy Core tables. Constraints here are the last word on every race."""

from __future__ import annotations

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    event,
    func,
)
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.dialects import mysql

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = String(36)
# microseconds on MariaDB too (its DATETIME keeps whole seconds): listings order by creation time
TIMESTAMP = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")

def _standard_attributes() -> list[Column]:
    """Neutron's standard attributes, inline on each resource table."""
    return [
        Column("description", String(255), nullable=False, server_default=""),
        Column("revision_number", BigInteger, nullable=False, server_default="0"),
        Column("created_at", TIMESTAMP, nullable=False),
        Column("updated_at", TIMESTAMP, nullable=False),
    ]

def _tags_table(resource: str, parent: Table) -> Table:
    return Table(
        f"{resource}_tags",
        metadata,
        Column(
            "resource_id", ID, ForeignKey(parent.c.id, ondelete="CASCADE"), primary_key=True
        ),
        Column("tag", String(255), primary_key=True),
    )

networks = Table(
    "networks",
    metadata,
    Column("id", ID, primary_key=True),
    Column("project_id", String(255), nullable=False, index=True),
    Column("name", String(255), nullable=False, server_default=""),
    Column("admin_state_up", Boolean, nullable=False),
    Column("shared", Boolean, nullable=False),
    Column("mtu", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("network_type", String(32), nullable=True),
    Column("physical_network", String(64), nullable=True),
    Column("segmentation_id", Integer, nullable=True),
    *_standard_attributes(),
    Column("port_security_enabled", Boolean, nullable=False, server_default=sa_true()),
    Column("router_external", Boolean, nullable=False, server_default=sa_false()),
)
# one segment per (type, physnet, id): closes the allocation race for vlan and vxlan ids
Index(
    "uq_networks_segment",
    networks.c.network_type,
    func.coalesce(networks.c.physical_network, ""),
    networks.c.segmentation_id,
    unique=True,
).ddl_if(dialect=("sqlite", "postgresql"))  # type: ignore[arg-type]  # a tuple works (documented)
# one flat network per physical network (Neutron's FlatNetworkInUse); flat networks have no id
Index(
    "uq_networks_flat_physnet",
    networks.c.physical_network,
    unique=True,
    sqlite_where=networks.c.network_type == "flat",
    postgresql_where=networks.c.network_type == "flat",
).ddl_if(dialect=("sqlite", "postgresql"))  # type: ignore[arg-type]  # a tuple works (documented)
# MariaDB indexes neither expressions nor a part of the rows: the same two indexes on virtual columns
# (invisible to trunkd's queries, which name their columns)
for _ddl in (
    "ALTER TABLE networks ADD COLUMN segment_physnet VARCHAR(64) AS (coalesce(physical_network, '')) VIRTUAL",
    "CREATE UNIQUE INDEX uq_networks_segment ON networks (network_type, segment_physnet, segmentation_id)",
    "ALTER TABLE networks ADD COLUMN flat_physnet VARCHAR(64) "
    "AS (IF(network_type = 'flat', physical_network, NULL)) VIRTUAL",
    "CREATE UNIQUE INDEX uq_networks_flat_physnet ON networks (flat_physnet)",
):
    event.listen(networks, "after_create", DDL(_ddl).execute_if(dialect="mysql"))

ports = Table(
    "ports",
    metadata,
    Column("id", ID, primary_key=True),
    Column("project_id", String(255), nullable=False, index=True),
    Column("network_id", ID, ForeignKey(networks.c.id), nullable=False, index=True),
    Column("name", String(255), nullable=False, server_default=""),
    Column("admin_state_up", Boolean, nullable=False),
    Column("mac_address", String(32), nullable=False),
    Column("device_id", String(255), nullable=False, server_default=""),
    Column("device_owner", String(255), nullable=False, server_default=""),
    Column("status", String(16), nullable=False),
    Column("host_id", String(255), nullable=False, server_default="", index=True),
    Column("vif_type", String(64), nullable=False),
    Column("vif_details", JSON, nullable=False),
    Column("profile", JSON, nullable=False),
    Column("vnic_type", String(64), nullable=False),
    *_standard_attributes(),
    Column("port_security_enabled", Boolean, nullable=False, server_default=sa_true()),
    Column("allowed_address_pairs", JSON, nullable=False, server_default="[]"),
    Column("extra_dhcp_opts", JSON, nullable=False, server_default="[]"),
    UniqueConstraint("network_id", "mac_address"),
)

# A port's role in trunking. port_id is the key, so a port is a parent or a subport, never
# both; trunks and subports point at (port_id, role) with the role fixed by a CHECK.
port_claims = Table(
    "port_claims",
    metadata,
    Column("port_id", ID, ForeignKey(ports.c.id), primary_key=True),
    Column("role", String(16), nullable=False),
    CheckConstraint("role IN ('parent', 'subport')", name="role"),
    UniqueConstraint("port_id", "role"),
)

trunks = Table(
    "trunks",
    metadata,
    Column("id", ID, primary_key=True),
    Column("project_id", String(255), nullable=False, index=True),
    Column("name", String(255), nullable=False, server_default=""),
    Column("admin_state_up", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("status_reason", String(1024), nullable=False, server_default=""),
    Column("port_id", ID, nullable=False, unique=True),
    Column("port_role", String(16), nullable=False, server_default="parent"),
    *_standard_attributes(),
    CheckConstraint("port_role = 'parent'", name="port_role"),
    ForeignKeyConstraint(["port_id", "port_role"], [port_claims.c.port_id, port_claims.c.role]),
)

subports = Table(
    "subports",
    metadata,
    Column("port_id", ID, primary_key=True),
    Column("port_role", String(16), nullable=False, server_default="subport"),
    Column("trunk_id", ID, ForeignKey(trunks.c.id, ondelete="CASCADE"), nullable=False),
    Column("segmentation_type", String(32), nullable=False),
    Column("segmentation_id", Integer, nullable=False),
    # as the agent reported it: ACTIVE, DOWN (not wired, e.g. no instance) or ERROR, with why
    Column("status", String(16), nullable=False, server_default="DOWN"),
    Column("status_reason", String(1024), nullable=False, server_default=""),
    CheckConstraint("port_role = 'subport'", name="port_role"),
    ForeignKeyConstraint(["port_id", "port_role"], [port_claims.c.port_id, port_claims.c.role]),
    UniqueConstraint(
        "trunk_id",
        "segmentation_type",
        "segmentation_id",
        name="uniq_subport0trunk_id0segmentation_type0segmentation_id",
    ),
)

subnets = Table(
    "subnets",
    metadata,
    Column("id", ID, primary_key=True),
    Column("project_id", String(255), nullable=False, index=True),
    Column("network_id", ID, ForeignKey(networks.c.id, ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(255), nullable=False, server_default=""),
    Column("ip_version", Integer, nullable=False),
    Column("cidr", String(64), nullable=False),
    Column("gateway_ip", String(64), nullable=True),
    Column("enable_dhcp", Boolean, nullable=False),
    Column("ipv6_ra_mode", String(16), nullable=True),
    Column("ipv6_address_mode", String(16), nullable=True),
    Column("allocation_pools", JSON, nullable=False),
    Column("dns_nameservers", JSON, nullable=False),
    Column("host_routes", JSON, nullable=False),
    *_standard_attributes(),
    Column("service_types", JSON, nullable=False, server_default="[]"),
)

# One row per address a port holds. (subnet_id, ip_address) is the key, so an address is
# never handed out twice however requests race; `ip_offset` (address minus the subnet's network
# address, NULL past 2**63) lets the allocator find free addresses with one query.
ip_allocations = Table(
    "ip_allocations",
    metadata,
    Column("subnet_id", ID, ForeignKey(subnets.c.id), primary_key=True),
    Column("ip_address", String(64), primary_key=True),
    Column("port_id", ID, ForeignKey(ports.c.id, ondelete="CASCADE"), nullable=False, index=True),
    Column("ip_offset", BigInteger, nullable=True),
)
Index("ix_ip_allocations_subnet_offset", ip_allocations.c.subnet_id, ip_allocations.c.ip_offset)

security_groups = Table(
    "security_groups",
    metadata,
    Column("id", ID, primary_key=True),
    Column("project_id", String(255), nullable=False, index=True),
    Column("name", String(255), nullable=False, server_default=""),
    Column("stateful", Boolean, nullable=False, server_default=sa_true()),
    *_standard_attributes(),
)

# Each project's default group: project_id is the key, so two requests racing to create it cannot both win.
default_security_groups = Table(
    "default_security_groups",
    metadata,
    Column("project_id", String(255), primary_key=True),
    Column("security_group_id", ID, ForeignKey(security_groups.c.id, ondelete="CASCADE"), nullable=False,
           unique=True),
)

security_group_rules = Table(
    "security_group_rules",
    metadata,
    Column("id", ID, primary_key=True),
    Column("project_id", String(255), nullable=False, index=True),
    Column("security_group_id", ID, ForeignKey(security_groups.c.id, ondelete="CASCADE"), nullable=False,
           index=True),
    Column("remote_group_id", ID, ForeignKey(security_groups.c.id, ondelete="CASCADE"), nullable=True,
           index=True),
    Column("remote_address_group_id", ID, nullable=True),
    Column("direction", String(16), nullable=False),
    Column("ethertype", String(40), nullable=False),
    Column("protocol", String(40), nullable=True),
    Column("port_range_min", Integer, nullable=True),
    Column("port_range_max", Integer, nullable=True),
    Column("remote_ip_prefix", String(255), nullable=True),
    *_standard_attributes(),
)

# A port's groups, in the order given. A group in use cannot go (no cascade from the group side).
security_group_port_bindings = Table(
    "security_group_port_bindings",
    metadata,
    Column("port_id", ID, ForeignKey(ports.c.id, ondelete="CASCADE"), primary_key=True),
    Column("security_group_id", ID, ForeignKey(security_groups.c.id), primary_key=True, index=True),
    Column("position", Integer, nullable=False, server_default="0"),
)

# Per-project quota limits that differ from the defaults (-1: unlimited).
quotas = Table(
    "quotas",
    metadata,
    Column("project_id", String(255), primary_key=True),
    Column("resource", String(255), primary_key=True),
    Column("limit", Integer, nullable=False),
)

network_tags = _tags_table("network", networks)
subnet_tags = _tags_table("subnet", subnets)
port_tags = _tags_table("port", ports)
trunk_tags = _tags_table("trunk", trunks)
security_group_tags = _tags_table("security_group", security_groups)

agents = Table(
    "agents",
    metadata,
    Column("id", ID, primary_key=True),
    Column("host", String(255), nullable=False),
    Column("agent_type", String(255), nullable=False),
    Column("binary", String(255), nullable=False),
    Column("topic", String(255), nullable=False, server_default=""),
    Column("admin_state_up", Boolean, nullable=False),
    Column("configurations", JSON, nullable=False),
    Column("event_cursor", BigInteger, nullable=True),
    Column("created_at", TIMESTAMP, nullable=False),
    Column("started_at", TIMESTAMP, nullable=False),
    Column("heartbeat_at", TIMESTAMP, nullable=False),
    Column("lost_reported", Boolean, nullable=False, server_default="0"),
    UniqueConstraint("agent_type", "host"),
)

# Events written in the same transaction as the change they describe.
outbox = Table(
    "outbox",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("created_at", TIMESTAMP, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("resource_type", String(32), nullable=False, index=True),
    Column("resource_id", ID, nullable=False),
    Column("project_id", String(255), nullable=True),
    Column("host", String(255), nullable=True, index=True),
    Column("request_id", String(64), nullable=False, server_default=""),
    Column("payload", JSON, nullable=False),
    sqlite_autoincrement=True,
)

# Durable cursors of in-server consumers (the driver dispatcher).
consumer_cursors = Table(
    "consumer_cursors",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("updated_at", TIMESTAMP, nullable=False),
)

TAG_TABLES = {"networks": network_tags, "ports": port_tags, "trunks": trunk_tags, "subnets": subnet_tags,
              "security_groups": security_group_tags}


# MariaDB/MySQL: InnoDB (transactions, row locks, foreign keys), four-byte UTF-8, and binary comparison
# so names, tags and filters compare as on PostgreSQL and SQLite (the server default is case-blind)
for _table in metadata.tables.values():
    _table.dialect_kwargs.update(mysql_engine="InnoDB", mysql_charset="utf8mb4", mysql_collate="utf8mb4_bin")
