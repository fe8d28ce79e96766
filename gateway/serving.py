"""Serving the gateway with waitress, with one change to how it reads a request line: bytes
outside ASCII in the target (`GET /api/v1/customers?q=ışık`, typed into a tool that does not
encode) are percent-encoded before waitress parses it, so the request reaches the app (and
its JSON answers) instead of waitress's own text/plain "400 Bad URI" (issue 20, point 9).
The encoding is the one a browser would have sent: UTF-8 bytes as %XX."""
import re

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import create_server

_HIGH = re.compile(rb"[\x80-\xff]")


def _percent(match):
    return b"%%%02X" % match.group()[0]


class Parser(HTTPRequestParser):
    def parse_header(self, header_plus):
        index = header_plus.find(b"\r\n")
        if index > 0:
            header_plus = _HIGH.sub(_percent, header_plus[:index]) + header_plus[index:]
        return super().parse_header(header_plus)


class Channel(HTTPChannel):
    parser_class = Parser


def make_server(app, **kwargs):
    """A waitress server for `app` (kwargs as waitress.serve's) reading request lines as
    above; `.run()` serves, `.effective_port` is the port bound."""
    server = create_server(app, **kwargs)
    for one in getattr(server, "servers", None) or [server]:  # one per listen address
        one.channel_class = Channel
    return server


def serve(app, **kwargs):
    make_server(app, **kwargs).run()
