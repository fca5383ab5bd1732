"""The Flask application: settings, the library loaded once, security headers, identity, error pages."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from flask import Flask, current_app, g, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..content.catalogue import Catalogue, load_catalogue
from ..errors import DocgenError
from ..generate import Generator, Options
from ..register import Clock, Register, utc_now
from . import config

log = logging.getLogger("docgen.web")

# Scripts, styles and images come from docgen itself: no inline code, no CDN, no framing.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                           "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


@dataclass
class Library:
    """What every request shares: content, generators (built once, before workers fork), the register."""

    options: Options
    catalogue: Catalogue
    register: Register
    clock: Clock
    generators: dict[str, Generator] = field(default_factory=dict)
    built_on: dict[str, date] = field(default_factory=dict)

    def generator(self, document: str) -> Generator:
        """The document's generator, made again each day: content passing its review date stops printing.

        A content-control refusal (draft or out-of-review content) is raised again on every request.
        """
        today = self.clock().date()
        if document not in self.generators or self.built_on.get(document) != today:
            self.generators.pop(document, None)
            self.generators[document] = Generator(document, self.options)
            self.built_on[document] = today
        return self.generators[document]


def create_app(overrides: dict | None = None, *, clock: Clock = utc_now,
               templates: Path | None = None, risks: Path | None = None) -> Flask:
    """The application; ``clock`` is the one source of the time recorded in the register."""
    app = Flask(__name__)
    app.config.update(config.settings(overrides))
    content = {k: v for k, v in (("templates", templates), ("risks", risks)) if v is not None}
    options = Options(**content)
    shared = app.extensions["docgen"] = Library(
        options=options,
        catalogue=load_catalogue(options.risks),
        register=Register(app.config["DOCGEN_DATABASE_URL"] or _default_url(app), clock=clock),
        clock=clock,
    )
    for document in ("consent", "aftercare"):
        try:
            shared.generator(document)
        except DocgenError:
            pass  # draft content: each request for it says why, the other pages still work
    CSRFProtect(app)

    from . import clinician, office, pages

    app.register_blueprint(clinician.blueprint)
    app.register_blueprint(office.blueprint)
    app.register_blueprint(pages.blueprint)
    app.before_request(_identify)
    app.after_request(_security_headers)
    app.register_error_handler(CSRFError, _csrf_refused)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _defect)
    app.jinja_env.globals["current_user"] = lambda: g.get("user", "anonymous")
    return app


def _default_url(app: Flask) -> str:
    return f"sqlite:///{app.config['DOCGEN_DATA'] / 'register.sqlite'}"


def library() -> Library:
    return current_app.extensions["docgen"]


def _identify() -> None:
    """The user the hospital's proxy vouches for, only when docgen is told which header it sets."""
    header = current_app.config.get("DOCGEN_USER_HEADER")
    user = request.headers.get(header, "").strip() if header else ""
    g.user = user[:200] if user else "anonymous"


def _security_headers(response):
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if not request.path.startswith("/static/"):
        # Pages, PDFs and reports carry patient data: never kept by a browser or proxy.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def _csrf_refused(error: CSRFError):
    return render_template("error.html", title="Form refused",
                           message="This form was refused because its security token is missing or "
                                   "out of date. Go back, reload the page and try again."), 400


def _too_large(error: RequestEntityTooLarge):
    limit = current_app.config["DOCGEN_MAX_UPLOAD_MB"]
    return render_template("error.html", title="File too large",
                           message=f"The file is larger than the limit of {limit:g} MB. Split the list "
                                   "into smaller files and upload each one."), 413


def _http_error(error: HTTPException):
    return render_template("error.html", title=error.name, message=error.description), error.code


def _defect(error: Exception):
    # The type only: an exception's text may hold a patient's details.
    log.error("request %s %s failed: %s", request.method, request.path, type(error).__name__)
    return render_template("error.html", title="Something went wrong",
                           message="docgen could not finish this request. Nothing was printed. "
                                   "Please report the time it happened to the team that runs docgen."), 500
