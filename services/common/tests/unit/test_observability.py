"""The log lines and the request id (services/common/observability.py)."""
import io
import json
import logging

import pytest

from services.common import observability as obs

pytestmark = pytest.mark.unit


def lines_of(fn, fmt="json"):
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(obs.formatter("forms", fmt))
    logger = logging.getLogger("servis.test.observability")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        fn(logger)
    finally:
        logger.removeHandler(handler)
    return buf.getvalue().splitlines()


def test_every_line_is_json_with_the_bound_request_id_and_turkish_text_as_is():
    def write(log):
        token = obs.bind_request_id("req-1")
        try:
            log.info("form %s opened for %s", "SF-2026-000001", "IŞIK Soğutma", extra={"ms": 2.5})
            try:
                raise ValueError("kötü")
            except ValueError:
                log.exception("failed")
        finally:
            obs.reset_request_id(token)
        log.warning("after")
    first, second, third = [json.loads(line) for line in lines_of(write)]
    assert first["event"] == "form SF-2026-000001 opened for IŞIK Soğutma"
    assert (first["level"], first["process"], first["request_id"], first["ms"]) == (
        "info", "forms", "req-1", 2.5)
    assert first["time"].endswith("Z")
    assert second["request_id"] == "req-1" and "ValueError: kötü" in second["exception"]
    assert "request_id" not in third  # the id ends with its request


def test_console_format_is_one_readable_line_with_the_id():
    def write(log):
        token = obs.bind_request_id("req-2")
        log.warning("ışık")
        obs.reset_request_id(token)
    (line,) = lines_of(write, "console")
    assert "ışık" in line and "request_id=req-2" in line and "process=forms" in line


@pytest.mark.parametrize("value,kept", [
    ("abc", True), ("A-b_c.d:9", True), ("x" * 128, True), ("x" * 129, False), ("", False),
    ("a b", False), ("ş", False), ("a\nb", False), (None, False), (7, False)])
def test_only_a_plain_request_id_is_taken_from_a_client(value, kept):
    assert (obs.valid_request_id(value) is not None) is kept
    token = obs.bind_request_id(value)
    try:
        bound = obs.current_request_id()
    finally:
        obs.reset_request_id(token)
    assert (bound == value) is kept and bound


def test_configure_leaves_pytests_capture_handler_alone(caplog):
    root = logging.getLogger()
    plain = logging.StreamHandler(io.StringIO())
    root.addHandler(plain)
    try:
        obs.configure_logging("unit-test")
        assert isinstance(plain.formatter, obs.structlog.stdlib.ProcessorFormatter)
        assert not isinstance(caplog.handler.formatter, obs.structlog.stdlib.ProcessorFormatter)
    finally:
        root.removeHandler(plain)
