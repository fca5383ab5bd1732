"""docgen: patient-specific consent forms and aftercare sheets for vertebroplasty and kyphoplasty."""

from .generate import Built, Generator, Options, generate

__version__ = "0.1.0"
__all__ = ["Built", "Generator", "Options", "generate", "__version__"]
