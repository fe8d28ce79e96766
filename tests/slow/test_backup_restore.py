"""(make test-slow) make backup of a running system while forms are being opened, make
restore into an empty DATA_DIR, start the system there: the same forms (with their cards,
customers and the intake slip's PDF, byte for byte), the same articles, the same users.
SQLite here (the system as `make run` starts it); PostgreSQL's pg_dump/pg_restore path in
services/tests/application/test_backup_pg.py."""
import os
import subprocess
import sys
import threading

from services.registry import NAMES
from tests.conftest import ADMIN_PASSWORD, ROOT, running_system

ARTICLE = {"family": "KLM", "area": "ELK", "title": "Kompresör çalışmıyor: röle",
           "symptoms": "Kompresör çalışmıyor.", "cause": "Röle arızalı.",
           "solution_steps": ["Röleyi değiştirin."], "device_types": ["Klima"],
           "language": "tr"}


def snapshot(system, admin):
    """Everything the restore must bring back, as the API answers it."""
    http, url = system.http, system.url

    def every(path):
        r = http.get(url(path), headers=admin, params={"limit": 100})
        assert r.status_code == 200, r.text
        return r.json()["items"]
    forms = {}
    for f in every("/api/v1/forms"):
        r = http.get(url(f"/api/v1/forms/{f['id']}"), headers=admin)
        assert r.status_code == 200, r.text
        forms[f["number"]] = r.json()
    first = min(forms.values(), key=lambda f: f["id"])["id"]
    docs = http.get(url(f"/api/v1/forms/{first}/documents"), headers=admin).json()["items"]
    pdf = http.get(url(f"/api/v1/forms/{first}/documents/{docs[0]['id']}"), headers=admin)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), pdf.text[:200]
    cards = {d["serial"]: d for d in every("/api/v1/devices")}
    articles = sorted((a["code"], a["title"]) for a in every("/api/v1/knowledge/articles"))
    users = sorted(u["username"] for u in every("/api/v1/users"))
    return {"forms": forms, "pdf": pdf.content, "cards": cards, "articles": articles,
            "users": users}


def test_backup_while_running_restore_into_an_empty_data_dir(tmp_path_factory):
    backup_dir = tmp_path_factory.mktemp("backup") / "b"
    with running_system(tmp_path_factory, "source") as a:
        admin = a.token("admin", ADMIN_PASSWORD)
        http, url = a.http, a.url
        customer = http.post(url("/api/v1/customers"), headers=admin,
                             json={"name": "Işıklar Soğutma A.Ş."}).json()
        assert http.post(url("/api/v1/knowledge/articles"), headers=admin,
                         json=ARTICLE).status_code == 201
        assert http.post(url("/api/v1/users"), headers=admin, json={
            "username": "masa", "password": "Masa-Şifre-2026", "role": "desk",
            "name": "Masa Görevlisi"}).status_code == 201

        def open_form(n):
            r = http.post(url("/api/v1/forms"), headers=admin, json={
                "customer_id": customer["id"], "complaint": f"Soğutmuyor {n}",
                "device": {"brand": "Arçelik", "serial": f"YDK-{n}", "device_type": "Klima"}})
            assert r.status_code == 201, r.text
        open_form(0)
        writing, opened = threading.Event(), []

        def writer():  # forms keep coming while the backup runs
            n = 1
            while not writing.is_set():
                open_form(n)
                opened.append(n)
                n += 1
        thread = threading.Thread(target=writer)
        thread.start()
        try:
            out = subprocess.run([sys.executable, "deploy/backup.py", "backup", str(backup_dir)],
                                 cwd=ROOT, env=a.env, capture_output=True, text=True,
                                 timeout=120)
        finally:
            writing.set()
            thread.join()
        assert out.returncode == 0, out.stderr
        assert sorted(os.listdir(backup_dir)) == sorted(
            [f"{name}.sqlite3" for name in (*NAMES, "gateway")]
            + ["documents.tar.gz", "manifest.json"])  # every process's database
        assert opened, "no form was opened while the backup ran"
        source = snapshot(a, admin)

    target = tmp_path_factory.mktemp("restored")
    env = {**a.env, "DATA_DIR": str(target)}
    out = subprocess.run([sys.executable, "deploy/backup.py", "restore", str(backup_dir)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    again = subprocess.run([sys.executable, "deploy/backup.py", "restore", str(backup_dir)],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "restore goes into empty databases only; these hold " \
        "data: " in again.stderr, again.stderr
    for name in (*NAMES, "gateway", "documents"):  # every one named, none overwritten
        assert f"{name} (" in again.stderr, (name, again.stderr)

    with running_system(tmp_path_factory, data_dir=target) as b:
        restored = snapshot(b, b.token("admin", ADMIN_PASSWORD))
        b.token("masa", "Masa-Şifre-2026")  # the users came back, passwords and all
    # a consistent moment, not a torn copy: the forms opened before it, each exactly as the
    # source answered it, with its card (devices is copied after forms: deploy/backup.py)
    numbers = sorted(restored["forms"])
    assert numbers == sorted(source["forms"])[:len(numbers)] and len(numbers) >= 1
    for number in numbers:
        assert restored["forms"][number] == source["forms"][number]
        serial = restored["forms"][number]["device"]["serial"]
        assert restored["cards"][serial] == source["cards"][serial]
    assert restored["pdf"] == source["pdf"]  # the intake slip, byte for byte
    assert restored["articles"] == source["articles"] == [("KLM-ELK-0001", ARTICLE["title"])]
    assert restored["users"] == source["users"] == ["admin", "masa"]
