"""forms' admin-editable catalogues — fault types (arıza tipi), sub-statuses under the core
statuses, satisfaction-survey questions — read and written over one session (the caller
commits)."""
from sqlalchemy import select

from services.common.exceptions import Conflict, NotFound, invalid
from services.common.schemas import is_id
from services.forms.domain import BUILTIN_SUB_STATUSES
from services.forms.models import FaultType, SubStatus, SurveyQuestion

DEFAULT_FAULT_TYPES = (
    ("elektrik", "Elektrik arızası", "Electrical fault"),
    ("mekanik", "Mekanik arıza", "Mechanical fault"),
    ("sogutma", "Soğutma / gaz", "Cooling / refrigerant"),
    ("elektronik", "Elektronik kart", "Electronic board"),
    ("yazilim", "Yazılım", "Software"),
    ("kullanici", "Kullanıcı hatası", "User error"),
    ("bakim", "Periyodik bakım", "Periodic maintenance"),
)
# The satisfaction call's default questions (1-5; the repair's quality weighs double), so a
# call can be scored on the first day; admins edit, reweigh or deactivate them after.
DEFAULT_QUESTIONS = (
    ("Servis ekibimizin ilgisinden ve iletişiminden memnun kaldınız mı?",
     "Were you satisfied with our team's care and communication?", 1),
    ("Cihazınız söz verilen zamanda teslim edildi mi?",
     "Was your device returned when we promised?", 1),
    ("Yapılan onarımın kalitesinden memnun musunuz?",
     "Are you satisfied with the quality of the repair?", 2),
    ("Ücretler size açık ve makul geldi mi?", "Were the charges clear and fair?", 1),
    ("Bizi başkalarına tavsiye eder misiniz?", "Would you recommend us to others?", 1),
)
CATALOGUES = {"fault-types": FaultType, "status-codes": SubStatus}


def seed_catalogue(session):
    """The default fault types and survey questions where there are none (a new database;
    admins edit them after), and the sub-statuses the lifecycle sets itself (`unrepaired`
    under REPAIRED) where they are missing (an older database too)."""
    for code, status, name_tr, name_en in BUILTIN_SUB_STATUSES:
        if session.get(SubStatus, code) is None:
            session.add(SubStatus(code=code, status=status, name_tr=name_tr, name_en=name_en))
    if session.scalars(select(FaultType.code).limit(1)).first() is None:
        session.add_all(FaultType(code=c, name_tr=tr, name_en=en)
                        for c, tr, en in DEFAULT_FAULT_TYPES)
    if session.scalars(select(SurveyQuestion.id).limit(1)).first() is None:
        session.add_all(SurveyQuestion(text_tr=tr, text_en=en, weight=weight, scale_min=1,
                                       scale_max=5, position=n)
                        for n, (tr, en, weight) in enumerate(DEFAULT_QUESTIONS, start=1))


def entry_out(row):
    out = {"code": row.code, "name": {"tr": row.name_tr, "en": row.name_en},
           "active": row.active}
    if isinstance(row, SubStatus):
        out["status"] = row.status
    return out


def question_out(q):
    return {"id": q.id, "text": {"tr": q.text_tr, "en": q.text_en}, "weight": f"{q.weight:.2f}",
            "scale_min": q.scale_min, "scale_max": q.scale_max, "position": q.position,
            "active": q.active}


def model_of(name):
    try:
        return CATALOGUES[name]
    except (KeyError, TypeError):
        raise NotFound("No catalogue '{catalogue}'.", {"catalogue": name})


class Catalogues:
    def __init__(self, session):
        self.db = session

    def entries(self, name, include_inactive=False):
        model = model_of(name)
        stmt = select(model).order_by(model.code)
        if not include_inactive:
            stmt = stmt.where(model.active.is_(True))
        return [entry_out(r) for r in self.db.scalars(stmt)]

    def create_entry(self, model, data):
        if self.db.get(model, data["code"]) is not None:
            raise Conflict("'{code}' exists.", {"code": data["code"]})
        row = model(**data)
        self.db.add(row)
        return row

    def update_entry(self, model, code, data):
        row = self.db.get(model, code) if isinstance(code, str) else None
        if row is None:
            raise NotFound("'{code}' not found.", {"code": code})
        for k, v in data.items():
            setattr(row, k, v)
        return row

    def questions(self, include_inactive=False):
        stmt = select(SurveyQuestion).order_by(SurveyQuestion.position, SurveyQuestion.id)
        if not include_inactive:
            stmt = stmt.where(SurveyQuestion.active.is_(True))
        return [question_out(q) for q in self.db.scalars(stmt)]

    def create_question(self, data):
        q = SurveyQuestion(**data)
        self.db.add(q)
        return q

    def update_question(self, question_id, data):
        q = self.db.get(SurveyQuestion, question_id) if is_id(question_id) else None
        if q is None:
            raise NotFound("Question {question_id} not found.", {"question_id": question_id})
        for k, v in data.items():
            setattr(q, k, v)
        if q.scale_max <= q.scale_min:
            raise invalid(scale_max=["The scale's top must be above its bottom."])
        return q
