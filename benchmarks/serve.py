"""`docgen serve` under load: single consent forms with 1, 2 and 8 concurrent clients (issue 14).

Run from the repository with docgen installed in a virtual environment:

    .venv/bin/python benchmarks/serve.py            # about 2 minutes on 2 cores
    .venv/bin/python benchmarks/serve.py --quick    # fewer requests, for a look

It starts `docgen serve --workers 2` on a free loopback port (a throwaway data
folder, SQLite register), times Generator.build for the same patient in this
process, then posts the clinician's form for a consent form from 1, 2 and 8
client threads at once (each with its own session and CSRF token) and reports
requests per second and p50/p95 latency. The numbers go to their own section of
docs/performance.md. Not a test: on a shared machine the numbers move.
"""

# It runs docgen as a subprocess with fixed arguments, by design.
# ruff: noqa: S603, S310

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCGEN = str(Path(sys.executable).parent / "docgen")
BEGIN, END = "<!-- serve.py: begin -->", "<!-- serve.py: end -->"
FORM = {"mrn": "BENCH-0001", "given_name": "Ada", "family_name": "Example", "date_of_birth": "1941-03-02",
        "procedure": "kyphoplasty", "levels": ["T12", "L1"], "indication": "osteoporosis",
        "comorbidities": ["anticoagulants"], "clinician": "Dr Amara Okafor", "procedure_date": "2026-11-20",
        "action": "consent"}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def in_process(repeat: int) -> list[float]:
    """Generator.build for the same record, warm, in this process: the floor a request sits on."""
    from docgen.generate import Generator

    generator = Generator("consent")
    raw = {k: v for k, v in FORM.items() if k != "action"}
    case = generator.case(raw, source="bench")
    generator.build(case)  # warm: fonts, templates, z3c.rml's imports
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        generator.build(case)
        times.append(time.perf_counter() - start)
    return times


class Client:
    """One browser: its own cookies and CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = self.opener.open(base + "/").read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        self.body = urllib.parse.urlencode({**FORM, "csrf_token": token}, doseq=True).encode()

    def consent(self) -> float:
        start = time.perf_counter()
        with self.opener.open(self.base + "/", data=self.body) as response:
            data = response.read()
        elapsed = time.perf_counter() - start
        assert response.status == 200 and data.startswith(b"%PDF"), response.status
        return elapsed


def load(base: str, clients: int, per_client: int) -> tuple[float, list[float]]:
    """(requests per second, latencies) with `clients` threads each making `per_client` requests."""
    sessions = [Client(base) for _ in range(clients)]
    for session in sessions:
        session.consent()  # each worker warm before the clock starts
    latencies: list[float] = []
    lock = threading.Lock()

    def run(session: Client) -> None:
        mine = [session.consent() for _ in range(per_client)]
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run, args=(s,)) for s in sessions]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    return len(latencies) / wall, latencies


def start_server(data: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DOCGEN_DATA": str(data)}
    env.pop("DOCGEN_DATABASE_URL", None)
    process = subprocess.Popen([DOCGEN, "serve", "--port", str(port), "--workers", "2"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = process.stdout.readline()
    if "listening on" not in line:
        process.kill()
        raise SystemExit(f"docgen serve did not start: {line}")
    return process, f"http://127.0.0.1:{port}"


def report(build: list[float], runs: dict[int, tuple[float, list[float]]], settings: str,
           loads: tuple[float, float]) -> str:
    build_p50 = statistics.median(build) * 1000
    busy = max(loads) > (os.cpu_count() or 1)
    lines = [BEGIN, "## docgen serve under load (benchmarks/serve.py, issue 14)", "",
             f"`docgen serve --workers 2`, SQLite register, on this machine ({os.cpu_count()} CPUs; "
             f"load average {loads[0]:.1f} at the start and {loads[1]:.1f} at the end: "
             + (f"above {os.cpu_count()}, other work was competing for the cores"
                if busy else f"below {os.cpu_count()}, so the cores were mostly free")
             + f"). {settings}", "",
             "| clients | requests/s | p50 ms | p95 ms |", "| --- | --- | --- | --- |"]
    for clients, (rate, latencies) in runs.items():
        lines.append(f"| {clients} | {rate:.1f} | {percentile(latencies, 50) * 1000:.0f} | "
                     f"{percentile(latencies, 95) * 1000:.0f} |")
    lines += ["", f"In process, Generator.build for the same consent form: p50 {build_p50:.0f} ms "
              f"({1000 / build_p50:.1f} per second on one core).", ""]
    p50_1 = percentile(runs[1][1], 50) * 1000
    ratio_build = p50_1 / build_p50
    scaling = runs[2][0] / runs[1][0]
    queueing = percentile(runs[8][1], 95) * 1000 / p50_1
    lines += ["| target | measured | met |", "| --- | --- | --- |",
              f"| one client's p50 at most 1.3x the in-process build | {ratio_build:.2f}x | "
              f"{'yes' if ratio_build <= 1.3 else 'no'} |",
              f"| 2 clients on 2 workers at least 1.7x the throughput of 1 | {scaling:.2f}x | "
              f"{'yes' if scaling >= 1.7 else 'no'} |",
              f"| p95 with 8 clients at most 5x p50 with 1 | {queueing:.2f}x | "
              f"{'yes' if queueing <= 5 else 'no'} |", "",
              "A request also parses and validates the form, signs and checks the CSRF token, records "
              "the document in the register (one SQLite commit) and sends the PDF over loopback; the "
              "first ratio is what that costs. The other two need two free cores: 2 workers can only "
              "double the throughput when nothing else runs, and with 8 clients on 2 workers each "
              "request waits behind about 3 others, so p95 with 8 clients is at best about 4x one "
              "request's time. On a machine whose cores are taken by other work (load average above "
              "the number of CPUs, and Generator.build here slower than in the run above), neither "
              "ratio can show what docgen serve itself does; run it again on a quiet machine.", END]
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + section + text[text.index(END) + len(END) + 1:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests")
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "performance.md")
    args = parser.parse_args()
    per_client = {1: 10, 2: 10, 8: 3} if args.quick else {1: 40, 2: 30, 8: 10}
    load_start = os.getloadavg()[0]
    build = in_process(10 if args.quick else 40)
    print(f"in process: p50 {statistics.median(build) * 1000:.0f} ms")
    runs: dict[int, tuple[float, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="docgen-serve-bench-") as tmp:
        process, base = start_server(Path(tmp))
        try:
            for clients, count in per_client.items():
                runs[clients] = load(base, clients, count)
                rate, latencies = runs[clients]
                print(f"{clients} client(s): {rate:.1f} requests/s, p50 {percentile(latencies, 50) * 1000:.0f} ms, "
                      f"p95 {percentile(latencies, 95) * 1000:.0f} ms")
        finally:
            process.terminate()
            process.wait(timeout=30)
    settings = ("Requests per client: " + ", ".join(f"{n} with {c} client(s)" for c, n in per_client.items())
                + f"; in-process p50 of {len(build)} builds.")
    section = report(build, runs, settings, (load_start, os.getloadavg()[0]))
    write_section(args.output, section)
    print(section)


if __name__ == "__main__":
    main()
