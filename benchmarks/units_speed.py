"""Speed of the analysis-unit pipeline: cost that follows the change, and parallel speed-up.

    python benchmarks/units_speed.py                    # every scenario below
    python benchmarks/units_speed.py --only dbt-cold    # one scenario
    python benchmarks/units_speed.py --repeat 1         # each timed command once

Scenarios (each command runs as ``datatrail`` in a fresh process, in a generated git repository):

- ``dbt-warm``: a 600-model dbt project (benchmarks/dbt_scan.py's generator). After a first scan
  and check fill the cache: ``datatrail scan`` with nothing changed, and ``datatrail check`` with
  one staged model.
- ``python-warm``: the same for 1,000 generated Python pipeline files (benchmarks/python_scan.py).
- ``dbt-cold``: a cold scan of a ~1,200-model project with ``--jobs 1`` and ``--jobs 2``.
- ``dbt-diff``: ``datatrail diff`` of 10 changed models in a 1,000-model project, cache warm.

Each timed command runs ``--repeat`` times (default 3; the two cold scans interleaved, a check
or diff after a new edit each time) and the best run is reported with the range: on a shared VM
the same command varies by up to 40 % within minutes, and the best run is the closest to what
the code costs. Timings are printed, never asserted (docs/benchmarks.md carries the figures).
The package is byte-compiled first, as ``pip install`` does.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dbt_scan import generate_project
from python_scan import generate

DATATRAIL = str(Path(sys.executable).with_name("datatrail"))


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def init_repo(root: Path) -> None:
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "bench@example.com")
    git(root, "config", "user.name", "bench")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "generated")


def timed(root: Path, *args: str, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    done = subprocess.run([DATATRAIL, *args], cwd=root, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"datatrail {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def first_model(root: Path) -> Path:
    return sorted((root / "models").rglob("*.sql"))[len(list((root / "models").rglob("*.sql"))) // 2]


def spread(times: list[float]) -> str:
    """The best of several runs (what the code costs; the others add this VM's noise), and the range."""
    best = min(times)
    if len(times) == 1:
        return f"{best:.2f} s"
    return f"{best:.2f} s (best of {len(times)}; {best:.2f}-{max(times):.2f})"


def warm_timings(
    root: Path, changed: Path, addition: Callable[[int], str], repeat: int
) -> tuple[float, list[float], list[float]]:
    """(first scan, scans with nothing changed, checks with ``changed`` edited and staged) of a fresh repo."""
    init_repo(root)
    fill = timed(root, "scan", ".", "-q")
    timed(root, "check")
    warm: list[float] = []
    checks: list[float] = []
    for i in range(repeat):
        timed(root, "scan", ".", "-q")  # the tree as it is now, scanned once
        warm.append(timed(root, "scan", ".", "-q"))
        changed.write_text(changed.read_text() + addition(i))
        git(root, "add", str(changed))
        checks.append(timed(root, "check"))
    return fill, warm, checks


def dbt_warm(base: Path, repeat: int) -> None:
    root = base / "dbt600"
    root.mkdir()
    models = generate_project(root, 600)

    def edit(i: int) -> str:
        return "\n-- a change\nwhere 1 = 1\n" if i == 0 else f"\n-- change {i}\n"

    fill, warm, check = warm_timings(root, first_model(root), edit, repeat)
    print(f"dbt-warm     {models} models: first scan {fill:.2f} s; scan, nothing changed {spread(warm)}; "
          f"check, one staged model {spread(check)}")  # fmt: skip


def python_warm(base: Path, repeat: int) -> None:
    root = base / "py1000"
    root.mkdir()
    generate(root, 1000)
    files = sorted(root.rglob("*.py"))
    fill, warm, check = warm_timings(root, files[len(files) // 2], lambda i: f"\nEXTRA_{i} = {i}\n", repeat)
    print(f"python-warm  {len(files)} files: first scan {fill:.2f} s; scan, nothing changed {spread(warm)}; "
          f"check, one staged file {spread(check)}")  # fmt: skip


def dbt_cold(base: Path, repeat: int) -> None:
    root = base / "dbt1200"
    root.mkdir()
    models = generate_project(root, 1200)
    serial: list[float] = []
    parallel: list[float] = []
    for _ in range(repeat):  # interleaved: a slow spell of the VM hits both
        serial.append(timed(root, "--jobs", "1", "scan", ".", "-q", "--no-cache"))
        parallel.append(timed(root, "--jobs", "2", "scan", ".", "-q", "--no-cache"))
    print(f"dbt-cold     {models} models, no cache: --jobs 1 {spread(serial)}; --jobs 2 {spread(parallel)}; "
          f"speed-up {min(serial) / min(parallel):.2f}x")  # fmt: skip


def dbt_diff(base: Path, repeat: int) -> None:
    root = base / "dbt1000"
    root.mkdir()
    models = generate_project(root, 1000)
    init_repo(root)
    timed(root, "diff", "HEAD")
    changed = sorted((root / "models").rglob("*.sql"))[::97][:10]
    for model in changed:
        model.write_text(model.read_text().replace("select", "select distinct", 1))
    timed(root, "diff", "HEAD")  # the changed side analysed once
    warm: list[float] = []
    for _ in range(repeat):
        for model in changed:
            model.write_text(model.read_text() + "\n")
        warm.append(timed(root, "diff", "HEAD"))
    print(f"dbt-diff     {models} models, {len(changed)} changed files: diff HEAD, warm {spread(warm)}")


SCENARIOS = {"dbt-warm": dbt_warm, "python-warm": python_warm, "dbt-cold": dbt_cold, "dbt-diff": dbt_diff}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=sorted(SCENARIOS), action="append")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timed command (default 3; best reported)")
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} cores, {sys.version.split()[0]}")
    # Measure datatrail as installed: pip byte-compiles a package when it installs it. Without
    # .pyc files (an editable install under PYTHONDONTWRITEBYTECODE=1, as in some sandboxes) every
    # command would first compile datatrail's modules again, 0.3-0.5 s each time.
    import extractor

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(extractor.__file__).parent)], check=True)
    with tempfile.TemporaryDirectory(prefix="datatrail-bench-") as tmp:
        for name in args.only or list(SCENARIOS):
            SCENARIOS[name](Path(tmp), max(1, args.repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
