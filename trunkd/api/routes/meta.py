"""Version and extension discovery."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from trunkd.api import http_errors
from trunkd.api.extensions import all_extensions, extension
from trunkd.api.http import ctx_of, env_of, ok
from trunkd.api.query import base_url

CORE = ("network", "subnet", "subnetpool", "port")


async def versions(request: Request) -> Response:
    """No auth: keystoneauth discovers the API version here without a token."""
    href = f"{base_url(request)}/v2.0/"
    return ok({"versions": [{"id": "v2.0", "status": "CURRENT", "links": [{"rel": "self", "href": href}]}]})


async def resources(request: Request) -> Response:
    ctx_of(request)
    base = base_url(request)
    return ok({"resources": [
        {"name": name, "collection": f"{name}s", "links": [{"rel": "self", "href": f"{base}/v2.0/{name}s"}]}
        for name in CORE
    ]})


async def extensions(request: Request) -> Response:
    ctx_of(request)
    return ok({"extensions": all_extensions(env_of(request).settings)})


async def show_extension(request: Request) -> Response:
    ctx_of(request)
    found = extension(request.path_params["alias"], env_of(request).settings)
    if found is None:
        raise http_errors.HTTPNotFound(f"Extension with alias {request.path_params['alias']} does not exist")
    return ok({"extension": found})


async def not_found(_request: Request) -> Response:
    raise http_errors.HTTPNotFound()


ROUTES = [
    Route("/", versions, methods=["GET"]),
    Route("/v2.0/", resources, methods=["GET"]),
    # Neutron's pecan root demands the trailing slash: no redirect, a 404
    Route("/v2.0", not_found, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
    Route("/v2.0/extensions", extensions, methods=["GET"]),
    Route("/v2.0/extensions", not_found, methods=["POST", "PUT", "DELETE", "PATCH"]),
    Route("/v2.0/extensions/{alias}", show_extension, methods=["GET"]),
    Route("/v2.0/extensions/{alias}", not_found, methods=["POST", "PUT", "DELETE", "PATCH"]),
]
