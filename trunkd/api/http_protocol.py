"""uvicorn's httptools protocol with a bound on request headers (431 before the headers are buffered).

httptools keeps every header of a request in memory until the last one arrives, and uvicorn sets no
limit: a 128 MiB header was read whole before authentication. Here the bytes of the request line and
headers are counted as they arrive and the headers counted as they are parsed; past either limit the
client gets a 431 NeutronError and the connection is closed, without the rest being read. The limits
are the process's configured ones (`configure`, called when the app is built, in every worker).
"""

from __future__ import annotations

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from trunkd.domain.limits import DEFAULT_LIMITS, Limits

LINGER_SECONDS = 2.0  # how long a refused client's further input is read and dropped before the close


def _body(limits: Limits) -> bytes:
    return orjson.dumps({"NeutronError": {
        "type": "RequestHeaderFieldsTooLarge",
        "message": f"Request headers exceed {limits.max_request_header_fields} fields or "
                   f"{limits.max_request_header_bytes} bytes, or a header line exceeds {limits.max_header_line} "
                   "bytes.", "detail": ""}})


def configure(limits: Limits) -> None:
    """The header limits of every connection this process accepts from now on."""
    BoundedHeadersProtocol.max_fields = limits.max_request_header_fields
    BoundedHeadersProtocol.max_bytes = limits.max_request_header_bytes
    BoundedHeadersProtocol.max_line = limits.max_header_line
    BoundedHeadersProtocol.refusal = _body(limits)


class BoundedHeadersProtocol(HttpToolsProtocol):
    max_fields = DEFAULT_LIMITS.max_request_header_fields
    max_bytes = DEFAULT_LIMITS.max_request_header_bytes
    max_line = DEFAULT_LIMITS.max_header_line
    refusal = _body(DEFAULT_LIMITS)
    _header_bytes = 0
    _header_count = 0
    _in_headers = True
    _refused = False
    _line_too_long = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._in_headers:
            self._header_bytes += len(data)
            if self._header_bytes > self.max_bytes and not self._ends_headers(data):
                self._refuse()
                return
        super().data_received(data)

    def _ends_headers(self, data: bytes) -> bool:
        """The limit is on what is buffered: a chunk that ends the headers within the limit passes."""
        end = data.find(b"\r\n\r\n")
        return end >= 0 and self._header_bytes - len(data) + end + 4 <= self.max_bytes

    def _refuse(self) -> None:
        """Answer 431, then close as HTTP servers do with a client still sending: our side first
        (FIN), what still arrives read and dropped for up to LINGER_SECONDS, then the socket. An
        immediate close with unread input sends a reset, which makes the client lose the answer."""
        self._refused = True
        self.transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
                             b"content-length: " + str(len(self.refusal)).encode() + b"\r\nconnection: close\r\n\r\n"
                             + self.refusal)
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_count = 0
        self._line_too_long = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if len(name) + len(value) + 2 > self.max_line:  # "name: value", as a header line is measured
            self._line_too_long = True
        if self._header_count <= self.max_fields and not self._line_too_long:
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_headers = False
        if self._refused:
            return  # a request pipelined behind a refused one
        if self._header_count > self.max_fields or self._line_too_long:
            self._refuse()  # the app never sees this request
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        super().on_message_complete()
        self._in_headers, self._header_bytes = True, 0
