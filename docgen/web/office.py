"""The office's pages: upload a patient list, map its columns, follow the job, download the results."""

from __future__ import annotations

import io
import shutil
import uuid
from datetime import timedelta
from pathlib import Path

from flask import Blueprint, abort, current_app, g, jsonify, redirect, render_template, request, send_file, url_for
from werkzeug.utils import secure_filename

from ..errors import DocgenError
from ..input.columns import BATCH_FIELDS, NOT_SETTABLE, load_column_map, parse_settings, resolve_columns
from ..input.records import DOCUMENTS, FIELDS, PROCEDURES
from ..input.tables import open_table
from . import jobs
from .app import library

blueprint = Blueprint("office", __name__, url_prefix="/office")

MAPPED_FIELDS = FIELDS + BATCH_FIELDS
SETTABLE = tuple(f for f in FIELDS if f not in NOT_SETTABLE)
SET_HINTS = {"levels": "for example L1 or T12;L1", "procedure_date": "year-month-day, for example 2026-11-20",
             "comorbidities": "for example copd;anticoagulants", "large_print": "yes or no"}


def _root() -> Path:
    return current_app.config["DOCGEN_DATA"] / "jobs"


def _sweep() -> None:
    retention = timedelta(minutes=current_app.config["DOCGEN_RETENTION_MINUTES"])
    jobs.sweep(library().register, _root(), retention)


def _own_job(job_id: str):
    """The job, if it is this user's: another clerk's list is not theirs to see."""
    job = library().register.job(job_id) if len(job_id) == 32 and job_id.isalnum() else None
    if job is None or job.user != g.user:
        abort(404)
    return job


@blueprint.route("/", methods=["GET", "POST"])
def upload():
    _sweep()
    if request.method == "GET":
        return render_template("office.html", title="Documents for a patient list", errors={}, form={})
    errors: dict[str, str] = {}
    document = request.form.get("document", "")
    if document not in DOCUMENTS:
        errors["document"] = f"choose one of: {', '.join(DOCUMENTS)}"
    upload_file = request.files.get("list")
    # The type from the name as sent; the name shown back made safe (it may be all non-ASCII).
    suffix = Path(upload_file.filename or "").suffix.lower() if upload_file else ""
    shown_as = (secure_filename(upload_file.filename or "") or f"list{suffix}") if upload_file else ""
    bundle = suffix == jobs.BUNDLE_SUFFIX
    if not upload_file or not upload_file.filename:
        errors["list"] = "choose the patient list to upload (CSV, .xlsx or a FHIR Bundle .json)"
    elif suffix not in (*jobs.LIST_SUFFIXES, jobs.BUNDLE_SUFFIX):
        errors["list"] = (f"{shown_as or 'the file'}: not a CSV, .xlsx or FHIR Bundle (.json) file "
                          "(.xls: save it as .xlsx or CSV)")
    elif bundle and (mapping_file := request.files.get("mapping")) and mapping_file.filename:
        errors["mapping"] = "a column map applies to CSV and .xlsx lists, not to a FHIR Bundle"
    if errors:
        return render_template("office.html", title="Documents for a patient list", errors=errors,
                               form=request.form), 422
    job_id = uuid.uuid4().hex
    folder = _root() / job_id
    folder.mkdir(parents=True, mode=0o700)
    try:
        path = jobs.list_path(folder, suffix)
        upload_file.save(path)
        config = current_app.config
        header, total = jobs.check_upload(path, shown_as, max_rows=config["DOCGEN_MAX_ROWS"])
        mapping = _uploaded_mapping(folder, errors)
    except jobs.UploadError as exc:
        errors["list"] = exc.message
    if errors:
        shutil.rmtree(folder, ignore_errors=True)
        return render_template("office.html", title="Documents for a patient list", errors=errors,
                               form=request.form), 422
    library().register.new_job(job_id=job_id, user=g.user, document=document, list_name=shown_as,
                               settings={"suffix": suffix, "header": list(header), "mapping": mapping,
                                         "total": total})
    if bundle:  # a Bundle's elements are named by FHIR: no columns to match, it runs at once
        _queue(job_id, folder, {"suffix": suffix, "total": total})
        return redirect(url_for("office.job", job_id=job_id), code=303)
    return redirect(url_for("office.columns", job_id=job_id), code=303)


def _queue(job_id: str, folder: Path, chosen: dict) -> None:
    """Hand the job to its own process, with the content this server uses."""
    lib = library()
    chosen["content"] = {"templates": str(lib.options.templates), "risks": str(lib.options.risks)}
    chosen["processes"] = current_app.config["DOCGEN_JOB_PROCESSES"]
    lib.register.update_job(job_id, status="queued", settings=chosen, total=chosen.get("total"))
    jobs.start(job_id, folder, lib.register.url)


def _uploaded_mapping(folder: Path, errors: dict) -> dict[str, str]:
    mapping_file = request.files.get("mapping")
    if not mapping_file or not mapping_file.filename:
        return {}
    path = folder / "uploaded-columns.yaml"
    mapping_file.save(path)
    try:
        return load_column_map(path)
    except DocgenError as exc:
        errors["mapping"] = exc.message.replace(str(path), secure_filename(mapping_file.filename) or "column map")
        return {}
    finally:
        path.unlink(missing_ok=True)


@blueprint.route("/jobs/<job_id>/columns", methods=["GET", "POST"])
def columns(job_id: str):
    job = _own_job(job_id)
    if job.status != "uploaded":
        return redirect(url_for("office.job", job_id=job_id), code=303)
    chosen = job.setting()
    header = chosen["header"]
    folder = _root() / job_id
    if request.method == "GET":
        picked = _default_columns(header, chosen["mapping"])
        return _columns_page(job, header, picked, {}, {}, "")
    picked = {name: request.form.get(f"column-{name}", "") for name in MAPPED_FIELDS}
    picked = {name: value for name, value in picked.items() if value in header}
    values = {name: request.form.get(f"set-{name}", "").strip() for name in SETTABLE}
    values = {name: value for name, value in values.items() if value}
    try:
        settings = parse_settings(f"{k}={v}" for k, v in values.items())
        table = open_table(jobs.list_path(folder, chosen["suffix"]))
        resolve_columns(table, job.document, picked, settings)
    except DocgenError as exc:
        message = exc.message.replace(str(jobs.list_path(folder, chosen["suffix"])), job.list_name)
        return _columns_page(job, header, picked, values, request.form, message, status=422)
    jobs.write_column_map(folder, picked)
    chosen.update({"set": values, "duplex": request.form.get("duplex") == "yes",
                   "large_print": request.form.get("large_print") == "yes"})
    _queue(job_id, folder, chosen)
    return redirect(url_for("office.job", job_id=job_id), code=303)


def _default_columns(header: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """The uploaded map's choice, else the column named as the field (any case)."""
    by_key = {h.strip().casefold(): h for h in header}
    picked = {}
    for name in MAPPED_FIELDS:
        wanted = mapping.get(name, name).strip().casefold()
        if wanted in by_key:
            picked[name] = by_key[wanted]
    return picked


def _columns_page(job, header, picked, values, form, message, status=200):
    return render_template("columns.html", title="Match the list's columns", job=job, header=header,
                           fields=MAPPED_FIELDS, settable=SETTABLE, picked=picked, values=values,
                           form=form, message=message, procedures=PROCEDURES, hints=SET_HINTS), status


@blueprint.route("/jobs/<job_id>")
def job(job_id: str):
    job = _own_job(job_id)
    if job.status == "uploaded":
        return redirect(url_for("office.columns", job_id=job_id), code=303)
    return render_template("job.html", title="Patient list job", job=job, downloads=jobs.DOWNLOADS)


@blueprint.route("/jobs/<job_id>/status.json")
def status(job_id: str):
    job = _own_job(job_id)
    return jsonify(status=job.status, total=job.total, done=job.done, written=job.written,
                   refused=job.refused, message=job.message)


@blueprint.route("/jobs/<job_id>/files/<name>")
def download(job_id: str, name: str):
    job = _own_job(job_id)
    if name not in jobs.DOWNLOADS or not job.file_map().get(name):
        abort(404, "This file is not there: it was downloaded already, or deleted after the retention time.")
    path = _root() / job_id / name
    if not path.exists():
        abort(404, "This file is not there any more.")
    data = path.read_bytes()
    # Downloaded once, then deleted: patient documents do not linger on the server.
    path.unlink(missing_ok=True)
    files = job.file_map()
    files[name] = False
    library().register.update_job(job_id, files=files)
    mimetype = {".pdf": "application/pdf", ".zip": "application/zip", ".csv": "text/csv"}[Path(name).suffix]
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
