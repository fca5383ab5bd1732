"""docgen's speed and memory against bare ReportLab, measured on this machine (issue 7).

Run from the repository with docgen installed in a virtual environment:

    .venv/bin/python benchmarks/run.py            # full run, writes docs/performance.md
    .venv/bin/python benchmarks/run.py --quick    # fewer rows and repetitions, for a look

It prints a table and writes it, with the machine's details and the targets
met or not, to docs/performance.md. Not part of the test suite: timings on a
shared machine are noisy, so the targets are ratios and nothing here asserts.
"""

# It runs docgen, git and this Python as subprocesses with fixed arguments, by design.
# ruff: noqa: S603, S607

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from content import consent_rml, floor_content, paragraph_markup, write_list  # noqa: E402 (needs the path above)
from report import markdown, targets  # noqa: E402

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
        "load average at start (other work on the machine)": f"{load():.2f}",
    }


# --- measuring -----------------------------------------------------------------------------------

@dataclass
class Result:
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # (measure, value, note)
    values: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, key: str, label: str, value: float | None, unit: str, note: str = "") -> None:
        if value is None:
            self.rows.append((label, "n/a", note))
            return
        self.values[key] = value
        shown = f"{value:.1f} {unit}" if unit else f"{value:.2f}"
        self.rows.append((label, shown, note))
        print(f"  {label:<58} {shown:>12}  {note}", flush=True)


def interleaved(fns: dict[str, object], repeat: int) -> dict[str, float]:
    """Fastest seconds per call of each function, called in turn round after round.

    The machine is shared: other load only ever adds time, so the fastest run is the
    best estimate of the work itself (as timeit's documentation advises), and taking
    turns spreads any lasting load over every measure alike.
    """
    for fn in fns.values():
        fn()  # warm-up: caches filled, code paths loaded
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: min(t) for name, t in times.items()}


def in_process(result: Result, content: dict, repeat: int) -> None:
    """The floor and docgen, one document at a time in this process, taking turns."""
    import copy

    import floor
    from reportlab import rl_config

    from docgen.generate import Generator
    from docgen.input.records import read_record_file
    from docgen.layout import pdf, render

    floor.register_fonts(Path(content["font_dir"]))
    _, floor_pages = floor.build(content)
    generator = Generator("consent")
    case = generator.case(read_record_file(PATIENT), source=str(PATIENT))
    pages = pages_of(generator.build(case).pdf)
    try:
        from docgen.layout import scancode
    except ImportError:  # before scan codes
        scancode = None

    def build():
        # Every real page has a scan code of its own; the floor draws them without a
        # cache, so docgen must not profit here from printing the same patient again.
        if scancode is not None:
            scancode.modules.cache_clear()
        generator.build(case)

    # docgen's stages, to see where its time goes: what one build hands to each.
    render_args: list = []
    original = render.render_rml

    def capture(*args):
        render_args.extend(args)
        return original(*args)

    render.render_rml = capture
    try:
        generator.build(case)
    finally:
        render.render_rml = original
    templates = generator.options.templates
    name = str(templates / render.template_name("consent"))
    rml = render.render_rml(*render_args)
    root = pdf.parse_rml(rml, name, [templates])
    built = generator.build(case)
    target = Path(tempfile.mkdtemp(prefix="write-")) / "doc.pdf"

    def write():
        from docgen import output

        output.write_atomic(target, built.pdf, force=True)

    def count_pages():
        try:
            from docgen.batch import page_count
        except ImportError:  # before docgen batch existed
            return
        page_count(built.pdf)

    def two_passes():
        pdf._names_seen.clear()  # nothing remembered: z3c.rml lays the document out twice
        build()

    def pdf_stage():
        if scancode is not None:
            scancode.modules.cache_clear()
        pdf.rml_to_pdf(copy.deepcopy(root), name)

    scan_text = f"DOCGEN|{case.mrn}|consent|88A79C541355|p1"

    def qr_reportlab():
        from reportlab.graphics.barcode import qrencoder

        qr = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
        qr.addData(scan_text)
        qr.make()

    fns = {
        "floor": lambda: floor.build(content),
        "floor2": lambda: floor.build(content, two_pass=True),
        "docgen": build,
        "render": lambda: render.render_rml(*render_args),
        "parse": lambda: pdf.parse_rml(rml, name, [templates]),
        "pdf": pdf_stage,
        "docgen2": two_passes,
        "reset": rl_config._reset,
        "reset_before": getattr(rl_config._reset, "__wrapped__", rl_config._reset),
        "write": write,
        "count": count_pages,
    }
    if scancode is not None:
        fns["qr"] = lambda: scancode.modules.__wrapped__(scan_text, "M")
        fns["qr_reportlab"] = qr_reportlab
    t = {k: v * 1000 for k, v in interleaved(fns, repeat).items()}
    result.values["floor_pages"] = floor_pages
    result.add("floor_doc", "floor: per document (bare platypus, 1 pass)", t["floor"], "ms",
               f"{floor_pages} pages")
    result.add("floor_page", "floor: per page", t["floor"] / floor_pages, "ms")
    result.add("floor2_page", "floor laid out twice (as z3c.rml's multiBuild does): per page",
               t["floor2"] / floor_pages, "ms", "to see what a second pass costs")
    result.add("inproc_doc", "docgen in one process (Generator.build): per document", t["docgen"],
               "ms", f"{pages} pages, same patient as the floor")
    result.add("inproc_page", "docgen in one process: per page", t["docgen"] / pages, "ms")
    result.add("docgen2", "  the same, laid out twice (no page total remembered, as before)", t["docgen2"],
               "ms", "a single consent form, or each worker's first")
    layout = multibuild_share(build, repeat)
    result.add("layout", "  of which ReportLab layout and drawing (multiBuild)", layout, "ms",
               "page furniture drawn from RML on every page")
    result.add("rest", "  of which the rest: z3c.rml reading RML into flowables, Jinja, checks",
               t["docgen"] - layout, "ms")
    result.add("render", "  of which Jinja render", t["render"], "ms")
    result.add("parse", "  of which lxml parse + guardrail walk", t["parse"], "ms")
    result.add("", "  of which z3c.rml + ReportLab (pdf.rml_to_pdf)", t["pdf"], "ms")
    result.add("reset", "    of which ReportLab's reset at z3c.rml's document start", t["reset"], "ms")
    result.add("reset_before", "    the same reset re-reading the Vera fonts (as before)", t["reset_before"], "ms")
    if scancode is not None:
        result.add("qr", "    of which each page's scan code (QR matrix), per page", t["qr"], "ms")
        result.add("qr_reportlab", "    the same QR matrix by ReportLab's QRCode.make() (as before)",
                   t["qr_reportlab"], "ms")
    result.add("batch_write", "  a batch row adds: the atomic, fsync'd write of the PDF", t["write"], "ms")
    result.add("batch_count", "  a batch row adds: counting its pages for the manifest (pypdf)", t["count"], "ms")
    shutil.rmtree(target.parent)


def multibuild_share(build, repeat: int) -> float:
    """Milliseconds of one docgen document spent in ReportLab's multiBuild (fastest run)."""
    from reportlab.platypus import doctemplate

    original = doctemplate.BaseDocTemplate.multiBuild
    spent = [0.0]

    def timed(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - start

    doctemplate.BaseDocTemplate.multiBuild = timed
    try:
        best = None
        for _ in range(repeat):
            spent[0] = 0.0
            start = time.perf_counter()
            build()
            total = time.perf_counter() - start
            if best is None or total < best[0]:
                best = (total, spent[0])
    finally:
        doctemplate.BaseDocTemplate.multiBuild = original
    return best[1] * 1000


def wall(commands: dict[str, list[str]], repeat: int, cwd: Path) -> dict[str, float]:
    """Fastest wall seconds of a fresh process for each command, the commands taking turns."""
    def runner(argv: list[str]):
        return lambda: subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL)

    return interleaved({name: runner(argv) for name, argv in commands.items()}, repeat)


def cold(result: Result, content_file: Path, work: Path, repeat: int) -> None:
    out = work / "cold"
    out.mkdir(exist_ok=True)
    t = wall({
        "import": [PYTHON, "-c", "import reportlab"],
        "floor": [PYTHON, str(Path(__file__).parent / "floor.py"), str(content_file),
                  str(out / "floor.pdf")],
        "consent": [DOCGEN, "consent", str(PATIENT), "-o", str(out), "--force"],
        "version": [DOCGEN, "--version"],
        "imports": [PYTHON, "-c", "import docgen.generate, docgen.layout.pdf"],
        "worker": [PYTHON, "-c", "import docgen.batch, docgen.layout.pdf; docgen.batch.Generator('consent')"],
    }, repeat, REPO)
    t = {k: v * 1000 for k, v in t.items()}
    result.add("cold_import", 'cold process: python -c "import reportlab"', t["import"], "ms")
    result.add("cold_floor", "cold process: the floor, one document", t["floor"], "ms",
               "imports platypus, parses 4 fonts, 1 pass")
    result.add("cold_consent", "cold process: docgen consent examples/patient.yaml", t["consent"], "ms")
    result.add("cold_version", "  docgen --version (start-up of the command line)", t["version"], "ms")
    result.add("cold_imports", '  python -c "import docgen.generate, docgen.layout.pdf" (z3c.rml, Jinja, ...)',
               t["imports"], "ms")
    result.add("cold_worker", "  a batch worker's start-up (spawned: imports, catalogue, fonts)", t["worker"],
               "ms", "each --jobs worker pays it once")


def batch_available() -> bool:
    try:
        done = subprocess.run([DOCGEN, "batch", "--help"], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _tree_rss_kib(root_pid: int) -> int:
    """Resident memory of a process and all its descendants, summed (Linux /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            with open(f"/proc/{entry}/statm") as f:
                resident = int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        pid = int(entry)
        parents[pid] = int(stat.rsplit(")", 1)[1].split()[1])
        rss[pid] = resident * os.sysconf("SC_PAGE_SIZE") // 1024
    tree, total = {root_pid}, 0
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                changed = True
    for pid in tree:
        total += rss.get(pid, 0)
    return total


_WRAPPER = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
            "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
            "print(u.ru_maxrss, u.ru_utime + u.ru_stime); sys.exit(code)")


def load() -> float:
    """The machine's 1-minute load average: how much else was running."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def wait_for_quiet(limit: float, seconds: float) -> float:
    """Wait (at most `seconds`) for the load average to fall below `limit`; return it."""
    deadline = time.monotonic() + seconds
    while load() >= limit and time.monotonic() < deadline:
        time.sleep(5)
    return load()


def run_batch(work: Path, rows: int, document: str, jobs: int) -> dict[str, float]:
    """One `docgen batch` run on a fresh invented list: wall time, pages, peak memory."""
    folder = Path(tempfile.mkdtemp(prefix=f"batch-{rows}-{jobs}-", dir=work))
    patients = folder / "patients.csv"
    write_list(patients, rows)
    argv = [PYTHON, "-c", _WRAPPER, DOCGEN, "batch", str(patients), "--document", document,
            "-o", str(folder / "out"), "--jobs", str(jobs)]
    peak = [0]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss_kib(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - start
    sampler.join()
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"docgen batch failed ({proc.returncode}): {stderr[-2000:]}")
    written = list((folder / "out").glob("*.pdf"))
    pages = sum(pages_of(p.read_bytes()) for p in written)
    shutil.rmtree(folder)
    maxrss, cpu = stdout.split()[-2:]
    return {"seconds": seconds, "documents": len(written), "pages": pages, "cpu": float(cpu),
            "tree_mib": peak[0] / 1024, "max_process_mib": int(maxrss) / 1024, "load": load()}


_SPIN = "s = 0\nfor i in range(6_000_000):\n    s += i * i"


def parallel_ceiling(rounds: int) -> tuple[float, float, float]:
    """What two processes at once get from this machine now: 2 x t(one alone) / t(two at once).

    The same pure-Python loop, alone and then twice side by side (fastest of `rounds`).
    On two free cores it is 2.0; other people's work, or cores that share hardware,
    lower it, and no --jobs 2 can beat it.
    """
    def timed(count: int) -> float:
        start = time.perf_counter()
        procs = [subprocess.Popen([PYTHON, "-c", _SPIN]) for _ in range(count)]
        for proc in procs:
            proc.wait()
        return time.perf_counter() - start

    alone = min(timed(1) for _ in range(rounds))
    together = min(timed(2) for _ in range(rounds))
    return 2 * alone / together, alone, together


def run_floor_batch(work: Path, content_file: Path, count: int) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="floor-", dir=work))
    start = time.perf_counter()
    subprocess.run([PYTHON, str(Path(__file__).parent / "floor.py"), str(content_file), str(folder),
                    str(count)], cwd=REPO, check=True)
    seconds = time.perf_counter() - start
    pages = sum(pages_of(p.read_bytes()) for p in folder.glob("*.pdf"))
    shutil.rmtree(folder)
    return {"seconds": seconds, "pages": pages}


def batches(result: Result, work: Path, content_file: Path, speed_rows: int, rounds: int,
            memory_rows: tuple[int, int], memory_document: str) -> None:
    if not batch_available():
        print("  batch command not available: skipping the batch and memory measurements")
        result.notes.append("`docgen batch` was not available on this commit: batch speed, "
                            "the --jobs 2 speed-up and peak memory were not measured.")
        for label in ("docgen batch --jobs 1: per page", "docgen batch --jobs 2: speed-up",
                      "peak memory"):
            result.add("", label, None, "", "batch command not available")
        return
    quiet = wait_for_quiet(1.0, 30)
    # The floor's batch and docgen's take turns, so that both meet the same load.
    floor_runs, ones, twos = [], [], []
    for _ in range(rounds):
        floor_runs.append(run_floor_batch(work, content_file, speed_rows))
        ones.append(run_batch(work, speed_rows, "consent", 1))
        twos.append(run_batch(work, speed_rows, "consent", 2))
    floor_run = min(floor_runs, key=lambda r: r["seconds"])
    one = min(ones, key=lambda r: r["seconds"])
    two = min(twos, key=lambda r: r["seconds"])
    result.add("floorbatch_page", f"floor's batch, {speed_rows} consent forms in one process: per page",
               floor_run["seconds"] * 1000 / floor_run["pages"], "ms",
               f"{floor_run['pages']} pages; start-up and file writing included")
    result.add("batch1_doc", f"docgen batch --jobs 1, {speed_rows} consent forms: per document",
               one["seconds"] * 1000 / one["documents"], "ms",
               f"{one['pages']} pages; start-up, checks, fsync'd writes, manifest included")
    result.add("batch1_page", "docgen batch --jobs 1: per page", one["seconds"] * 1000 / one["pages"],
               "ms", f"CPU {one['cpu'] * 1000 / one['pages']:.1f} ms/page")
    result.add("batch2_page", "docgen batch --jobs 2: per page", two["seconds"] * 1000 / two["pages"],
               "ms", f"CPU {two['cpu'] * 1000 / two['pages']:.1f} ms/page (all processes)")
    result.add("speedup", "docgen batch: speed-up of --jobs 2 over --jobs 1 (wall)",
               one["seconds"] / two["seconds"], "",
               f"load average {quiet:.1f} before, {one['load']:.1f} and {two['load']:.1f} after")
    ceiling, alone, together = parallel_ceiling(3)
    result.add("ceiling", "  this machine's ceiling for two processes, measured beside it", ceiling, "",
               f"the same Python loop: {alone:.2f} s alone, {together:.2f} s two at once")
    result.add("speedup_cpu", "  the speed-up two free cores would give (from CPU time)",
               2 * one["cpu"] / two["cpu"], "", "2 x CPU(jobs 1) / CPU(jobs 2)")
    small_rows, large_rows = memory_rows
    wait_for_quiet(1.0, 15)
    small = run_batch(work, small_rows, memory_document, 2)
    large = run_batch(work, large_rows, memory_document, 2)
    for rows, run in ((small_rows, small), (large_rows, large)):
        result.add(f"mem{rows}", f"peak memory, {rows} {memory_document} rows, --jobs 2 (process tree)",
                   run["tree_mib"], "MiB",
                   f"largest single process {run['max_process_mib']:.0f} MiB; "
                   f"{run['seconds']:.0f} s, {run['seconds'] * 1000 / run['pages']:.1f} ms/page")
    result.values["mem_small"] = small["tree_mib"]
    result.values["mem_large"] = large["tree_mib"]


def weasyprint(result: Result, repeat: int) -> None:
    import importlib.util

    if importlib.util.find_spec("weasyprint") is None:
        result.add("", "peer: Jinja + WeasyPrint", None, "", "WeasyPrint not installed: skipped")
        return
    import weasyprint as wp  # pragma: no cover - only where installed

    root = consent_rml()
    body = "".join(f"<p>{paragraph_markup(p)}</p>" for p in root.iter("para"))
    page_css = "@page { size: A4; margin: 42pt; @bottom-center { content: counter(page) ' of ' counter(pages) } }"
    document = f"<html><head><style>{page_css}</style></head><body>{body}</body></html>"
    doc = wp.HTML(string=document).render()
    seconds = interleaved({"weasy": lambda: wp.HTML(string=document).write_pdf()}, repeat)["weasy"]
    result.add("weasy_page", "peer: WeasyPrint, same texts as HTML: per page",
               seconds * 1000 / len(doc.pages), "ms", "paragraphs only, no tables")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rows and repetitions")
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "performance.md",
                        help="where to write the report (default: docs/performance.md)")
    parser.add_argument("--analysis", type=Path,
                        help="a Markdown file of findings to append to the report")
    args = parser.parse_args()
    repeat = 5 if args.quick else 15
    cold_repeat = 3 if args.quick else 7
    speed_rows = 20 if args.quick else 100
    rounds = 1 if args.quick else 2
    memory_rows = (20, 200) if args.quick else (200, 2000)
    memory_document = "aftercare"
    settings = (f"fastest of {repeat} runs in process and of {cold_repeat} cold starts; "
                f"batch speed on {speed_rows} invented consent rows; peak memory on "
                f"{memory_rows[0]} and {memory_rows[1]} invented {memory_document} rows with --jobs 2 "
                "(the shorter document, to keep the 2,000-row run to a minute or two); peak memory is the "
                "resident memory of the batch's whole process tree, sampled every 0.1 s.")

    info = machine()
    for k, val in info.items():
        print(f"{k}: {val}")
    print(settings)
    result = Result()
    with tempfile.TemporaryDirectory(prefix="docgen-bench-") as tmp:
        work = Path(tmp)
        content = floor_content()
        content_file = work / "content.json"
        content_file.write_text(json.dumps(content), encoding="utf-8")
        in_process(result, content, repeat)
        cold(result, content_file, work, cold_repeat)
        batches(result, work, content_file, speed_rows, rounds, memory_rows, memory_document)
        weasyprint(result, max(3, repeat // 3))
    goals = targets(result.values)
    print()
    for text, measured, status in goals:
        print(f"  {text:<75} {measured:>10}  {status}")
    analysis = args.analysis.read_text(encoding="utf-8") if args.analysis else ""
    args.output.parent.mkdir(parents=True, exist_ok=True)
    report = markdown(info, result.rows, result.notes, result.values, goals, settings, analysis)
    args.output.write_text(report, encoding="utf-8")
    print(f"\nwritten {args.output}")


if __name__ == "__main__":
    main()
