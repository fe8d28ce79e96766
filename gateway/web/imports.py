"""The import on the console: upload a CSV file (the API's own work, devices_api.start_import:
the same reading, staging and job), then the job's page — a progress bar htmx polls while
the job runs, then the counts and the failed rows with the row numbers Excel shows and their
reasons in the page's language; the templates in Turkish and English."""
from flask import redirect, request, url_for

from gateway.web import api
from gateway.web.i18n import N_, error_text, field_errors, gettext
from gateway.web.pages import page
from gateway.web.shell import bp, render
from services.common.exceptions import Forbidden, ServisError

IMPORT = "/devices/import"
JOB = IMPORT + "/<id:job_id>"
KINDS = (("devices", N_("Customers and their devices")), ("customers", N_("Customers")),
         ("contacts", N_("Contact persons")))
UPLOAD_LIMIT = 64 * 1024 * 1024  # as the API's (devices_api.IMPORT_MAX_BYTES)
NO_FILE = N_("Choose a file to import.")
POLL = "1s"


def upload_page(status=200, error=None, errors=()):
    return render("import.html", status=status, kinds=KINDS, error=error, errors=list(errors))


@bp.get("/import")
@page("POST", IMPORT)
def import_form():
    return upload_page()


@bp.post("/import")
@page("POST", IMPORT)
def import_upload():
    request.max_content_length = UPLOAD_LIMIT
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return upload_page(422, gettext(NO_FILE))
    try:
        job = api.call("POST", IMPORT, body={"source": upload.stream, "filename":
                                             upload.filename, "kind": request.form.get("kind")})
    except ServisError as exc:
        if isinstance(exc, Forbidden):
            raise
        return upload_page(exc.http_status, error_text(exc), field_errors(exc))
    return redirect(url_for("web.import_job", job_id=job["id"]), 303)


def job_of(job_id):
    job = api.call("GET", JOB, {"job_id": job_id}, query={"limit": 200})
    done = job["status"] not in ("receiving", "queued", "running")
    return job, done


@bp.get("/import/<id:job_id>")
@page("GET", JOB)
def import_job(job_id):
    job, done = job_of(job_id)
    return render("import_job.html", job=job, done=done, poll=POLL)


@bp.get("/import/<id:job_id>/progress")
@page("GET", JOB)
def import_progress(job_id):
    """The job's part of its page, polled every second by htmx until the job is done (the
    answer without the trigger stops the polling)."""
    job, done = job_of(job_id)
    return render("partials/import_progress.html", job=job, done=done, poll=POLL)


@bp.get("/import/template/<any(tr, en):lang>")
@page("GET", IMPORT + "/template")
def import_template(lang):
    return api.call("GET", IMPORT + "/template", query={
        "lang": lang, "kind": request.args.get("kind") or "devices"})
