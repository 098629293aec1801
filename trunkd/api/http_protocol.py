"""uvicorn's httptools protocol with a bound on request headers (431 before the headers are buffered).

httptools keeps every header of a request in memory until the last one arrives, and uvicorn sets no
limit: a 128 MiB header was read whole before authentication. Here the bytes of the request line and
headers are counted as they arrive and the headers counted as they are parsed; past either limit the
client gets a 431 NeutronError and the connection is closed, without the rest being read.
"""

from __future__ import annotations

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from trunkd.domain.limits import MAX_HEADER_BYTES, MAX_HEADERS

_BODY = orjson.dumps({"NeutronError": {
    "type": "RequestHeaderFieldsTooLarge",
    "message": f"Request headers exceed {MAX_HEADERS} fields or {MAX_HEADER_BYTES} bytes.", "detail": ""}})


class BoundedHeadersProtocol(HttpToolsProtocol):
    _header_bytes = 0
    _header_count = 0
    _in_headers = True
    _refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._in_headers:
            self._header_bytes += len(data)
            if self._header_bytes > MAX_HEADER_BYTES and not self._ends_headers(data):
                self._refuse()
                return
        super().data_received(data)

    def _ends_headers(self, data: bytes) -> bool:
        """The limit is on what is buffered: a chunk that ends the headers within the limit passes."""
        end = data.find(b"\r\n\r\n")
        return end >= 0 and self._header_bytes - len(data) + end + 4 <= MAX_HEADER_BYTES

    def _refuse(self) -> None:
        self._refused = True
        self.transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
                             b"content-length: " + str(len(_BODY)).encode() + b"\r\nconnection: close\r\n\r\n" + _BODY)
        self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_count = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count <= MAX_HEADERS:
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_headers = False
        if self._refused:
            return  # a request pipelined behind a refused one
        if self._header_count > MAX_HEADERS:
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
