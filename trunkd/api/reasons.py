"""Status reasons as the caller may see them: a caller who may not read `binding:host_id` (the same
policy check as the attribute's visibility) gets them with host names hidden (domain/redaction.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from starlette.requests import Request

from trunkd.api.http import call, ctx_of, env_of
from trunkd.api.views import Redact, full_reasons, may_read
from trunkd.domain.model import Port, Trunk, TrunkDetails
from trunkd.domain.redaction import redact_hosts
from trunkd.service import reasons


@dataclass(frozen=True)
class Shown:
    """One resource whose reasons are about to be shown: its project, the ports it involves, its reasons."""

    project_id: str
    port_ids: tuple[str, ...]
    texts: tuple[str, ...]


def of_trunk(t: Trunk) -> Shown:
    return Shown(t.project_id, (t.port_id, *(s.port_id for s in t.sub_ports)),
                 (t.status_reason, *(s.status_reason for s in t.sub_ports)))


def of_port(p: Port, details: TrunkDetails | None) -> Shown:
    subs = details.sub_ports if details is not None else []
    return Shown(p.project_id, (p.id, *(s.port_id for s, _mac in subs)), tuple(s.status_reason for s, _ in subs))


async def redactor(request: Request, shown: Iterable[Shown]) -> Redact:
    """What to apply to each reason of these resources. Host names are looked up (one read) only when a
    resource the caller may not see host ids of has a reason to show."""
    ctx = ctx_of(request)

    def hides(project_id: str) -> bool:
        return not may_read(ctx, "port", "binding:host_id", project_id)

    hidden = [s for s in shown if any(s.texts) and hides(s.project_id)]
    if not hidden:
        return full_reasons
    hosts = await call(reasons.host_names, env_of(request), sorted({p for s in hidden for p in s.port_ids}))

    def redact(project_id: str, text: str) -> str:
        return redact_hosts(text, hosts) if text and hides(project_id) else text

    return redact


async def for_trunks(request: Request, trunks: Iterable[Trunk]) -> Redact:
    return await redactor(request, [of_trunk(t) for t in trunks])
