"""A tiny nameko service for the RPC client tests, run as a subprocess:
`python -m nameko run --broker <uri> gateway.tests.service.echo_service`."""
import eventlet
from nameko.exceptions import deserialize_to_instance
from nameko.rpc import rpc


@deserialize_to_instance
class EchoError(Exception):
    pass


class EchoService:
    name = "echo"

    @rpc
    def echo(self, x):
        return x

    @rpc
    def boom(self, *args):
        raise EchoError(*args)

    @rpc
    def slow(self, seconds, x=None):
        eventlet.sleep(seconds)
        return x

    @rpc
    def touch(self, path):
        open(path, "a").close()
        return path
