"""A trivial nameko service for bench/gateway_bench.py's path e: the same machinery as every
Servis service (our `@rpc`, the Heartbeat every service has, its reply publisher) and no work —
what a call costs a service process before the service does anything (issue 23, "cheaper
reads": forms' CPU per get_form_detail against this one's per call)."""
from services.common.heartbeat import Heartbeat
from services.common.rpc import rpc


class BenchEcho:
    name = "bench_echo"
    heartbeat = Heartbeat()

    @rpc
    def echo(self, form_id, actor=None):
        return {"id": form_id}
