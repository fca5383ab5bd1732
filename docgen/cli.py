"""The docgen command line: parse options, call the library, report. Nothing clinical lives here."""

from __future__ import annotations

import functools
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from . import __version__, resources
from .batch import Batch
from .content import listing, translations
from .errors import EXIT_REFUSED, DocgenError
from .generate import Generator, Options, generate
from .input.records import DOCUMENTS, parse_case, read_record_file


def content_options(command):
    """Options every command shares: where the templates and the risk catalogue are."""

    @click.option("--templates", type=click.Path(file_okay=False, path_type=Path),
                  help="Folder of a hospital's own templates (default: the shipped ones).")
    @click.option("--risks", type=click.Path(file_okay=False, path_type=Path),
                  help="Folder of a hospital's own risk catalogue (default: the shipped one).")
    @functools.wraps(command)
    def wrapper(*args, templates, risks, **kwargs):
        return command(*args, content=_content(templates, risks), **kwargs)

    return wrapper


def _content(templates: Path | None, risks: Path | None) -> dict:
    given = {"templates": templates, "risks": risks}
    return {k: v for k, v in given.items() if v is not None}


def fhir_options(command):
    """FHIR output options shared by the document commands and batch."""

    @click.option("--fhir-out", is_flag=True,
                  help="Write an R4 DocumentReference beside each PDF (NAME.documentreference.json).")
    @click.option("--fhir-server", metavar="URL",
                  help="Also POST each DocumentReference to this FHIR server (base URL).")
    @click.option("--fhir-pdf-url", metavar="URL",
                  help="Link each PDF as URL/FILE in the DocumentReference instead of embedding it.")
    @functools.wraps(command)
    def wrapper(*args, fhir_out, fhir_server, fhir_pdf_url, **kwargs):
        from .fhir.run import FhirOptions

        return command(*args, fhir=FhirOptions(fhir_out, fhir_server, fhir_pdf_url), **kwargs)

    return wrapper


def _now() -> datetime:
    """When documents are dated in their DocumentReference: the moment the command runs."""
    return datetime.now(UTC)


def document_options(command):
    @click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                  default=Path("output"), show_default=True, help="Folder to write the PDF into.")
    @click.option("--force", is_flag=True, help="Replace a file that already exists.")
    @click.option("--override", metavar="REASON",
                  help="Proceed despite a safety rule; the reason is printed on the form.")
    @click.option("--large-print", is_flag=True, help="Body text of at least 16 pt.")
    @click.option("--allow-draft", is_flag=True,
                  help="Use draft or out-of-review content; every page is marked DRAFT.")
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        return command(*args, **kwargs)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="docgen")
def main() -> None:
    """Patient-specific consent forms and aftercare sheets for vertebroplasty and kyphoplasty.

    \b
    Exit status: 0 all went well; 1 a record was refused (bad field, safety
    rule, file exists); 2 the command could not run (bad option, unreadable
    file, broken template or catalogue).
    """


def _single(document: str, patient: Path | None, out_dir: Path, content: dict, force: bool,
            override: str | None, large_print: bool, allow_draft: bool, bundle: Path | None = None,
            fhir=None, patient_id: str | None = None) -> None:
    if (patient is None) == (bundle is None):
        raise click.UsageError("give either PATIENT (.yaml or .json) or --fhir BUNDLE.json")
    if patient_id and bundle is None:
        raise click.UsageError("--fhir-patient chooses a Patient of the --fhir BUNDLE.json")
    options = Options(force=force, override=override, large_print=large_print,
                      allow_draft=allow_draft, **content)
    from . import register  # SQLAlchemy: only for the commands that issue documents

    book = register.Register()  # opened first: a document is never issued unrecorded

    def on_written(built) -> None:
        book.record(register.issued_from_built(built), user=register.login_name(), origin="cli")

    failure = None
    if bundle is None and not fhir.wanted:
        path = generate(document, patient, out_dir, options, on_written=on_written)
    else:
        from .fhir.run import one_document

        path, failure = one_document(document, out_dir, options, fhir, _now(), on_written=on_written,
                                     record_file=patient, bundle_file=bundle, patient_id=patient_id)
    click.echo(str(path))
    if failure:
        click.echo(failure, err=True)
        raise click.exceptions.Exit(1)


@main.command()
@click.argument("patient", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--fhir", "bundle", type=click.Path(dir_okay=False, path_type=Path), metavar="BUNDLE.json",
              help="Take the patient from a FHIR R4 Bundle (one Patient) instead of PATIENT.")
@click.option("--fhir-patient", "patient_id", metavar="ID",
              help="With --fhir: the Patient to print (Patient/ID) when the Bundle holds several.")
@document_options
@fhir_options
@content_options
def consent(patient, bundle, patient_id, out_dir, content, force, override, large_print, allow_draft, fhir):
    """Print one consent form for the patient in PATIENT (.yaml or .json) or a FHIR Bundle.

    \b
    Examples:
      docgen consent examples/patient.yaml -o output/
      docgen consent --fhir bundle.json -o output/ --fhir-out
    """
    _single("consent", patient, out_dir, content, force, override, large_print, allow_draft, bundle, fhir,
            patient_id)


@main.command()
@click.argument("patient", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--fhir", "bundle", type=click.Path(dir_okay=False, path_type=Path), metavar="BUNDLE.json",
              help="Take the patient from a FHIR R4 Bundle (one Patient) instead of PATIENT.")
@click.option("--fhir-patient", "patient_id", metavar="ID",
              help="With --fhir: the Patient to print (Patient/ID) when the Bundle holds several.")
@document_options
@fhir_options
@content_options
def aftercare(patient, bundle, patient_id, out_dir, content, force, override, large_print, allow_draft, fhir):
    """Print one aftercare (discharge) sheet for the patient in PATIENT (.yaml or .json) or a FHIR Bundle.

    \b
    Examples:
      docgen aftercare examples/patient.yaml -o output/
      docgen aftercare --fhir bundle.json -o output/ --fhir-out
    """
    _single("aftercare", patient, out_dir, content, force, override, large_print, allow_draft, bundle, fhir,
            patient_id)


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--document", type=click.Choice(DOCUMENTS), required=True,
              help="Which document to make for every row.")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("output"), show_default=True,
              help="Folder for the PDFs, manifest.csv and errors.csv.")
@click.option("--merge", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write one print-ready PDF of every document, in list order.")
@click.option("--duplex", is_flag=True,
              help="With --merge: pad each document to an even page count for two-sided printing.")
@click.option("--jobs", type=click.IntRange(min=1), metavar="N",
              help="Worker processes (default: the number of CPUs).")
@click.option("--force", is_flag=True, help="Make every document again, replacing existing files.")
@click.option("--columns", "column_map", type=click.Path(dir_okay=False, path_type=Path),
              metavar="MAP.yaml", help="Map docgen fields to the list's own column headers.")
@click.option("--set", "settings", multiple=True, metavar="FIELD=VALUE",
              help="A value for every row that lacks one (repeatable).")
@click.option("--large-print", is_flag=True, help="Body text of at least 16 pt for every row.")
@click.option("--allow-draft", is_flag=True,
              help="Use draft or out-of-review content; every page is marked DRAFT.")
@fhir_options
@content_options
def batch(input_path, document, out_dir, merge, duplex, jobs, force, column_map, settings,
          large_print, allow_draft, content, fhir):
    """Make one document per row of a patient list (CSV or .xlsx) or per Patient of a FHIR Bundle (.json).

    Columns are matched by name (docgen's field names, or a --columns map);
    an `override` column gives a clinician's reason for that row only. Bad rows
    are reported on stderr and in errors.csv; good rows are still made.
    Re-running the same command finishes an interrupted list without touching
    finished files.

    \b
    Example:
      docgen batch list.csv --document aftercare -o output/ --merge print.pdf --duplex
      docgen batch bundle.json --document consent -o output/ --fhir-out
      docgen batch export.csv --document aftercare --columns examples/synthea-columns.yaml \\
        --set procedure=kyphoplasty --set levels=L1 --set procedure_date=2026-11-20

    \b
    Exit status: 0 every row made (or already there); 1 some rows refused;
    2 the list cannot be read or lacks a required column; 130 interrupted.
    """
    options = Options(force=force, large_print=large_print, allow_draft=allow_draft, **content)
    from . import register  # SQLAlchemy: only for the commands that issue documents

    book = register.Register()
    user = register.login_name()
    job = Batch.open(input_path, document, out_dir, options, column_map=column_map,
                     settings=settings, merge=merge, duplex=duplex, jobs=jobs)
    from .fhir.run import filer

    filing = filer(job.generator, fhir, _now())
    not_filed = 0
    for warning in job.warnings:
        click.echo(f"warning: {warning}", err=True)
    err = sys.stderr
    show_bar = err.isatty() and job.total is not None
    bar = click.progressbar(length=job.total or 0, file=err, label="rows") if show_bar else None
    done = job.header_rows

    def report(result):
        nonlocal done, not_filed
        if result.status == "refused":
            for problem in result.problems:
                click.echo(str(problem), err=True)
        elif result.status == "written":
            book.record(register.issued_from_row(result), user=user, origin="batch")
            if filing is not None:
                patient_reference, request_reference = job.fhir_references(result.row)
                failure = filing.file(job.out_dir / result.file, document=result.document,
                                      document_id=result.document_id, mrn=result.mrn,
                                      patient_reference=patient_reference, request_reference=request_reference)
                if failure:
                    not_filed += 1
                    click.echo(failure, err=True)
        if bar is not None:
            bar.update(result.row - done)
        done = result.row

    if bar is not None:
        with bar:
            summary = job.run(report)
    else:
        summary = job.run(report)
    click.echo(f"docgen batch: {summary}; manifest: {summary.manifest}"
               + (f"; print file: {summary.merged}" if summary.merged else "")
               + (f"; {not_filed} not filed" if not_filed else ""))
    raise click.exceptions.Exit(max(summary.exit_code, 1 if not_filed else 0))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; the default is this machine only (put a proxy in front).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), metavar="N",
              help="Worker processes (default: the number of CPUs).")
@content_options
def serve(host, port, workers, content):
    """Start the web pages: one patient's form, patient lists, the catalogue and the register.

    \b
    Settings come from environment variables (see the README): DOCGEN_DATABASE_URL,
    DOCGEN_DATA, DOCGEN_USER_HEADER, DOCGEN_MAX_UPLOAD_MB, DOCGEN_MAX_ROWS,
    DOCGEN_RETENTION_MINUTES.

    \b
    Example:
      docgen serve --port 8000 --workers 2
    """
    import os

    from .web import create_app  # Flask and gunicorn: only for this command
    from .web.server import serve as run_server

    app = create_app(**content)
    run_server(app, host, port, workers or os.cpu_count() or 1, click.echo)


@main.command(name="check")
@content_options
def check_command(content):
    """Check all content before it reaches a patient; exit 1 on any problem.

    \b
    - every template and risk file: schema, document control, review dates
    - every English template message translated into every shipped language,
      and each compiled .mo up to date with its .po
    - reading level of every English text (Flesch-Kincaid grade 8 at most)
    - every document rendered for every procedure, language and print size

    \b
    Examples:
      docgen check
      docgen check --templates our-templates/ --risks our-risks/
    """
    # Imported here: its reading-level checker (textstat) would add 35 ms to every command.
    from . import check

    report = check.run(**content)
    for line in report.lines:
        click.echo(line)
    for line in report.problems:
        click.echo(f"problem: {line}", err=True)
    if report.problems:
        click.echo(f"docgen check: {len(report.problems)} problem(s)", err=True)
        raise click.exceptions.Exit(EXIT_REFUSED)
    click.echo("docgen check: all content valid")


@main.command()
@click.option("-o", "--output", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("review.pdf"), show_default=True, help="Where to write the review pack.")
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@content_options
def review(out_file, force, content):
    """Print the content review pack for a hospital's clinical lead to check and sign.

    Per procedure and indication: every patient-facing text of both documents, every risk with
    its figures and full sources, every rule, the reading grade of each text, the document
    control of each item, and a sign-off block.

    \b
    Example:
      docgen review -o review.pdf
    """
    from . import output
    from . import review as review_pack

    pdf_bytes, pages = review_pack.build(content.get("templates", resources.default_templates()),
                                         content.get("risks", resources.default_risks()))
    output.prepare_folder(out_file.parent)
    output.write_atomic(out_file, pdf_bytes, force=force)
    click.echo(f"{out_file} ({pages} pages)")


@main.command()
@click.option("--procedure", metavar="NAME",
              help="Only this procedure's risks (one listed in the catalogue, such as kyphoplasty).")
@click.option("--patient", type=click.Path(dir_okay=False, path_type=Path),
              help="Show the tailored selection for this patient, and which rules fired and why.")
@content_options
def risks(procedure, patient, content):
    """Print the risk catalogue as a table, or one patient's tailored risks.

    \b
    Examples:
      docgen risks --procedure kyphoplasty
      docgen risks --patient examples/patient.yaml
    """
    generator = Generator("consent", Options(allow_draft=True, **content))
    if procedure is not None and procedure not in generator.catalogue.procedures:
        raise click.BadParameter(f"{procedure!r} is not one of {', '.join(generator.catalogue.procedures)}",
                                 param_hint="'--procedure'")
    if patient is None:
        lines = listing.catalogue_lines(generator.catalogue, procedure)
    else:
        # Neither a clinician nor a procedure date is needed to see which risks apply.
        case = parse_case(read_record_file(patient), document="", source=str(patient),
                          vocabulary=generator.catalogue.vocabulary, can_draw=None,
                          today=generator.today)
        lines = listing.patient_lines(generator.catalogue, case, generator.today)
    click.echo("\n".join(lines))


@main.command()
@click.option("--templates", type=click.Path(file_okay=False, path_type=Path),
              help="Templates folder whose messages to update (default: the shipped one).")
def messages(templates):
    """Re-extract template text, update every language's .po and compile its .mo.

    \b
    Run it after editing the English text of a template, then give the new
    (empty or fuzzy) entries in templates/locale/LANG/LC_MESSAGES/docgen.po to a
    translator, and run it again to compile their work.
    A new language: create templates/locale/LANG/LC_MESSAGES/ and run it.

    \b
    Example:
      docgen messages --templates templates/
    """
    for line in translations.update(templates or resources.default_templates()):
        click.echo(line)


@main.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write NAME.schema.json files into this folder (default: print them as one JSON object).")
def schema(out_dir):
    """Export JSON Schema for the files a hospital edits, for an editor's completion and checks.

    \b
    Examples:
      docgen schema --out schemas/
      # VS Code (YAML extension): "yaml.schemas": {"schemas/record.schema.json": "patients/*.yaml"}
    """
    from . import schemas

    if out_dir is None:
        click.echo(json.dumps({name: schemas.json_schema(name) for name in sorted(schemas.SCHEMAS)},
                              indent=2, ensure_ascii=False, sort_keys=True))
        return
    try:
        paths = schemas.write_schemas(out_dir)
    except OSError as exc:
        raise DocgenError(f"{out_dir}: cannot write the schema files: {exc.strerror}") from None
    for path in paths:
        click.echo(str(path))
