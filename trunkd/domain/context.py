"""Who is asking: the request's project, roles and scope, and what the policy lets it do."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

# keystone's implied roles: admin implies manager implies member implies reader (tokens carry the closure)
IMPLIED_ROLES = {
    "admin": ("manager", "member", "reader"),
    "manager": ("member", "reader"),
    "member": ("reader",),
}


def with_implied(roles: set[str] | frozenset[str]) -> frozenset[str]:
    """The roles plus every role they imply, as a keystone token lists them."""
    return frozenset(roles).union(*(IMPLIED_ROLES.get(r, ()) for r in roles))


class Authorizer(Protocol):
    """The one place authorisation is decided (oslo.policy: trunkd/policy/engine.py); the use cases hold it
    as `Env.policy`, the views ask it through `RequestContext.can`."""

    def enforce(self, ctx: RequestContext, rule: str, target: Mapping[str, Any]) -> None:
        """Raise PolicyNotAuthorized unless `ctx` may apply `rule` to `target`."""

    def allowed(self, ctx: RequestContext, rule: str, target: Mapping[str, Any], *,
                if_undefined: bool = False) -> bool: ...

    def defined_under(self, prefix: str) -> frozenset[str]:
        """The names after `prefix` of the rules defined (`get_port:` -> the port attributes with a rule)."""


@dataclass(frozen=True)
class RequestContext:
    project_id: str
    roles: frozenset[str] = field(default_factory=lambda: frozenset({"member", "reader"}))
    user_id: str | None = None
    user_name: str | None = None  # Keystone's X-User-Name (noauth: the header), for [agent] host_identities
    request_id: str = ""
    system_scope: str | None = None
    service_roles: frozenset[str] = frozenset()  # roles of a service token sent along (X-Service-Token)
    # the policy that answers can(); set by the API for each request
    policy: Authorizer | None = field(default=None, compare=False, repr=False)
    _answers: dict[tuple[str, tuple[tuple[str, Any], ...], bool], bool] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def is_service(self) -> bool:
        return "service" in self.roles

    def sees_all(self) -> bool:
        """Admins and the service role look beyond their project (Neutron's model_query scope);
        what they may then do with a resource is the policy's call."""
        return self.is_admin or self.is_service

    def can(self, rule: str, target: Mapping[str, Any], *, if_undefined: bool = False) -> bool:
        """The policy's answer, asked once per request for each (rule, target). A rule the policy does not
        define answers `if_undefined` (admin-only by default, `True` for attribute rules as in Neutron)."""
        policy = self._policy()
        key = (rule, tuple(sorted(target.items())), if_undefined)
        try:
            return self._answers[key]
        except KeyError:
            answer = self._answers[key] = policy.allowed(self, rule, target, if_undefined=if_undefined)
            return answer
        except TypeError:  # an unhashable target value: ask every time
            return policy.allowed(self, rule, target, if_undefined=if_undefined)

    def defined_under(self, prefix: str) -> frozenset[str]:
        """The policy's rules under `prefix` (Authorizer.defined_under)."""
        return self._policy().defined_under(prefix)

    def _policy(self) -> Authorizer:
        if self.policy is None:
            raise RuntimeError("no policy is bound to this request context (the API binds one in ctx_of)")
        return self.policy

    @classmethod
    def admin(cls, project_id: str = "fake_project_id") -> RequestContext:
        return cls(project_id=project_id, roles=frozenset({"admin", "manager", "member", "reader"}))
