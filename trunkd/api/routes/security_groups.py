"""/v2.0/security-groups and /v2.0/security-group-rules"""

from __future__ import annotations

from trunkd.api import attributes, views
from trunkd.api.routes.crud import Resource, routes
from trunkd.service import security_groups as svc

ROUTES = [
    *routes(Resource(
        "security_group", "security_groups", "/v2.0/security-groups", attributes.SECURITY_GROUP,
        views.security_group, create=svc.create_groups, index=svc.list_groups, show=svc.get_group,
        update=svc.update_group, delete=svc.delete_group,
    )),
    *routes(Resource(
        "security_group_rule", "security_group_rules", "/v2.0/security-group-rules",
        attributes.SECURITY_GROUP_RULE, views.security_group_rule, create=svc.create_rules,
        index=svc.list_rules, show=svc.get_rule, delete=svc.delete_rule, create_needs_bulk=True,
    )),
]
