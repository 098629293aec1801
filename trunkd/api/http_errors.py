"""Errors only the HTTP layer raises (webob's names, as Neutron answers them): request shape, unknown paths
and methods. The use cases raise the typed errors of domain/errors.py."""

from __future__ import annotations

from trunkd.domain.errors import BadRequest, NotFound, TrunkdError


class HTTPBadRequest(BadRequest):
    """API-layer validation failure (body shape, attributes, query parameters)."""

    template = "%(msg)s"


class HTTPNotFound(NotFound):
    pass


class HTTPMethodNotAllowed(TrunkdError):
    """webob's name and text, as Neutron's pecan controllers answer a wrong method."""

    code = 405
    template = (
        "The server could not comply with the request since it is either malformed or otherwise incorrect."
    )
