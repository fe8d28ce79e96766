"""`@rpc` for our services: a ServisError is an expected answer (the caller gets it back as the
same type), so nameko does not log it as a failed worker."""
from nameko.rpc import rpc as nameko_rpc

from services.common.exceptions import ServisError


def rpc(fn):
    return nameko_rpc(expected_exceptions=ServisError)(fn)
