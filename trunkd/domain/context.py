"""Who is asking: the request's project and roles."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RequestContext:
    project_id: str
    roles: frozenset[str] = field(default_factory=lambda: frozenset({"member", "reader"}))
    user_id: str | None = None
    request_id: str = ""

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def is_service(self) -> bool:
        return "service" in self.roles

    def sees_all(self) -> bool:
        """Admins see every project's resources."""
        return self.is_admin

    @classmethod
    def admin(cls, project_id: str = "fake_project_id") -> RequestContext:
        return cls(project_id=project_id, roles=frozenset({"admin", "member", "reader"}))
