"""Authorisation with oslo.policy: trunkd's rules registered in code (policy/rules.py), overridable by a
policy file that is re-read when it changes. `enforce(ctx, rule, target)` is the one entry point."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Mapping, MutableMapping
from typing import Any

from oslo_config import cfg
from oslo_policy import _checks, policy

from trunkd.domain import errors
from trunkd.domain.context import RequestContext
from trunkd.policy import rules as policies
from trunkd.policy.policy_file import problem_with, stamp_of

LOG = logging.getLogger(__name__)
RELOAD_INTERVAL = 1.0  # seconds: how soon a changed policy file takes effect
REMIND_INTERVAL = 60.0  # seconds: how often a policy file that is still not taken is logged again
# Decisions are pure functions of (rule, the target keys it reads, credentials) under one set of rules;
# oslo.policy spends most of a check introspecting the check objects (inspect.getfullargspec), so the
# same question asked again is answered from memory. Bounded; emptied whenever the rules are re-read.
MAX_DECISIONS = 4096


def creds(ctx: RequestContext) -> MutableMapping[str, Any]:
    """What oslo.policy matches `role:`, `project_id:` and scope checks against."""
    values: dict[str, Any] = {
        "project_id": ctx.project_id,
        "tenant_id": ctx.project_id,
        "user_id": ctx.user_id,
        "roles": sorted(ctx.roles),
        "service_roles": sorted(ctx.service_roles),
        "is_admin": ctx.is_admin,
    }
    if ctx.system_scope:
        values["system_scope"] = ctx.system_scope
    return values


_ABSENT = object()  # a target key the rule reads but the target lacks
_TARGET_REF = re.compile(r"%\((.+?)\)s")


def target_reads(check: _checks.BaseCheck, rules: Mapping[str, _checks.BaseCheck],
                 seen: frozenset[str] = frozenset()) -> frozenset[str] | None:
    """The target keys a check can look at, or None when that cannot be known (a check of a kind
    not listed here, e.g. http:, may read the whole target)."""
    if isinstance(check, (_checks.TrueCheck, _checks.FalseCheck)):
        return frozenset()
    if isinstance(check, (_checks.AndCheck, _checks.OrCheck)):
        parts = [target_reads(c, rules, seen) for c in check.rules]
        return None if any(p is None for p in parts) else frozenset().union(*parts)  # type: ignore[arg-type]
    if isinstance(check, _checks.NotCheck):
        return target_reads(check.rule, rules, seen)
    if isinstance(check, _checks.RuleCheck):
        if check.match in seen or check.match not in rules:
            # a missing rule is False whatever the target; a rule met again on this path is a loop,
            # which oslo cannot decide either: nothing more of the target is read
            return frozenset()
        return target_reads(rules[check.match], rules, seen | {check.match})
    if isinstance(check, (_checks.GenericCheck, _checks.RoleCheck)):
        return frozenset(_TARGET_REF.findall(check.match))  # only `match % target` reads the target
    if isinstance(check, policies.FieldCheck):
        return frozenset({check.field})
    return None


def make_conf(config_files: tuple[str, ...] = (), policy_file: str | None = None) -> cfg.ConfigOpts:
    """An oslo.config object holding `[oslo_policy]` (and, in keystone mode, `[keystone_authtoken]`)."""
    conf = cfg.ConfigOpts()
    conf(args=[], project="trunkd", default_config_files=list(config_files))
    policy.Enforcer(conf)  # registers the [oslo_policy] options
    conf.set_default("enforce_new_defaults", True, group="oslo_policy")
    if policy_file:
        conf.set_override("policy_file", policy_file, group="oslo_policy")
    return conf


def get_enforcer(conf: cfg.ConfigOpts | None = None) -> policy.Enforcer:
    """An Enforcer with trunkd's rules registered (the `oslo.policy.enforcer` entry point)."""
    # the oslo tools parse their own --config-file (with [oslo_policy] policy_file) into cfg.CONF first
    enforcer = policy.Enforcer(cfg.CONF if conf is None else conf)
    enforcer.register_defaults(policies.list_rules())
    return enforcer


class OsloPolicy:
    """trunkd's rules through oslo.policy. The policy file is looked at (mtime) at most once a second, not on
    every check as oslo.policy would: its path search and stat cost more than the check itself.

    A policy file that is broken, empty, unreadable or gone is not taken: the rules last read stay (the
    defaults if none was ever read) and one ERROR line names the file and why, when it is read and again
    every minute while it lasts. Fixed or put back, it is taken within a second."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self.enforcer = get_enforcer(conf)
        self._conf = conf
        self._lock = threading.Lock()
        self._next_look = 0.0
        self._decided: dict[tuple[Any, ...], bool] = {}
        self._reads: dict[str, frozenset[str] | None] = {}
        self._under: dict[str, frozenset[str]] = {}
        self._file: tuple[tuple[int, int, int] | None, str | None] | None = None  # (stamp, problem) last seen
        self._next_reminder = 0.0
        self._refresh()

    def _policy_path(self) -> str | None:
        """The policy file oslo.policy reads (the configured one, found in the config dirs), if any."""
        if self.enforcer.policy_path:
            return str(self.enforcer.policy_path)
        found = self._conf.find_file(self._conf.oslo_policy.policy_file)
        return str(found) if found else None

    def _file_problem(self, path: str, now: float) -> tuple[str | None, bool]:
        """Why the file cannot be taken now (logged), or None; and whether it changed since last looked
        at. It is read again only when it changed (mtime, size or inode)."""
        stamp = stamp_of(path)
        changed = self._file is None or self._file[0] != stamp
        if changed:
            self._file = (stamp, problem_with(path))
            if self._file[1] is not None:
                self._next_reminder = 0.0  # a new problem: say it now
        assert self._file is not None
        problem = self._file[1]
        if problem is not None and now >= self._next_reminder:
            LOG.error("policy file %s %s: keeping the rules last read from it", path, problem)
            self._next_reminder = now + REMIND_INTERVAL
        return problem, changed

    def _load(self, path: str | None, changed: bool) -> None:
        """oslo.policy's load (the file and policy_dirs, then the defaults); a changed file is read whatever
        its mtime says. The rules stay as they were if the file changed for the worse in between."""
        before = policy.Rules(dict(self.enforcer.rules), self.enforcer.default_rule)
        self.enforcer.use_conf = True
        try:
            self.enforcer.load_rules(force_reload=changed)  # else re-reads what changed (mtime)
        except ValueError as exc:
            self.enforcer.rules = before
            LOG.error("policy file %s does not parse: %s: keeping the rules last read from it", path,
                      " ".join(str(exc).split()))
            self._file = None  # read it again next time
        finally:
            self.enforcer.use_conf = False  # enforce() itself then skips the file
        if path is not None and before and stamp_of(path) is None:  # gone while oslo read it ('' = defaults)
            self.enforcer.rules = before
            self._file = None

    def _defaults_only(self) -> None:
        """The rules registered in code, when no policy file was ever taken."""
        for default in self.enforcer.registered_rules.values():
            self.enforcer.rules[default.name] = default.check

    def _refresh(self) -> None:
        now = time.monotonic()
        if now < self._next_look:
            return
        with self._lock:
            if now < self._next_look:
                return
            path = self._policy_path()
            problem, changed = self._file_problem(path, now) if path is not None else (None, False)
            if problem is None:
                self._load(path, changed)
            elif not self.enforcer.rules:
                self._defaults_only()
            self._decided = {}  # the rules may have changed: decide afresh
            self._reads = {}
            self._under = {}
            self._next_look = now + RELOAD_INTERVAL

    def _decision_key(self, rule: str, target: Mapping[str, Any], who: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """What the decision depends on: the rule, the credentials and the target keys the rule reads (an
        absent key is a value too: oslo's check of it fails). None (decide every time) when those keys are
        unknown or hold lists or dicts."""
        if rule not in self._reads:
            self._reads[rule] = target_reads(self.enforcer.rules[rule], self.enforcer.rules)
        reads = self._reads[rule]
        if reads is None:
            return None
        try:
            key = (rule, tuple(target.get(k, _ABSENT) for k in sorted(reads)),
                   frozenset((k, tuple(v) if isinstance(v, list) else v) for k, v in who.items()))
            hash(key)
            return key
        except TypeError:
            return None

    def _decide(self, rule: str, target: Mapping[str, Any], who: MutableMapping[str, Any]) -> bool:
        try:
            return bool(self.enforcer.enforce(rule, dict(target), who, do_raise=True))
        except (policy.PolicyNotAuthorized, policy.InvalidScope):
            return False

    def allowed(self, ctx: RequestContext, rule: str, target: Mapping[str, Any], *,
                if_undefined: bool = False) -> bool:
        """May `ctx` apply `rule` to `target`? A rule defined nowhere is admin-only, or `if_undefined`."""
        self._refresh()
        if rule not in self.enforcer.rules:
            if if_undefined:
                return True
            rule = "admin_only"
        who = creds(ctx)
        key = self._decision_key(rule, target, who)
        if key is None:
            return self._decide(rule, target, who)
        decided = self._decided.get(key)
        if decided is None:
            if len(self._decided) >= MAX_DECISIONS:
                self._decided = {}
            decided = self._decided[key] = self._decide(rule, target, who)
        return decided

    def defined_under(self, prefix: str) -> frozenset[str]:
        self._refresh()
        under = self._under.get(prefix)
        if under is None:
            under = self._under[prefix] = frozenset(
                name[len(prefix):] for name in self.enforcer.rules if name.startswith(prefix))
        return under

    def enforce(self, ctx: RequestContext, rule: str, target: Mapping[str, Any]) -> None:
        if not self.allowed(ctx, rule, target):
            raise errors.PolicyNotAuthorized(action=rule)
