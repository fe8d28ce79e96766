"""The import CLI's client logic against a tiny local HTTP server playing the gateway."""
import io
import json

import pytest

from services.common.testing import HttpTestServer, JsonHandler
from services.devices import import_cli


class FakeGateway(JsonHandler):
    """Answers sign-in, upload and job polls from the test's `script`."""

    script = None

    def do_POST(self):
        script = self.script
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        script["requests"].append((self.path, dict(self.headers), body))
        if self.path == "/api/v1/auth/token":
            credentials = json.loads(body)
            if credentials != {"username": "ayse", "password": "gizli"}:
                return self.send_json(401, {"error": {"code": "unauthorized",
                                                  "message": "Wrong username or password.",
                                                  "details": {}}})
            return self.send_json(200, {"access_token": "T0K"})
        if self.path == "/api/v1/devices/import":
            if self.headers.get("Authorization") != "Bearer T0K":
                return self.send_json(401, {"error": {"code": "unauthorized", "message": "No token.",
                                                  "details": {}}})
            return self.send_json(*script["upload"])
        self.send_json(404, {"error": {"code": "not_found", "message": "No route.", "details": {}}})

    def do_GET(self):
        script = self.script
        script["requests"].append((self.path, dict(self.headers), b""))
        if self.path == "/api/v1/devices/import/7" and script["polls"]:
            return self.send_json(200, script["polls"].pop(0))
        self.send_json(404, {"error": {"code": "not_found", "message": "No such job.", "details": {}}})


@pytest.fixture
def gateway():
    script = {"requests": [], "polls": [], "upload": None}
    server = HttpTestServer(type("Gateway", (FakeGateway,), {"script": script}))
    script["url"] = server.url
    yield script
    server.close()


@pytest.fixture
def csv_file(tmp_path, monkeypatch):
    monkeypatch.setenv("SERVIS_PASSWORD", "gizli")
    path = tmp_path / "cihazlar.csv"
    path.write_bytes("Müşteri adı;Marka;Seri no\r\nÇağlar;Arçelik;1\r\n".encode("utf-8-sig"))
    return path


def job(status, processed, total=3, created=0, failed=0, errors=(), **extra):
    return {"id": 7, "status": status, "total": total, "processed": processed,
            "created": created, "updated": 0, "unchanged": 0, "failed": failed,
            "errors": list(errors), "ignored_columns": [], **extra}


def run(gateway, csv_file, *extra):
    out, err = io.StringIO(), io.StringIO()
    code = import_cli.main([str(csv_file), "--url", gateway["url"] + "/", "--username", "ayse",
                            "--interval", "0.01", *extra], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_every_row_in_exits_0(gateway, csv_file):
    gateway["upload"] = (202, job("queued", 0))
    gateway["polls"] = [job("running", 1, created=1), job("running", 2, created=2),
                        job("done", 3, created=3)]
    code, out, err = run(gateway, csv_file)
    assert code == 0, (out, err)
    paths = [path for path, _, _ in gateway["requests"]]
    assert paths == ["/api/v1/auth/token", "/api/v1/devices/import"] + \
        ["/api/v1/devices/import/7"] * 3
    _, headers, body = gateway["requests"][1]
    assert body == csv_file.read_bytes()
    assert headers["Content-Type"] == "text/csv"
    assert gateway["requests"][2][1]["Authorization"] == "Bearer T0K"
    assert err.splitlines()[0].startswith("[--------------------] 0%  0/3 rows")
    assert err.splitlines()[-1] == ("[####################] 100%  3/3 rows  created 3  "
                                    "updated 0  unchanged 0  failed 0")
    assert "\r" not in err  # not a terminal: one line per step
    assert out.startswith("Import 7 done: 3 of 3 rows; created 3")


def test_some_rows_failed_exits_2_and_prints_the_first_20(gateway, csv_file):
    errors = [{"row": n, "errors": {"serial": ["Missing data for required field."]}}
              for n in range(2, 27)]
    errors[0]["errors"]["price"] = ["Not a price: 'abc'."]
    gateway["upload"] = (202, job("queued", 0, total=30))
    gateway["polls"] = [job("done", 30, total=30, created=5, failed=25, errors=errors,
                            ignored_columns=["Renk"])]
    code, out, err = run(gateway, csv_file)
    assert code == 2
    lines = out.splitlines()
    assert "Ignored columns: Renk" in lines
    assert "row 2: serial: Missing data for required field." in lines
    assert "row 2: price: Not a price: 'abc'." in lines
    assert "row 21: serial: Missing data for required field." in lines
    assert "row 22: serial: Missing data for required field." not in lines
    assert lines[-1] == "... and 5 more rows with errors."


def test_a_rejected_file_exits_1_with_the_servers_message(gateway, csv_file):
    gateway["upload"] = (422, {"error": {
        "code": "validation_error", "message": "The file is not a valid import file.",
        "details": {"file": ["Required column missing: serial (Seri no / Serial no)."]}}})
    code, out, err = run(gateway, csv_file)
    assert code == 1 and out == ""
    assert "HTTP 422 (validation_error): The file is not a valid import file." in err
    assert "file: Required column missing: serial (Seri no / Serial no)." in err


def test_wrong_password_exits_1(gateway, csv_file, monkeypatch):
    monkeypatch.setenv("OTHER_PASSWORD", "yanlış")
    code, _, err = run(gateway, csv_file, "--password-env", "OTHER_PASSWORD")
    assert code == 1 and "Wrong username or password." in err


def test_a_failed_job_exits_1(gateway, csv_file):
    gateway["upload"] = (202, job("running", 1))
    gateway["polls"] = [job("failed", 1, created=1, error="database unavailable")]
    code, out, err = run(gateway, csv_file)
    assert code == 1 and "The job failed: database unavailable" in out


def test_network_error_exits_1(csv_file):
    err = io.StringIO()
    code = import_cli.main([str(csv_file), "--url", "http://127.0.0.1:9", "--username", "a"],
                           stdout=io.StringIO(), stderr=err)
    assert code == 1 and "cannot reach http://127.0.0.1:9/api/v1/auth/token" in err.getvalue()


def test_missing_file_exits_1(tmp_path):
    err = io.StringIO()
    assert import_cli.main([str(tmp_path / "yok.csv")], stderr=err) == 1
    assert "cannot read" in err.getvalue()


def test_progress_line_format():
    line = import_cli.progress_line({"status": "running", "total": 100000, "processed": 40000,
                                     "created": 39000, "updated": 0, "unchanged": 990,
                                     "failed": 10})
    assert line == ("[########------------] 40%  40000/100000 rows  created 39000  updated 0  "
                    "unchanged 990  failed 10")


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_redraws_in_place_on_a_terminal():
    stream = Terminal()
    progress = import_cli.Progress(stream)
    for processed in (0, 1, 2):
        progress.show(job("running", processed))
    progress.end()
    text = stream.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n") and text.count("\n") == 1


def test_progress_in_a_log_is_one_line_per_tenth():
    stream = io.StringIO()
    progress = import_cli.Progress(stream)
    for processed in range(0, 1001, 7):
        progress.show(job("running", processed, total=1000))
    progress.show(job("done", 1000, total=1000))
    assert len(stream.getvalue().splitlines()) == 11
