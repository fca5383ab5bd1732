"""docgen serve: the clinician's form, the office's upload page, the catalogue and the register, in a browser."""

from .app import create_app

__all__ = ["create_app"]
