"""plain_dumper: the same dict as marshmallow's dump, field for field, in the same order."""
import datetime as dt
from types import SimpleNamespace

from marshmallow import Schema, fields, post_dump

from services.common.schemas import plain_dumper


class Out(Schema):
    id = fields.Integer()
    name = fields.String(allow_none=True)
    renamed = fields.String(attribute="other", data_key="shown")
    day = fields.Date(allow_none=True)
    at = fields.DateTime()
    price = fields.Decimal(as_string=True)  # a field of its own kind: its own serialize
    count = fields.Integer(as_string=True)
    extra = fields.Method("_extra")

    def _extra(self, obj):
        return {"twice": obj.id * 2}


def test_the_same_dict_as_marshmallows_dump():
    from decimal import Decimal
    objs = [SimpleNamespace(id=1, name="Işık", other="ş", day=dt.date(2027, 3, 1),
                            at=dt.datetime(2026, 11, 28, 6, 30, tzinfo=dt.timezone.utc),
                            price=Decimal("12.50"), count=3),
            SimpleNamespace(id=2, name=None, other=7, day=None,
                            at=dt.datetime(2026, 1, 1), price=Decimal("0"), count=0),
            SimpleNamespace(id=3)]  # attributes missing: left out, as marshmallow leaves them
    schema, dump = Out(), plain_dumper(Out())
    for obj in objs:
        assert dump(obj) == schema.dump(obj)
        assert list(dump(obj)) == list(schema.dump(obj))


def test_a_schema_with_dump_hooks_keeps_its_own_dump():
    class Hooked(Schema):
        id = fields.Integer()

        @post_dump
        def add(self, data, **kwargs):
            return {**data, "hooked": True}
    schema = Hooked()
    assert plain_dumper(schema)(SimpleNamespace(id=1)) == {"id": 1, "hooked": True}
