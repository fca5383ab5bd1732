"""docgen's speed and memory against bare ReportLab, measured on this machine (issue 7).

Run from the repository with docgen installed in a virtual environment:

    .venv/bin/python benchmarks/run.py            # full run, writes docs/performance.md
    .venv/bin/python benchmarks/run.py --quick    # fewer rows and repetitions, for a look

It prints a table and writes it, with the machine's details and the targets
met or not, to docs/performance.md. Not part of the test suite: timings on a
shared machine are noisy, so the targets are ratios and nothing here asserts.
"""

from __future__ import annotations

import argparse
import csv
import html
import importlib.metadata
import io
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
PATIENT = REPO / "examples" / "patient.yaml"
PYTHON = sys.executable
DOCGEN = str(Path(PYTHON).parent / "docgen")
_PAGE = re.compile(rb"/Type /Page[^s]")


def pages_of(pdf: bytes) -> int:
    # ReportLab writes no object streams, so every page object's dictionary is plain text.
    return len(_PAGE.findall(pdf))


# --- the machine ---------------------------------------------------------------------------

def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = {}
    for dist in ("docgen", "reportlab", "rl-accel", "z3c.rml", "lxml", "Jinja2", "weasyprint"):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    try:
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "?"
    try:
        from reportlab.lib import rl_accel
        accel = "yes" if rl_accel._c_funcs else "no"
    except (ImportError, AttributeError):
        accel = "?"
    return {
        "CPU": cpu,
        "cores": f"{os.cpu_count()} ({usable} usable by this process)",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "libraries": ", ".join(f"{k} {v}" for k, v in versions.items()),
        "ReportLab C accelerators in use": accel,
        "docgen commit": commit,
    }


# --- the floor's content, taken once from a docgen-rendered consent form ----------------------

def _inner(el) -> str:
    """A paragraph element's content as ReportLab paragraph markup."""
    from lxml import etree

    text = html.escape(el.text or "", quote=False)
    for child in el:
        if child.tag == "pageNumber":
            text += "{page}" + html.escape(child.tail or "", quote=False)
        elif child.tag == "getName":
            text += "{total}" + html.escape(child.tail or "", quote=False)
        else:
            text += etree.tostring(child, encoding=str, with_tail=True)
    return text


def _items(parent) -> list:
    items: list = []
    for el in parent:
        if el.tag == "para":
            items.append(["para", el.get("style"), _inner(el)])
        elif el.tag == "spacer":
            items.append(["spacer", float(el.get("length"))])
        elif el.tag == "keepTogether":
            items.append(["keep", _items(el)])
        elif el.tag == "ul":
            items.append(["ul", dict(el.attrib), [_items(li) for li in el.iter("li")]])
        elif el.tag == "blockTable":
            widths = el.get("colWidths").split()
            heights = [float(h) for h in el.get("rowHeights").split(",")] if el.get("rowHeights") else None
            rows = [[_items(td) for td in tr.iter("td")] for tr in el.iter("tr")]
            items.append(["table", el.get("style"), widths, heights, int(el.get("repeatRows", 0)), rows])
        elif el.tag == "namedString":
            continue  # the floor gets its page total its own way
        else:
            raise ValueError(f"floor: no platypus equivalent written for <{el.tag}>")
    return items


def consent_rml():
    """The example patient's consent form as docgen hands it to z3c.rml (checked RML tree)."""
    from docgen import fonts, pdf, render
    from docgen.generate import Generator
    from docgen.records import read_record_file

    generator = Generator("consent")
    captured = []
    original = pdf.rml_to_pdf

    def capture(root, template):
        captured.append(root)
        return original(root, template)

    pdf.rml_to_pdf = capture
    try:
        generator.build(generator.case(read_record_file(PATIENT), source=str(PATIENT)))
    finally:
        pdf.rml_to_pdf = original
    root = captured[0]
    fonts.apply_fallback(root)
    del render
    return root


def floor_content() -> dict:
    from docgen import fonts

    root = consent_rml()
    template = root.find("template").find("pageTemplate")
    header = template.find("header").find("para")
    footer = template.find("footer").findall("para")
    return {
        "font_dir": str(fonts.FONT_DIR),
        "meta": {k: root.get(k) for k in ("title", "author", "subject", "creator")},
        "page": {
            "hospital_line": template.find("pageGraphics").find("drawString").text,
            "identity": _inner(header),
            "footer": [_inner(p) for p in footer],
        },
        "story": _items(root.find("story")),
    }
