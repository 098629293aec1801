"""/v2.0/subnetpools"""

from __future__ import annotations

from trunkd.api import attributes, views
from trunkd.api.routes.crud import Resource, routes
from trunkd.service import subnetpools as svc

ROUTES = routes(Resource(
    "subnetpool", "subnetpools", "/v2.0/subnetpools", attributes.SUBNETPOOL, views.subnetpool,
    create=svc.create_subnetpools, index=svc.list_subnetpools, show=svc.get_subnetpool,
    update=svc.update_subnetpool, delete=svc.delete_subnetpool,
))
