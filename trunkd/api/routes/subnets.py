"""/v2.0/subnets"""

from __future__ import annotations

from trunkd.api import attributes, views
from trunkd.api.routes.crud import Resource, routes
from trunkd.service import subnets as svc

ROUTES = routes(Resource(
    "subnet", "subnets", "/v2.0/subnets", attributes.SUBNET, views.subnet,
    create=svc.create_subnets, index=svc.list_subnets, show=svc.get_subnet, update=svc.update_subnet,
    delete=svc.delete_subnet,
))
