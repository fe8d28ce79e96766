"""Fuzz every RPC entrypoint of every service in-process (the application layer on a real
SQLite database, a recording outbox, no broker): ids, query dicts and bodies built from the
field names of the service's own schemas with values of every JSON type, and actors of every
role. Whatever a caller sends, a service answers or raises one of its errors (a ServisError,
which the gateway turns into 4xx/503) — never anything else, which would be a 500 — and a
refused call leaves the database as it was.

`make test` runs a short pass (FUZZ_EXAMPLES, default 8 per entrypoint); `make test-slow` runs
this file again with FUZZ_EXAMPLES=200."""
import inspect
import os
import types

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from marshmallow import Schema
from sqlalchemy import inspect as sa_inspect, select, text as sql_text

from services.common.exceptions import ServiceUnavailable, ServisError
from services.common.roles import ROLES, SYSTEM
from services.common.testing import application, document_handle

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
SKIP = {"ping"}

text = st.text(max_size=20) | st.sampled_from(
    ["", " ", "İĞÜŞÖÇığüşöç", "0", "-1", "2147483648", "1e309", "null", "../x", "%",
     "' OR 1=1 --", "9" * 40, "2026-02-30", "2026-12-31", "2026-01-01T00:00:00+03:00",
     "fault-types", "status-codes", "draft", "published", "repair", "DELIVERED", "-number"])
scalars = (st.none() | st.booleans() | st.integers(-2**40, 2**40) | text |
           st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([1, 2, 3]))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    text, inner, max_size=3), max_leaves=10)


def field_names(schemas_module):
    names = set()
    for value in vars(schemas_module).values():
        if isinstance(value, type) and issubclass(value, Schema):
            names |= set(value._declared_fields)
    return sorted(names)


def bodies(names):
    return st.one_of(
        st.fixed_dictionaries({}, optional={n: json_values for n in names}),
        json_values)


actors = st.one_of(
    st.builds(lambda role, uid: {"id": uid, "name": "Fuzz Kişi", "email": None,
                                 "language": "tr", "role": role},
              st.sampled_from(ROLES + (SYSTEM,)), st.integers(1, 3)),
    json_values)


class Index:
    """knowledge's search index in-process: the engine and the queue, as SearchIndex keeps
    them (services/knowledge/indexer.py), without a container."""

    def __init__(self, Session, engine):
        from services.knowledge import indexer
        self.Session, self.engine, self.indexer = Session, engine, indexer
        engine.setup()

    def flush(self):
        self.indexer.sync_queue(self.Session, self.engine)

    def reindex(self):
        return self.indexer.reindex(self.Session, self.engine)

    def wake(self):
        pass


def _forms(url, tmp_path):
    from services.forms import schemas
    from services.forms.catalogues import seed_catalogue
    from services.forms.documents import TEMPLATES, Contexts
    from services.forms.models import Base, Document, DocumentTemplate
    from services.forms.service import FormsService
    from services.forms.settings import FormsSettings

    class Devices:  # the remote service is not part of this layer: it does not answer
        def call(self, method, *args):
            raise ServiceUnavailable("The devices service is not answering.",
                                     {"service": "devices"})
    class Pdf:  # rendering is the documents' tests' (forms/tests/application/test_documents)
        def render(self, html):
            return b"%PDF-1.7 fuzz", 1
    service, engine = application(FormsService, url, FormsSettings(), Base.metadata,
                                  seed=seed_catalogue, devices=Devices())
    service.documents = document_handle("forms", engine, Document, DocumentTemplate, TEMPLATES,
                                        Contexts(FormsSettings()).build, tmp_path / "docs",
                                        Pdf())
    actor = {"id": 1, "name": "Masa", "email": None, "language": "tr", "role": "manager"}
    for i in range(3):  # records for the fuzzed ids to find (1, 2, 3)
        service.workflow.open({"kind": "repair", "complaint": f"Arıza {i}"}, actor, {
            "customer": {"id": i + 1, "name": f"Müşteri {i}", "email": None, "language": "tr",
                         "rep": None},
            "device": {"id": i + 1, "brand": "Arçelik", "model": None, "device_type": None,
                       "serial": f"S{i}"},
            "coverage": {"kind": "none", "end": None, "source_id": None,
                         "reason": {"tr": "-", "en": "-"}}})
        service.db.commit()
    service.assign(1, {"assignees": [{"user_id": 3, "name": "Teknisyen", "email": None,
                                      "language": "tr", "role": "technician"}],
                       "version": 1}, actor)
    return service, engine, schemas


def _devices(url, tmp_path):
    from services.devices import schemas
    from services.devices.catalogues import seed_catalogue
    from services.devices.models import Base
    from services.devices.service import DevicesService
    from services.devices.settings import DevicesSettings
    service, engine = application(DevicesService, url, DevicesSettings(), Base.metadata,
                                  seed=seed_catalogue, importer=types.SimpleNamespace(
                                      wake=lambda: None))
    for i in range(3):  # records for the fuzzed ids to find (1, 2, 3)
        customer = service.create_customer({"name": f"Müşteri {i}", "tax_no": f"123456789{i}"})
        service.register_device({"customer_id": customer["id"], "brand": "Arçelik",
                                 "serial": f"S{i}", "purchase_date": "2025-01-01",
                                 "warranty_end": "2030-01-01"})
    return service, engine, schemas


def _knowledge(url, tmp_path):
    from sqlalchemy.orm import sessionmaker

    from services.knowledge import schemas
    from services.knowledge.engines.embedded import EmbeddedEngine
    from services.knowledge.models import Base
    from services.knowledge.service import KnowledgeService
    from services.knowledge.settings import KnowledgeSettings
    service, engine = application(KnowledgeService, url, KnowledgeSettings(), Base.metadata)
    service.index = Index(sessionmaker(engine), EmbeddedEngine(str(tmp_path / "index.db")))
    for i in range(3):  # records for the fuzzed ids to find (1, 2, 3)
        service.create_article({"family": "KLM", "area": "ELK", "title": f"Arıza {i}",
                                "solution_steps": ["Değiştirin."]},
                               {"id": 1, "name": "Teknisyen", "role": "technician"})
    return service, engine, schemas


def _notify(url, tmp_path):
    from services.notify import schemas
    from services.notify.models import Base
    from services.notify.service import NotifyService
    from services.notify.settings import NotifySettings
    service, engine = application(NotifyService, url, NotifySettings(), Base.metadata,
                                  sender=types.SimpleNamespace(wake=lambda: None))
    return service, engine, schemas


def _contracts(url, tmp_path):
    from services.contracts import schemas
    from services.contracts.tests.application.test_contracts_app import (OFFICER, Contracts,
                                                                         proposal)
    contracts = Contracts(url, tmp_path / "documents")  # devices' answers as its RPCs give them
    for _ in range(3):  # records for the fuzzed ids to find (1, 2, 3)
        contracts.create_proposal(proposal(), OFFICER)
    return contracts.service, contracts.engine, schemas


def _portal(url, tmp_path):
    from services.common.documents.storage import FileStorage
    from services.portal import schemas
    from services.portal.models import Base
    from services.portal.service import PortalService
    from services.portal.settings import PortalSettings
    from services.portal.tests.application.test_portal_app import A, Devices, Forms, request
    service, engine = application(PortalService, url, PortalSettings(), Base.metadata,
                                  devices=Devices(), forms=Forms(),
                                  storage=FileStorage(tmp_path / "documents"))
    for _ in range(3):  # records for the fuzzed ids to find (1, 2, 3)
        service.submit_request(request(), A)
    return service, engine, schemas


SERVICES = {"forms": _forms, "devices": _devices, "knowledge": _knowledge, "notify": _notify,
            "contracts": _contracts, "portal": _portal}


def _entrypoints(service_class):
    for name, fn in inspect.getmembers(service_class, inspect.isfunction):
        if hasattr(fn, "nameko_entrypoints") and name not in SKIP and not name.startswith(
                "handle_"):
            yield name, [p for p in inspect.signature(fn).parameters if p != "self"]


def _contents(engine, tables):
    """Every table's rows, hashed: a refused call may not change any."""
    with engine.connect() as conn:
        return hash(tuple(tuple(conn.execute(select(sql_text("*")).select_from(
            sql_text(f'"{t}"')).order_by(sql_text("1"))).all()) for t in tables))


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_no_input_makes_a_service_fail(name, tmp_path):
    service, engine, schemas = SERVICES[name](f"sqlite:///{tmp_path}/{name}.db", tmp_path)
    entrypoints = list(_entrypoints(type(service)))
    assert entrypoints
    names = field_names(schemas)
    tables = sa_inspect(engine).get_table_names()
    ids = st.one_of(st.integers(-2, 5), st.integers(2**31 - 2, 2**63), text, st.none())
    for_param = {"actor": actors, "data": bodies(names), "query": bodies(names)}

    @settings(max_examples=EXAMPLES * len(entrypoints), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def check(data):
        method, params = data.draw(st.sampled_from(entrypoints), label="entrypoint")
        args = [data.draw(for_param.get(p, ids if p.endswith("_id") or p == "code"
                                        else json_values), label=p) for p in params]
        before, events = _contents(engine, tables), len(service.outbox.events)
        try:
            getattr(service, method)(*args)
        except ServisError:
            service.db.rollback()
            assert _contents(engine, tables) == before, f"{method} refused but wrote"
            assert len(service.outbox.events) == events, f"{method} refused but emitted"
        except Exception as exc:  # what the gateway would answer with a 500
            raise AssertionError(f"{name}.{method}{tuple(args)!r} raised "
                                 f"{type(exc).__name__}: {exc}") from exc
    try:
        check()
    finally:
        service.db.close()
        engine.dispose()
