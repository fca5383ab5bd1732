"""`docgen serve`: the web application on gunicorn, loaded once before the workers fork."""

from __future__ import annotations

import ipaddress

from gunicorn.app.base import BaseApplication

from .. import resources
from ..input.records import read_record_file


class Server(BaseApplication):
    """gunicorn with docgen's application object and settings, no configuration file."""

    def __init__(self, app, settings: dict):
        self.app = app
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.settings.items():
            self.cfg.set(name, value)

    def load(self):
        return self.app


def warm(app) -> None:
    """Build one example document in the parent, so z3c.rml, fonts and caches are shared by every worker."""
    library = app.extensions["docgen"]
    example = resources.examples() / "patient.yaml"
    for generator in library.generators.values():
        case = generator.case(read_record_file(example), source=str(example))
        generator.build(case)


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def serve(app, host: str, port: int, workers: int, announce) -> None:
    library = app.extensions["docgen"]
    warm(app)

    def post_fork(_server, _worker) -> None:
        library.register.after_fork()  # each worker opens its own database connections

    def when_ready(_server) -> None:
        where = "this machine only" if is_loopback(host) else "other machines too: put it behind the proxy"
        announce(f"docgen serve: listening on http://{host}:{port}/ ({workers} workers; reachable from "
                 f"{where}); Ctrl-C stops it")

    Server(app, {
        "bind": f"{host}:{port}",
        "workers": workers,
        "preload_app": True,  # the app and z3c.rml load once, before the fork
        "post_fork": post_fork,
        "when_ready": when_ready,
        "accesslog": None,  # request lines would put MRNs from register searches in the log
        "errorlog": "-",
        "loglevel": "warning",
        "timeout": 120,
        "proc_name": "docgen-serve",
    }).run()
