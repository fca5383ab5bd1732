"""Where the shipped templates, risk catalogue and example patients are."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def shipped(name: str) -> Path:
    """A shipped folder: inside the installed package, or at the top of a source checkout."""
    inside = _PACKAGE / name
    return inside if inside.is_dir() else _PACKAGE.parent / name


def default_templates() -> Path:
    return shipped("templates")


def default_risks() -> Path:
    return shipped("risks")


def examples() -> Path:
    return shipped("examples")
