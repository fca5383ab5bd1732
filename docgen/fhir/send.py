"""POST a DocumentReference to a FHIR server; a failure is reported, never raised past one document."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

TIMEOUT_SECONDS = 20
FHIR_JSON = "application/fhir+json"


def check_server(url: str) -> str:
    """The server's base URL, or ValueError: only http(s), so no file:// or other scheme is reached."""
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError(f"--fhir-server {url!r}: expected an http:// or https:// FHIR base URL")
    return url.rstrip("/")


def post(server: str, resource: dict[str, Any]) -> str | None:
    """Create the resource on the server; None when it was accepted, else the one-line reason."""
    body = json.dumps(resource, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked in check_server
        f"{server}/{resource['resourceType']}", data=body, method="POST",
        headers={"Content-Type": f"{FHIR_JSON}; charset=utf-8", "Accept": FHIR_JSON})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            if response.status in (200, 201):
                return None
            return f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"could not reach the server ({reason})"
