"""Deleting a port together with its trunk role (DELETE /v2.0/ports/{id}?cascade=trunk)."""

from __future__ import annotations

from trunkd.domain.context import RequestContext
from trunkd.domain.model import TrunkRole
from trunkd.service import ports, trunks
from trunkd.service.env import Env
from trunkd.store.uow import UnitOfWork


def delete_port_with_trunk(env: Env, ctx: RequestContext, port_id: str, if_match: int | None) -> None:
    """A parent goes with its trunk, a subport with its membership: one transaction, every event.

    The trunk rules still hold (a disabled trunk, or one whose bound parent cannot be untrunked, 409s).
    """
    def release(uow: UnitOfWork, role: TrunkRole, trunk_id: str) -> None:
        trunk = trunks.visible_trunk(uow, ctx, trunk_id, lock=True)
        if role is TrunkRole.PARENT:
            trunks.delete_in(env, uow, ctx, trunk)
            return
        env.policy.enforce(ctx, "remove_subports", {"project_id": trunk.project_id})
        trunks.remove_in(env, uow, trunk, [s for s in trunk.sub_ports if s.port_id == port_id])

    ports.delete_port(env, ctx, port_id, if_match, release)
