"""Security group, rule, default-group and port-binding rows; every read is one statement per kind of row."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, delete, exists, false, func, select

from trunkd.domain.listing import ListQuery
from trunkd.domain.model import SecurityGroup, SecurityGroupRule
from trunkd.store import listing
from trunkd.store.id_lists import in_ids
from trunkd.store.resources import delete_row, insert_row, insert_rows, row_by_id, update_row
from trunkd.store.tables import (
    default_security_groups,
    security_group_port_bindings,
    security_group_rules,
    security_group_tags,
    security_groups,
)
from trunkd.store.tags import TagRepo

groups, rules, bindings, defaults = (security_groups, security_group_rules, security_group_port_bindings,
                                     default_security_groups)

COLUMNS = {
    "id": groups.c.id,
    "name": groups.c.name,
    "description": groups.c.description,
    "stateful": groups.c.stateful,
    "project_id": groups.c.project_id,
    "tenant_id": groups.c.project_id,
    "revision_number": groups.c.revision_number,
}
RULE_COLUMNS = {
    "id": rules.c.id,
    "security_group_id": rules.c.security_group_id,
    "remote_group_id": rules.c.remote_group_id,
    "remote_address_group_id": rules.c.remote_address_group_id,
    "direction": rules.c.direction,
    "ethertype": rules.c.ethertype,
    "protocol": rules.c.protocol,
    "port_range_min": rules.c.port_range_min,
    "port_range_max": rules.c.port_range_max,
    "remote_ip_prefix": rules.c.remote_ip_prefix,
    "description": rules.c.description,
    "project_id": rules.c.project_id,
    "tenant_id": rules.c.project_id,
    "revision_number": rules.c.revision_number,
}
_OWN = groups.c.project_id == bindparam("own_project")
# a rule is seen by the owner of its group (Neutron's sg_owner read rule)
_OWN_RULE = rules.c.security_group_id.in_(select(groups.c.id).where(_OWN).scalar_subquery())


def _never(_values: list[Any]) -> ColumnElement[bool]:
    return false()


def _shared_filter(values: list[Any]) -> ColumnElement[bool]:
    """No group is shared (trunkd has no RBAC): shared=false matches all, shared=true none."""
    return groups.c.id.isnot(None) if False in values else false()


def _default_filter(values: list[Any]) -> ColumnElement[bool]:
    is_default = rules.c.security_group_id.in_(select(defaults.c.security_group_id))
    if True in values and False in values:
        return rules.c.id.isnot(None)
    return is_default if True in values else ~is_default


def _cidr_filter(values: list[Any]) -> ColumnElement[bool]:
    """normalized_cidr is computed: match the prefixes whose network it is (prefix given with host bits or not)."""
    return rules.c.remote_ip_prefix.in_(list(values)) if values else false()


class SecurityGroupRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.tags = TagRepo(conn, security_group_tags)

    # -- groups --------------------------------------------------------------------------------------
    def _hydrate(self, rows: Iterable[Any]) -> list[SecurityGroup]:
        rows = list(rows)
        if not rows:
            return []
        ids = [r.id for r in rows]
        tags = self.tags.of(ids)
        default_ids = self.defaults_among(ids)
        by_group: dict[str, list[SecurityGroupRule]] = defaultdict(list)
        for rule in self.rules_of(ids, owners={r.id: r.project_id for r in rows}, marked=default_ids):
            by_group[rule.security_group_id].append(rule)
        return [SecurityGroup(**r._mapping, tags=tags.get(r.id, []), rules=by_group.get(r.id, []),
                              is_default=r.id in default_ids) for r in rows]

    def get(self, group_id: str, project_id: str | None = None, *, lock: bool = False) -> SecurityGroup | None:
        row = row_by_id(self.conn, groups, group_id, lock=lock, scope=None if project_id is None else _OWN,
                        scope_params={"own_project": project_id})
        return self._hydrate([row])[0] if row is not None else None

    def brief(self, group_ids: Collection[str]) -> dict[str, tuple[str, bool]]:
        """id -> (project_id, stateful) of those of the groups that exist (one query)."""
        if not group_ids:
            return {}
        stmt = select(groups.c.id, groups.c.project_id, groups.c.stateful).where(in_ids(groups.c.id, group_ids))
        return {r.id: (r.project_id, r.stateful) for r in self.conn.execute(stmt)}

    def page(self, query: ListQuery, project_id: str | None) -> list[SecurityGroup]:
        stmt = listing.apply_filters(select(groups), groups, security_group_tags, COLUMNS, query,
                                     {"shared": _shared_filter})
        visible = groups.c.project_id == project_id if project_id is not None else None
        if visible is not None:
            stmt = stmt.where(visible)
        return self._hydrate(listing.paginate(self.conn, stmt, groups, COLUMNS, query, visible))

    def insert(self, group: SecurityGroup) -> None:
        insert_row(self.conn, groups, {k: v for k, v in vars(group).items()
                                       if k not in ("tags", "rules", "is_default")})

    def update(self, group_id: str, values: Mapping[str, object]) -> None:
        update_row(self.conn, groups, group_id, values)

    def delete(self, group_id: str) -> None:
        delete_row(self.conn, groups, group_id)

    def count(self, project_id: str) -> int:
        stmt = select(func.count()).select_from(groups).where(groups.c.project_id == project_id)
        return int(self.conn.execute(stmt).scalar_one())

    # -- each project's default group ----------------------------------------------------------------
    def default_id(self, project_id: str) -> str | None:
        stmt = select(defaults.c.security_group_id).where(defaults.c.project_id == project_id)
        return self.conn.execute(stmt).scalar()

    def defaults_among(self, group_ids: Collection[str]) -> set[str]:
        if not group_ids:
            return set()
        stmt = select(defaults.c.security_group_id).where(in_ids(defaults.c.security_group_id, group_ids))
        return set(self.conn.execute(stmt).scalars())

    def mark_default(self, project_id: str, group_id: str) -> None:
        """The project's default group; a concurrent creator breaks the key and its request is retried."""
        insert_row(self.conn, defaults, {"project_id": project_id, "security_group_id": group_id})

    # -- rules ---------------------------------------------------------------------------------------
    def _rules(self, rows: Sequence[Any]) -> list[SecurityGroupRule]:
        """Rules with what their group tells (its project, whether it is a default group): one more query."""
        group_ids = {r.security_group_id for r in rows}
        owners = {gid: project for gid, (project, _stateful) in self.brief(group_ids).items()}
        default_ids = self.defaults_among(group_ids)
        return [SecurityGroupRule(**r._mapping, belongs_to_default_sg=r.security_group_id in default_ids,
                                  group_project_id=owners.get(r.security_group_id, "")) for r in rows]

    def rules_of(self, group_ids: Collection[str], *, owners: Mapping[str, str] | None = None,
                 marked: set[str] | None = None) -> list[SecurityGroupRule]:
        """The rules of these groups, oldest first (with `owners` and `marked`, the groups' projects and which
        are default groups, as the caller read them: no more reads)."""
        if not group_ids:
            return []
        stmt = (select(rules).where(in_ids(rules.c.security_group_id, group_ids))
                .order_by(rules.c.created_at, rules.c.id))
        rows = self.conn.execute(stmt).all()
        if owners is None or marked is None:
            return self._rules(rows)
        return [SecurityGroupRule(**r._mapping, belongs_to_default_sg=r.security_group_id in marked,
                                  group_project_id=owners.get(r.security_group_id, "")) for r in rows]

    def rules_from(self, group_id: str) -> list[SecurityGroupRule]:
        """Rules of other groups that name this one as their remote group (they go with it)."""
        stmt = select(rules).where(rules.c.remote_group_id == group_id, rules.c.security_group_id != group_id)
        return self._rules(self.conn.execute(stmt).all())

    def get_rule(self, rule_id: str, project_id: str | None = None) -> SecurityGroupRule | None:
        stmt = select(rules).where(rules.c.id == rule_id)
        if project_id is not None:
            stmt = stmt.where(_OWN_RULE)
        rows = self.conn.execute(stmt, {"own_project": project_id}).all()
        return self._rules(rows)[0] if rows else None

    def page_rules(self, query: ListQuery, project_id: str | None) -> list[SecurityGroupRule]:
        special = {"belongs_to_default_sg": _default_filter, "normalized_cidr": _cidr_filter}
        tagless = ListQuery(query.filters, {}, query.sorts, query.limit, query.marker, query.page_reverse)
        stmt = listing.apply_filters(select(rules), rules, security_group_tags, RULE_COLUMNS, tagless, special)
        if query.tag_filters.get("tags") or query.tag_filters.get("tags-any"):
            stmt = stmt.where(_never([]))  # rules carry no tags
        visible = None
        if project_id is not None:
            visible = rules.c.security_group_id.in_(
                select(groups.c.id).where(groups.c.project_id == project_id).scalar_subquery())
            stmt = stmt.where(visible)
        return self._rules(listing.paginate(self.conn, stmt, rules, RULE_COLUMNS, query, visible))

    def insert_rules(self, new: Sequence[SecurityGroupRule]) -> None:
        insert_rows(self.conn, rules, [{k: v for k, v in vars(r).items()
                                        if k not in ("belongs_to_default_sg", "group_project_id")} for r in new])

    def delete_rule(self, rule_id: str) -> None:
        delete_row(self.conn, rules, rule_id)

    def count_rules(self, project_id: str) -> int:
        stmt = select(func.count()).select_from(rules).where(rules.c.project_id == project_id)
        return int(self.conn.execute(stmt).scalar_one())

    # -- ports' groups -------------------------------------------------------------------------------
    def in_use(self, group_id: str) -> bool:
        return bool(self.conn.execute(select(exists().where(bindings.c.security_group_id == group_id))).scalar())

    def of_ports(self, port_ids: Collection[str]) -> dict[str, list[str]]:
        """port id -> its group ids in the order given (one query)."""
        found: dict[str, list[str]] = defaultdict(list)
        if not port_ids:
            return found
        stmt = (select(bindings.c.port_id, bindings.c.security_group_id)
                .where(in_ids(bindings.c.port_id, port_ids)).order_by(bindings.c.port_id, bindings.c.position))
        for row in self.conn.execute(stmt).all():
            found[row.port_id].append(row.security_group_id)
        return found

    def bind(self, port_groups: Mapping[str, Sequence[str]]) -> None:
        """Give each port its groups (one statement for all the ports)."""
        insert_rows(self.conn, bindings, [{"port_id": p, "security_group_id": g, "position": i}
                                          for p, gs in port_groups.items() for i, g in enumerate(gs)])

    def unbind(self, port_id: str) -> None:
        self.conn.execute(delete(bindings).where(bindings.c.port_id == port_id))

    @staticmethod
    def ports_filter(group_ids: list[Any]) -> ColumnElement[bool]:
        """Ports in any of these groups (`GET /v2.0/ports?security_groups=…`)."""
        from trunkd.store.tables import ports
        return ports.c.id.in_(select(bindings.c.port_id).where(in_ids(bindings.c.security_group_id, group_ids)))
