"""Security group and rule use cases, each project's default group, and a port's groups."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection, Mapping
from typing import Any

from trunkd.domain import errors, events, quotas
from trunkd.domain import security_groups as sg
from trunkd.domain.context import RequestContext
from trunkd.domain.listing import ListQuery
from trunkd.domain.model import SecurityGroup, SecurityGroupRule
from trunkd.service.common import check_revision, readable, real_changes
from trunkd.service.env import Env, scope
from trunkd.store.clock import now
from trunkd.store.uow import UnitOfWork


def group_target(group: SecurityGroup) -> dict[str, Any]:
    return {"project_id": group.project_id, "shared": False}


def rule_target(rule: SecurityGroupRule) -> dict[str, Any]:
    return {"project_id": rule.project_id, "security_group:project_id": rule.group_project_id,
            "belongs_to_default_sg": rule.belongs_to_default_sg}


def visible_group(uow: UnitOfWork, ctx: RequestContext, group_id: str, *, lock: bool = False) -> SecurityGroup:
    group = uow.security_groups.get(group_id, scope(ctx), lock=lock)
    if group is None:
        raise errors.SecurityGroupNotFound(id=group_id)
    return group


def _new_rules(project_id: str, specs: list[dict[str, Any]], stamp: Any) -> list[SecurityGroupRule]:
    return [SecurityGroupRule(id=str(uuid.uuid4()), project_id=project_id, description=s.get("description", ""),
                              revision_number=0, created_at=stamp, updated_at=stamp, group_project_id=project_id,
                              **{k: s[k] for k in ("security_group_id", "direction", "ethertype", "protocol",
                                                   "port_range_min", "port_range_max", "remote_ip_prefix",
                                                   "remote_group_id", "remote_address_group_id")})
            for s in specs]


def _insert_group(uow: UnitOfWork, project_id: str, name: str, description: str, stateful: bool,
                  tags: list[str], default: bool) -> SecurityGroup:
    stamp = now()
    group = SecurityGroup(id=str(uuid.uuid4()), project_id=project_id, name=name, description=description,
                          stateful=stateful, revision_number=0, created_at=stamp, updated_at=stamp, tags=tags,
                          is_default=default)
    uow.security_groups.insert(group)
    if default:
        uow.security_groups.mark_default(project_id, group.id)
    group.rules = _new_rules(project_id, sg.template_rules(group.id, default), stamp)
    for rule in group.rules:
        rule.belongs_to_default_sg = default
    uow.security_groups.insert_rules(group.rules)
    uow.security_groups.tags.add(group.id, tags)
    uow.record(events.security_group_event(events.SECURITY_GROUP_CREATED, group))
    return group


def ensure_default(env: Env, uow: UnitOfWork, ctx: RequestContext, project_id: str) -> str | None:
    """The project's default group, created (with Neutron's default rules) on first need; None where the
    caller may not create it. Two requests racing to create it: the key on default_security_groups lets one
    win, the other's transaction is retried and finds the winner's group."""
    if not project_id or not env.policy.allowed(ctx, "create_default_security_group", {"project_id": project_id}):
        return None
    found = uow.security_groups.default_id(project_id)
    if found is not None:
        return found
    return _insert_group(uow, project_id, sg.DEFAULT_NAME, sg.DEFAULT_DESCRIPTION, True, [], True).id


def _ensure_default_outside(env: Env, ctx: RequestContext, project_id: str) -> None:
    """Before a listing: create the default group in its own transaction if it is missing."""
    if not project_id or not env.policy.allowed(ctx, "create_default_security_group", {"project_id": project_id}):
        return
    with env.db.read() as uow:
        if uow.security_groups.default_id(project_id) is not None:
            return
    env.db.transact(lambda uow: ensure_default(env, uow, ctx, project_id), ctx.request_id)


def _listed_project(ctx: RequestContext, query: ListQuery) -> str:
    wanted = query.filters.get("project_id") or query.filters.get("tenant_id")
    return str(wanted[0]) if wanted else ctx.project_id


def _check_quota(uow: UnitOfWork, project_id: str, groups: int = 0, rules: int = 0) -> None:
    """The project's limits (its own or the defaults) against what it holds and what the request adds."""
    limits = {**quotas.DEFAULTS, **uow.quotas.of(project_id)}
    if groups and quotas.exceeded(limits["security_group"], uow.security_groups.count(project_id), groups):
        raise errors.OverQuota(overs=["security_group"])
    if rules and quotas.exceeded(limits["security_group_rule"], uow.security_groups.count_rules(project_id), rules):
        raise errors.OverQuota(overs=["security_group_rule"])


# -- groups -----------------------------------------------------------------------------------------------
def create_groups(env: Env, ctx: RequestContext, items: list[dict[str, Any]]) -> list[SecurityGroup]:
    """Create one or more groups, all or nothing; each starts with the egress rules of Neutron's template."""
    for attrs in items:
        env.policy.enforce(ctx, "create_security_group", {"project_id": attrs["project_id"]})
        if attrs.get("tags"):
            env.policy.enforce(ctx, "create_security_group:tags", {"project_id": attrs["project_id"]})

    def work(uow: UnitOfWork) -> list[SecurityGroup]:
        per_project = Counter(a["project_id"] for a in items)
        for project_id, count in per_project.items():
            ensure_default(env, uow, ctx, project_id)
            _check_quota(uow, project_id, groups=count, rules=2 * count)
        return [_insert_group(uow, a["project_id"], a["name"], a["description"], a["stateful"],
                              a.get("tags", []), False) for a in items]

    return env.db.transact(work, ctx.request_id)


def get_group(env: Env, ctx: RequestContext, group_id: str) -> SecurityGroup:
    with env.db.read() as uow:
        group = visible_group(uow, ctx, group_id)
    env.policy.enforce(ctx, "get_security_group", group_target(group))
    return _readable_rules(env, ctx, group)


def _readable_rules(env: Env, ctx: RequestContext, group: SecurityGroup) -> SecurityGroup:
    group.rules = readable(env, ctx, "get_security_group_rule", group.rules, rule_target)
    return group


def list_groups(env: Env, ctx: RequestContext, query: ListQuery) -> list[SecurityGroup]:
    _ensure_default_outside(env, ctx, _listed_project(ctx, query))
    with env.db.read() as uow:
        found = uow.security_groups.page(query, scope(ctx))
    return [_readable_rules(env, ctx, g) for g in readable(env, ctx, "get_security_group", found, group_target)]


def update_group(env: Env, ctx: RequestContext, group_id: str, attrs: dict[str, Any],
                 if_match: int | None) -> SecurityGroup:
    def work(uow: UnitOfWork) -> SecurityGroup:
        group = visible_group(uow, ctx, group_id, lock=True)
        env.policy.enforce(ctx, "update_security_group", group_target(group))
        check_revision(if_match, group.revision_number)
        if "stateful" in attrs and attrs["stateful"] != group.stateful and uow.security_groups.in_use(group_id):
            raise errors.SecurityGroupInUse(id=group_id)
        if group.name == sg.DEFAULT_NAME and "name" in attrs:
            raise errors.SecurityGroupCannotUpdateDefault()
        changes = real_changes(group, attrs)
        if not changes:
            return group
        uow.security_groups.update(group_id, changes)
        updated = visible_group(uow, ctx, group_id)
        uow.record(events.security_group_event(events.SECURITY_GROUP_UPDATED, updated, group))
        return updated

    return _readable_rules(env, ctx, env.db.transact(work, ctx.request_id))


def delete_group(env: Env, ctx: RequestContext, group_id: str, if_match: int | None) -> None:
    def work(uow: UnitOfWork) -> None:
        group = visible_group(uow, ctx, group_id, lock=True)
        env.policy.enforce(ctx, "delete_security_group", group_target(group))
        check_revision(if_match, group.revision_number)
        if uow.security_groups.in_use(group_id):
            raise errors.SecurityGroupInUse(id=group_id)
        if group.name == sg.DEFAULT_NAME and not ctx.is_admin:
            raise errors.SecurityGroupCannotRemoveDefault()
        # rules of other groups naming it as their remote group go with it (a cascade): say so
        for rule in uow.security_groups.rules_from(group_id):
            uow.record(events.security_group_rule_event(events.SECURITY_GROUP_RULE_DELETED, rule))
        uow.security_groups.delete(group_id)
        uow.record(events.security_group_event(events.SECURITY_GROUP_DELETED, group, group))

    env.db.transact(work, ctx.request_id)


# -- rules ------------------------------------------------------------------------------------------------
def _single_group_and_project(items: list[dict[str, Any]]) -> None:
    groups: set[str] = set()
    projects: set[str] = set()
    for rule in items:
        groups.add(rule["security_group_id"])
        if len(groups) > 1:
            raise errors.SecurityGroupNotSingleGroupRules()
        projects.add(rule["project_id"])
        if len(projects) > 1:
            raise errors.SecurityGroupRulesNotSingleProject()


def _group_for(uow: UnitOfWork, ctx: RequestContext, group_id: str, project_id: str) -> SecurityGroup | None:
    """The group as the rule's project sees it (an admin sees every group)."""
    return uow.security_groups.get(group_id, None if ctx.sees_all() else project_id)


def create_rules(env: Env, ctx: RequestContext, items: list[dict[str, Any]], bulk: bool) -> list[SecurityGroupRule]:
    """Create rules in one group, all or nothing, in Neutron's order: the group (its owner's policy), each
    rule's own checks, its remote group, then duplicates and the quota."""
    if bulk:
        _single_group_and_project(items)

    def work(uow: UnitOfWork) -> list[SecurityGroupRule]:
        group_id, project_id = items[0]["security_group_id"], items[0]["project_id"]
        ensure_default(env, uow, ctx, project_id)
        checked = []
        for attrs in items:
            group = _group_for(uow, ctx, attrs["security_group_id"], attrs["project_id"])
            if group is None:
                raise errors.SecurityGroupNotFound(id=attrs["security_group_id"])
            env.policy.enforce(ctx, "create_security_group_rule",
                               {"project_id": attrs["project_id"], "security_group:project_id": group.project_id})
            spec = sg.check_rule(attrs)
            remote = spec.get("remote_group_id")
            if remote and _group_for(uow, ctx, remote, attrs["project_id"]) is None:
                raise errors.SecurityGroupNotFound(id=remote)
            if spec.get("remote_address_group_id"):
                raise errors.AddressGroupNotFound(address_group_id=spec["remote_address_group_id"])
            checked.append(spec)
        group = uow.security_groups.get(group_id, lock=True)
        assert group is not None
        sg.find_duplicates(checked, [{**vars(r)} for r in group.rules])
        _check_quota(uow, project_id, rules=len(checked))
        made = _new_rules(project_id, checked, now())
        for rule in made:
            rule.group_project_id, rule.belongs_to_default_sg = group.project_id, group.is_default
        uow.security_groups.insert_rules(made)
        uow.security_groups.update(group_id, {})  # a rule change is a change of its group (revision_number)
        for rule in made:
            uow.record(events.security_group_rule_event(events.SECURITY_GROUP_RULE_CREATED, rule))
        return made

    return env.db.transact(work, ctx.request_id)


def _visible_rule(uow: UnitOfWork, ctx: RequestContext, rule_id: str) -> SecurityGroupRule:
    rule = uow.security_groups.get_rule(rule_id, scope(ctx))
    if rule is None:
        raise errors.SecurityGroupRuleNotFound(id=rule_id)
    return rule


def get_rule(env: Env, ctx: RequestContext, rule_id: str) -> SecurityGroupRule:
    with env.db.read() as uow:
        rule = _visible_rule(uow, ctx, rule_id)
    if not env.policy.allowed(ctx, "get_security_group_rule", rule_target(rule)):
        raise errors.SecurityGroupRuleNotFound(id=rule_id)
    return rule


def list_rules(env: Env, ctx: RequestContext, query: ListQuery) -> list[SecurityGroupRule]:
    _ensure_default_outside(env, ctx, _listed_project(ctx, query))
    with env.db.read() as uow:
        found = uow.security_groups.page_rules(query, scope(ctx))
    return readable(env, ctx, "get_security_group_rule", found, rule_target)


def delete_rule(env: Env, ctx: RequestContext, rule_id: str, if_match: int | None) -> None:
    def work(uow: UnitOfWork) -> None:
        rule = _visible_rule(uow, ctx, rule_id)
        env.policy.enforce(ctx, "delete_security_group_rule", rule_target(rule))
        check_revision(if_match, rule.revision_number)
        uow.security_groups.delete_rule(rule_id)
        uow.security_groups.update(rule.security_group_id, {})
        uow.record(events.security_group_rule_event(events.SECURITY_GROUP_RULE_DELETED, rule))

    env.db.transact(work, ctx.request_id)


# -- a port's groups --------------------------------------------------------------------------------------
def check_port_groups(uow: UnitOfWork, ctx: RequestContext, wanted: Mapping[str, tuple[str, Collection[str]]]
                      ) -> None:
    """Neutron's _get_security_groups_on_port for many ports at once (one query): each port's groups must
    exist and be its project's (an admin may give any), and be all stateful or all stateless.
    `wanted`: port id -> (port project, group ids)."""
    every = {g for _project, ids in wanted.values() for g in ids}
    known = uow.security_groups.brief(every)
    for project_id, ids in wanted.values():
        missing = [g for g in dict.fromkeys(ids)
                   if g not in known or not (ctx.is_admin or known[g][0] == project_id)]
        if missing:
            raise errors.SecurityGroupNotFound(id=", ".join(missing))
        sg.check_statefulness(known[g][1] for g in ids)
