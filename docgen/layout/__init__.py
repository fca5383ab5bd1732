"""How the documents look: Jinja to RML, guarded RML to PDF, fonts and the per-page scan code."""
