"""The catalogue page (risks per procedure, with likelihoods and sources) and the register's search page."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ..content import listing
from ..input.records import PROCEDURES
from ..register import as_utc
from .app import library

blueprint = Blueprint("pages", __name__)


@blueprint.route("/catalogue")
def catalogue():
    cat = library().catalogue
    procedures = []
    for procedure in PROCEDURES:
        rows = [(risk.title["en"], listing.likelihood_words(cat, risk.likelihood[procedure]),
                 cat.sources.get(risk.likelihood[procedure].source, risk.likelihood[procedure].source))
                for risk in cat.risks if procedure in risk.likelihood]
        procedures.append((cat.procedures[procedure]["name"]["en"], rows))
    return render_template("catalogue.html", title="Risk catalogue", version=cat.version,
                           procedures=procedures, bands_source=cat.sources.get(cat.band_source, cat.band_source))


@blueprint.route("/register")
def register():
    query = request.args.get("q", "")[:200]
    documents = library().register.search(query)
    return render_template("register.html", title="Register of documents issued", query=query,
                           documents=documents, as_utc=as_utc)
