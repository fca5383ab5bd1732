"""A hospital's --templates folder cannot run code, read outside itself or hang docgen (issue 10.3)."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from docgen import resources
from docgen.layout import render


@pytest.fixture
def templates(tmp_path):
    return shutil.copytree(resources.default_templates(), tmp_path / "templates")


def inject(templates, text: str) -> int:
    """Put text at the start of the consent form's story; return its line number in the template."""
    page = templates / "consent.rml.j2"
    source = page.read_text()
    marker = "{% block story %}"
    line = source[:source.index(marker)].count("\n") + 1
    page.write_text(source.replace(marker, marker + text, 1))
    return line


def make(run, patient, tmp_path, templates):
    started = time.monotonic()
    result = run("consent", patient(), "-o", tmp_path / "out", "--templates", templates)
    return result, time.monotonic() - started


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize("expression, says", [
    ("{{ lipsum.__globals__['os'].popen('touch PWNED').read() }}", "not allowed"),
    ("{{ cycler.__init__.__globals__.os.system('touch PWNED') }}", "not allowed"),
    ("{{ ''.__class__.__mro__ }}", "not allowed"),
    ("{{ range(10**12)|list }}", "range"),
    ("{{ 1/0 }}", "ZeroDivisionError"),
    ("{{ 'x' * 10**9 }}", "longer than"),
    ("{{ 7 ** 1000000 }}", "bits"),
    ("{% set x = [] %}{{ x.append(1) }}", "not allowed"),
])
def test_template_code_is_refused_in_one_line(run, patient, tmp_path, templates, expression, says):
    line = inject(templates, expression)
    result, took = make(run, patient, tmp_path, templates)
    error = one_error_line(result)
    assert str(templates / "consent.rml.j2") in error and f"line {line}" in error, error
    assert says in error
    assert took < 30  # bounded work (the machine is shared; a hang would be minutes)
    assert not (tmp_path / "PWNED").exists()
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_slow_template_is_stopped(run, patient, tmp_path, templates, monkeypatch):
    monkeypatch.setattr(render, "RENDER_SECONDS", 2.0)
    line = inject(templates, "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}")
    result, took = make(run, patient, tmp_path, templates)
    error = one_error_line(result)
    assert "longer than 2 seconds" in error and f"line {line}" in error
    assert took < 20


def test_a_huge_output_is_stopped(run, patient, tmp_path, templates, monkeypatch):
    monkeypatch.setattr(render, "MAX_RML_CHARS", 200_000)
    inject(templates, "{% for i in range(100000) %}<!-- {{ 'x' * 50 }} -->{% endfor %}")
    result, _ = make(run, patient, tmp_path, templates)
    assert "more than 200,000 characters" in one_error_line(result)


@pytest.mark.parametrize("how", ["dotdot", "symlink"])
def test_include_outside_the_folder_is_refused_without_quoting_it(run, patient, tmp_path, templates, how):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT {{ 1 }}")
    if how == "symlink":
        os.symlink(secret, templates / "leak.rml.j2")
        inject(templates, "{% include 'leak.rml.j2' %}")
    else:
        inject(templates, "{% include '../secret.txt' %}")
    result, _ = make(run, patient, tmp_path, templates)
    error = one_error_line(result)
    assert "outside the templates folder" in error
    assert "SECRET" not in result.stderr + result.stdout


def test_include_of_a_fifo_is_refused_not_hung(run, patient, tmp_path, templates):
    os.mkfifo(templates / "pipe.rml.j2")
    inject(templates, "{% include 'pipe.rml.j2' %}")
    result, took = make(run, patient, tmp_path, templates)
    assert "not a regular file" in one_error_line(result)
    assert took < 30


def test_alias_bomb_in_a_control_block_is_refused(run, patient, tmp_path, templates):
    page = templates / "consent.rml.j2"
    source = page.read_text()
    bomb = "\n".join(["a: &a [x, x, x, x, x, x, x, x, x]"] +
                     [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
                      f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]" for i in range(9)])
    page.write_text(source.replace("{#---\n", "{#---\n" + bomb + "\n", 1))
    result, took = make(run, patient, tmp_path, templates)
    error = one_error_line(result)
    assert "aliases" in error and str(page) in error
    assert took < 30


def test_shipped_templates_still_render(run, patient, tmp_path):
    result = run("consent", patient(), "-o", tmp_path / "out")
    assert result.exit_code == 0, result.stderr


def test_include_of_an_oversized_template_is_refused_before_reading(run, patient, tmp_path, templates):
    with open(templates / "huge.rml.j2", "wb") as handle:
        handle.truncate(2 * 1024 * 1024)  # sparse: 2 MB of nothing, over the 1 MB cap
    inject(templates, "{% include 'huge.rml.j2' %}")
    result, took = make(run, patient, tmp_path, templates)
    error = one_error_line(result)
    assert "huge.rml.j2: is larger than 1 MB; too large for a template" in error
    assert took < 30
