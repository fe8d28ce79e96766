"""Articles the engine tests index (search documents, as domain.search_document makes them)."""


def doc(id, code, title, symptoms="", cause="", steps=(), device_types=(), models=(),
        fault_codes=(), tags=(), status="published", language="tr", solved_count=0):
    return {"id": id, "code": code, "title": title, "symptoms": symptoms, "cause": cause,
            "solution_steps": list(steps), "device_types": list(device_types),
            "models": list(models), "fault_codes": list(fault_codes), "tags": list(tags),
            "language": language, "status": status, "solved_count": solved_count,
            "updated_at": "2026-11-27T00:00:00+00:00"}


DOCS = [
    doc(1, "KLM-ELK-0001", "IŞIK ARIZASI: ön panel ışığı yanıp sönüyor",
        symptoms="Ön paneldeki IŞIK sürekli yanıp sönüyor, cihaz soğutmuyor.",
        cause="Kart üzerindeki röle arızalı.", steps=["Röleyi değiştirin.", "Kartı test edin."],
        device_types=["Klima"], models=["Inverter 12"], fault_codes=["E4"],
        tags=["elektrik", "panel"]),
    doc(2, "KLM-MEK-0001", "KOMPRESÖR çalışmıyor",
        symptoms="Kompresör hiç çalışmıyor, dış ünite sessiz.",
        cause="Kompresör kondansatörü şişmiş.", steps=["Kondansatörü ölçün ve değiştirin."],
        device_types=["Klima"], models=["Inverter 18"], fault_codes=["F-12"], tags=["mekanik"]),
    doc(3, "KMB-ELK-0001", "Termostat arızası: kombi su ısıtmıyor",
        symptoms="Kombi çalışıyor ama su ısınmıyor. DİYARBAKIR bölgesinde sık görülür.",
        cause="Termostat sensörü kopuk.", steps=["Termostatı değiştirin."],
        device_types=["Kombi"], models=["Eco 24"], fault_codes=["E-01"], tags=["ısıtma"]),
    doc(4, "FTK-KAG-0001", "Paper jam in the copier",
        symptoms="The copier stops with a paper jam message on every print.",
        cause="Worn pickup roller.", steps=["Replace the pickup roller."],
        device_types=["Fotokopi"], models=["MX-300"], fault_codes=["J-21"],
        tags=["paper"], language="en"),
    doc(5, "KLM-ELK-0002", "Uzaktan kumanda çalışmıyor (taslak)",
        symptoms="Kumanda ışığı yanmıyor.", status="draft", device_types=["Klima"]),
    doc(6, "KLM-SOG-0001", "Soğutma zayıf, kompresör ısınıyor",
        symptoms="Klima az soğutuyor; kompresör aşırı ısınıyor.",
        cause="Gaz kaçağı.", steps=["Kaçağı bulun.", "Gaz doldurun."],
        device_types=["Klima"], models=["Inverter 12"], tags=["gaz"]),
]
