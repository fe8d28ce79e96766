"""Upload a device archive CSV to Servis and watch the import run.

    python -m services.devices.import_cli FILE [--url http://127.0.0.1:8080]
        [--kind devices|customers|contacts] [--username U] [--password-env SERVIS_PASSWORD]

Signs in (``POST /api/v1/auth/token``), uploads the file (``POST /api/v1/devices/import``,
``Content-Type: text/csv``), then polls the job (``GET /api/v1/devices/import/{id}``) every
0.5 s with a progress bar on stderr, and prints a summary with the first 20 row errors.
The file's format: ``services/devices/importer.py``.

Exit status: 0 every row went in; 2 some rows failed (their errors are printed); 1 an HTTP or
network error, or the job itself failed on the server. The password comes from the
environment variable named by ``--password-env`` (default ``SERVIS_PASSWORD``), else from a
prompt; the username from ``--username``, else ``SERVIS_USERNAME``, else a prompt.
"""
import argparse
import getpass
import os
import sys
import time

import requests

POLL_SECONDS = 0.5
SHOW_ERRORS = 20
BAR_WIDTH = 20
FINISHED = ("done", "failed")


class ApiError(Exception):
    """An HTTP error answer (status set) or a network failure (status None)."""

    def __init__(self, message, status=None, code=None, details=None):
        super().__init__(message)
        self.message, self.status, self.code, self.details = message, status, code, details

    def lines(self):
        head = f"HTTP {self.status}" if self.status else "network error"
        if self.code:
            head += f" ({self.code})"
        out = [f"error: {head}: {self.message}"]
        details = self.details if isinstance(self.details, dict) else {}
        for name, messages in details.items():
            for message in messages if isinstance(messages, list) else [messages]:
                out.append(f"  {name}: {message}")
        return out


def call(session, method, url, **kwargs):
    """One request; the JSON answer, or ApiError with the server's error message."""
    kwargs.setdefault("timeout", (10, 120))
    try:
        response = session.request(method, url, **kwargs)
    except requests.RequestException as err:
        raise ApiError(f"cannot reach {url}: {err}")
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400:
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            raise ApiError(error.get("message") or response.reason, response.status_code,
                           error.get("code"), error.get("details"))
        text = (response.text or response.reason or "").strip()[:300]
        raise ApiError(text or "no message", response.status_code)
    if not isinstance(body, dict):
        raise ApiError(f"the answer of {url} is not JSON", response.status_code)
    return body


def sign_in(session, url, username, password):
    """The access token for these credentials."""
    body = call(session, "POST", f"{url}/api/v1/auth/token",
                json={"username": username, "password": password})
    if not body.get("access_token"):
        raise ApiError("the sign-in answer has no access_token")
    return body["access_token"]


def _auth(token):
    return {"Authorization": f"Bearer {token}"}


def upload(session, url, token, data, kind="devices"):
    """Start an import job with the file (bytes, or a file object: sent as it is read); the
    job as the server describes it."""
    return call(session, "POST", f"{url}/api/v1/devices/import", data=data,
                params={"kind": kind} if kind != "devices" else None, timeout=(10, 1800),
                headers={**_auth(token), "Content-Type": "text/csv"})


def get_job(session, url, token, job_id):
    return call(session, "GET", f"{url}/api/v1/devices/import/{job_id}", headers=_auth(token))


def progress_line(job, width=BAR_WIDTH):
    """``[########------------] 40%  40000/100000 rows  created 39000 ...``"""
    total, processed = job.get("total") or 0, job.get("processed") or 0
    if total:
        ratio = min(processed / total, 1.0)
    else:
        ratio = 1.0 if job.get("status") == "done" else 0.0
    filled = int(ratio * width)
    return (f"[{'#' * filled}{'-' * (width - filled)}] {int(ratio * 100)}%  "
            f"{processed}/{total} rows  created {job.get('created', 0)}  "
            f"updated {job.get('updated', 0)}  unchanged {job.get('unchanged', 0)}  "
            f"failed {job.get('failed', 0)}")


class Progress:
    """Redraws one line in place on a terminal; elsewhere (a log), a line per 10 %."""

    def __init__(self, stream):
        self.stream = stream
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.last_decile = None
        self.width = 0

    def show(self, job):
        line = progress_line(job)
        if self.tty:
            self.stream.write("\r" + line.ljust(self.width))
            self.width = max(self.width, len(line))
        else:
            total = job.get("total") or 0
            decile = (job.get("processed", 0) * 10 // total) if total else 0
            if job.get("status") in FINISHED:
                decile = max(decile, 10)
            if decile == self.last_decile:
                return
            self.last_decile = decile
            self.stream.write(line + "\n")
        self.stream.flush()

    def end(self):
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def watch(session, url, token, job, stream=sys.stderr, interval=POLL_SECONDS, sleep=time.sleep):
    """Poll the job until it is done or failed, drawing progress; the last job state."""
    progress = Progress(stream)
    progress.show(job)
    while job.get("status") not in FINISHED:
        sleep(interval)
        job = get_job(session, url, token, job["id"])
        progress.show(job)
    progress.end()
    return job


def summary(job, limit=SHOW_ERRORS):
    """The lines printed once the job is over."""
    lines = [f"Import {job.get('id')} {job.get('status')}: {job.get('processed', 0)} of "
             f"{job.get('total', 0)} rows; created {job.get('created', 0)}, updated "
             f"{job.get('updated', 0)}, unchanged {job.get('unchanged', 0)}, failed "
             f"{job.get('failed', 0)}."]
    if job.get("ignored_columns"):
        lines.append("Ignored columns: " + ", ".join(map(str, job["ignored_columns"])))
    if job.get("status") == "failed" and job.get("error"):
        lines.append(f"The job failed: {job['error']}")
    errors = job.get("errors") or []
    for item in errors[:limit]:
        for name, messages in (item.get("errors") or {}).items():
            for message in messages if isinstance(messages, list) else [messages]:
                lines.append(f"row {item.get('row')}: {name}: {message}")
    more = max(job.get("failed", 0), len(errors)) - min(len(errors), limit)
    if more > 0:
        lines.append(f"... and {more} more rows with errors.")
    return lines


def exit_code(job):
    if job.get("status") != "done":
        return 1
    return 2 if job.get("failed") else 0


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m services.devices.import_cli",
        description="Import a device archive CSV into Servis and watch the job.")
    parser.add_argument("file", help="the CSV file (see services/devices/importer.py)")
    parser.add_argument("--url", default="http://127.0.0.1:8080", help="the gateway's address")
    parser.add_argument("--kind", default="devices", choices=("devices", "customers", "contacts"),
                        help="what the file holds (default: devices, with their customers)")
    parser.add_argument("--username", default=os.environ.get("SERVIS_USERNAME"))
    parser.add_argument("--password-env", default="SERVIS_PASSWORD",
                        help="the environment variable holding the password (else a prompt)")
    parser.add_argument("--interval", type=float, default=POLL_SECONDS, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None, stdout=None, stderr=None, session=None):
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    args = parse_args(argv)
    url = args.url.rstrip("/")
    try:
        data = open(args.file, "rb")  # streamed: a 100k-row file is never read whole
    except OSError as err:
        print(f"error: cannot read {args.file}: {err.strerror or err}", file=stderr)
        return 1
    try:
        username = args.username or input("Username: ")
        password = os.environ.get(args.password_env) or getpass.getpass("Password: ")
    except EOFError:  # no terminal to ask on
        print(f"error: no password: set {args.password_env} or run it in a terminal",
              file=stderr)
        return 1
    session = session or requests.Session()
    job = None
    try:
        token = sign_in(session, url, username, password)
        with data:
            job = upload(session, url, token, data, args.kind)
        job = watch(session, url, token, job, stream=stderr, interval=args.interval)
    except ApiError as err:
        print("\n".join(err.lines()), file=stderr)
        if job and job.get("id") is not None:
            print(f"The import may still run on the server as job {job['id']}.", file=stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\nStopped watching; the import continues on the server as job "
              f"{job.get('id') if job else '?'}.", file=stderr)
        return 130
    print("\n".join(summary(job)), file=stdout)
    return exit_code(job)


if __name__ == "__main__":
    sys.exit(main())
