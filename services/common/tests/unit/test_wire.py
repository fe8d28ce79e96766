"""kombu's `json` serializer is orjson (services/common/wire.py): what kombu's own json read and
wrote, it reads and writes the same, in both directions, so a process of either kind
understands the other."""
import datetime as dt
import json
from decimal import Decimal

import pytest
from kombu.serialization import dumps, loads, registry
from kombu.utils import json as kombu_json

from services.common import wire

CASES = [
    {"args": [5, {"id": 1, "name": "IŞIK Soğutma", "language": "tr"}], "kwargs": {}},
    {"result": {"total": "1500.00", "items": [[1, "Çağrı", 3]]}, "error": None},
    {"money": Decimal("12345.67"), "at": dt.datetime(2026, 11, 28, 6, 30, tzinfo=dt.timezone.utc),
     "day": dt.date(2027, 3, 1), "time": dt.time(9, 30), "raw": b"bytes"},
    {"big": 2 ** 64, "small": -2 ** 63, "exact": 10 ** 18},
    {"lone": "\ud800 yarım"},
    {1: "int key", None: "null key"},
    [],
    "text",
]


def kombu_roundtrip(obj):
    return kombu_json.loads(kombu_json.dumps(obj))


@pytest.mark.parametrize("obj", CASES)
def test_what_kombus_json_reads_back_wire_reads_back_the_same(obj):
    expected = kombu_roundtrip(obj)
    assert wire.loads(wire.dumps(obj)) == expected
    assert wire.loads(kombu_json.dumps(obj)) == expected  # an older process wrote it
    assert kombu_json.loads(wire.dumps(obj)) == expected  # an older process reads it


def test_installed_as_kombus_json_with_the_same_content_type():
    import services.common.rpc  # noqa: F401  (every service imports it: it installs wire)
    assert registry._encoders["json"][2] is wire.dumps
    content_type, encoding, payload = dumps({"ş": "İ"}, "json")
    assert (content_type, encoding) == ("application/json", "utf-8")
    assert payload == '{"ş":"İ"}'.encode()  # UTF-8, not \\u escapes: the same JSON
    assert json.loads(payload) == {"ş": "İ"}
    assert loads(payload, content_type, encoding) == {"ş": "İ"}


def test_what_json_cannot_say():
    assert wire.loads(b"[NaN]")[0] != wire.loads(b"[NaN]")[0]  # read as before: a float nan
    assert wire.loads(wire.dumps([float("nan")])) == [None]  # written as JSON can: null
    with pytest.raises(TypeError):
        wire.dumps({"set": {1, 2}})  # refused, as kombu's json refused it
