"""The web application's settings: defaults, then environment variables, then what the caller gives."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .. import register

# name: (environment variable, default, type)
_SETTINGS = {
    "DOCGEN_DATABASE_URL": ("DOCGEN_DATABASE_URL", None, str),
    "DOCGEN_DATA": ("DOCGEN_DATA", None, Path),
    "DOCGEN_USER_HEADER": ("DOCGEN_USER_HEADER", None, str),  # e.g. X-Remote-User, set by the proxy
    "DOCGEN_MAX_UPLOAD_MB": ("DOCGEN_MAX_UPLOAD_MB", 10.0, float),
    "DOCGEN_MAX_ROWS": ("DOCGEN_MAX_ROWS", 5000, int),
    "DOCGEN_RETENTION_MINUTES": ("DOCGEN_RETENTION_MINUTES", 60.0, float),
    "DOCGEN_JOB_PROCESSES": ("DOCGEN_JOB_PROCESSES", 1, int),
    # Behind a proxy that serves https: the session cookie is then never sent over plain http.
    "SESSION_COOKIE_SECURE": ("DOCGEN_SECURE_COOKIES", False, lambda v: v.lower() in ("1", "yes", "true")),
}


def settings(overrides: dict | None = None) -> dict:
    """Every setting resolved; overrides (from tests or `docgen serve`) win over the environment."""
    values = {}
    for name, (env, default, kind) in _SETTINGS.items():
        raw = os.environ.get(env)
        values[name] = kind(raw) if raw not in (None, "") else default
    values.update(overrides or {})
    if values["DOCGEN_DATA"] is None:
        values["DOCGEN_DATA"] = register.data_folder()
    values["DOCGEN_DATA"] = Path(values["DOCGEN_DATA"])
    values.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    values.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)  # a form left open for a whole shift still posts
    values["MAX_CONTENT_LENGTH"] = int(values["DOCGEN_MAX_UPLOAD_MB"] * 1024 * 1024)
    values.setdefault("SECRET_KEY", os.environ.get("DOCGEN_SECRET_KEY") or _secret_key(values["DOCGEN_DATA"]))
    return values


def _secret_key(folder: Path) -> str:
    """One key kept in the data folder, so every worker and every restart signs the same way."""
    path = folder / "secret_key"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip()
