"""Write small WARC files with warcio, for tests that need a specific malformed record."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

PAGE = ("<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        "<p>{body}</p><p>{body}</p></article></body></html>")


def page(title: str, body: str) -> str:
    return PAGE.format(title=title, body=body)


class WarcBuilder:
    def __init__(self) -> None:
        self.buf = BytesIO()
        self.writer = WARCWriter(self.buf, gzip=True)

    def response(self, url: str, payload: bytes, headers: list[tuple[str, str]] | None = None,
                 status: str = "200 OK") -> WarcBuilder:
        headers = headers if headers is not None else [("Content-Type", "text/html; charset=utf-8")]
        http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
        rec = self.writer.create_warc_record(url, "response", payload=BytesIO(payload), http_headers=http)
        self.writer.write_record(rec)
        return self

    def request(self, url: str) -> WarcBuilder:
        http = StatusAndHeaders("GET / HTTP/1.1", [("Host", "example.org")], is_http_request=True)
        rec = self.writer.create_warc_record(url, "request", payload=BytesIO(b""), http_headers=http)
        self.writer.write_record(rec)
        return self

    def conversion(self, url: str, text: str) -> WarcBuilder:
        rec = self.writer.create_warc_record(url, "conversion", payload=BytesIO(text.encode()),
                                             warc_content_type="text/plain")
        self.writer.write_record(rec)
        return self

    def raw(self, data: bytes) -> WarcBuilder:
        self.buf.write(data)
        return self

    def write(self, path: Path) -> str:
        path.write_bytes(self.buf.getvalue())
        return str(path)
