"""Agent registration, heartbeats and loss."""

from __future__ import annotations

import uuid
from typing import Any

from trunkd.domain import errors, events
from trunkd.domain.context import RequestContext
from trunkd.domain.model import Agent
from trunkd.service.env import Env, check_host
from trunkd.store.clock import now
from trunkd.store.uow import UnitOfWork


def agent_dict(agent: Agent, down_time: float) -> dict[str, Any]:
    alive = (now() - agent.heartbeat_at).total_seconds() <= down_time
    stamp = "%Y-%m-%d %H:%M:%S"
    return {
        "id": agent.id,
        "host": agent.host,
        "agent_type": agent.agent_type,
        "binary": agent.binary,
        "topic": agent.topic,
        "admin_state_up": agent.admin_state_up,
        "alive": alive,
        "configurations": agent.configurations,
        "event_cursor": agent.event_cursor,
        "created_at": agent.created_at.strftime(stamp),
        "started_at": agent.started_at.strftime(stamp),
        "heartbeat_timestamp": agent.heartbeat_at.strftime(stamp),
    }


def _event(kind: str, agent: Agent, down_time: float) -> events.Event:
    return events.Event(kind, "agent", agent.id, None, agent_dict(agent, down_time), host=agent.host)


def report_state(env: Env, ctx: RequestContext, attrs: dict[str, Any]) -> tuple[Agent, bool]:
    """Heartbeat: register the agent, or refresh it. Returns (agent, newly registered)."""
    env.policy.enforce(ctx, "report_agent", {"project_id": ctx.project_id})
    check_host(env, ctx, str(attrs["host"]))
    down = env.settings.agent_down_time

    def work(uow: UnitOfWork) -> tuple[Agent, bool]:
        stamp = now()
        found = uow.agents.find(attrs["agent_type"], attrs["host"], lock=True)
        if found is None:
            agent = Agent(
                id=str(uuid.uuid4()), host=attrs["host"], agent_type=attrs["agent_type"],
                binary=attrs["binary"], topic=attrs.get("topic", ""), admin_state_up=True,
                configurations=attrs.get("configurations", {}), event_cursor=attrs.get("event_cursor"),
                created_at=stamp, started_at=stamp, heartbeat_at=stamp, lost_reported=False,
            )
            uow.agents.insert(agent)
            uow.record(_event(events.AGENT_REGISTERED, agent, down))
            return agent, True
        values: dict[str, Any] = {
            "heartbeat_at": stamp, "binary": attrs["binary"], "lost_reported": False,
            "configurations": attrs.get("configurations", found.configurations),
        }
        if "event_cursor" in attrs:
            values["event_cursor"] = attrs["event_cursor"]
        if found.lost_reported:
            values["started_at"] = stamp
        uow.agents.update(found.id, values)
        refreshed = uow.agents.get(found.id)
        assert refreshed is not None
        if found.lost_reported:  # back after being declared lost
            uow.record(_event(events.AGENT_REGISTERED, refreshed, down))
        return refreshed, False

    return env.db.transact(work, ctx.request_id)


def list_agents(env: Env, ctx: RequestContext) -> list[Agent]:
    env.policy.enforce(ctx, "get_agent", {"project_id": ctx.project_id})
    with env.db.read() as uow:
        return uow.agents.all()


def get_agent(env: Env, ctx: RequestContext, agent_id: str) -> Agent:
    env.policy.enforce(ctx, "get_agent", {"project_id": ctx.project_id})
    with env.db.read() as uow:
        agent = uow.agents.get(agent_id)
    if agent is None:
        raise errors.AgentNotFound(id=agent_id)
    return agent


def delete_agent(env: Env, ctx: RequestContext, agent_id: str) -> None:
    env.policy.enforce(ctx, "delete_agent", {"project_id": ctx.project_id})

    def work(uow: UnitOfWork) -> None:
        agent = uow.agents.get(agent_id)
        if agent is None:
            raise errors.AgentNotFound(id=agent_id)
        uow.agents.delete(agent_id)
        uow.record(_event(events.AGENT_LOST, agent, env.settings.agent_down_time))

    env.db.transact(work, ctx.request_id)


def announce_lost(env: Env) -> int:
    """Record agent.lost once for each agent whose heartbeat is older than the down time."""
    down = env.settings.agent_down_time

    def work(uow: UnitOfWork) -> int:
        lost = uow.agents.newly_lost(down)
        announced = [a for a in lost if uow.agents.mark_lost(a.id)]
        for agent in announced:
            uow.record(_event(events.AGENT_LOST, agent, down))
        return len(announced)

    return env.db.transact(work)
