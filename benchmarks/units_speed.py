"""Speed of the analysis-unit pipeline: cost that follows the change, and parallel speed-up.

    python benchmarks/units_speed.py                    # every scenario below, one run each
    python benchmarks/units_speed.py --only dbt-cold    # one scenario

Scenarios (each command runs as ``datatrail`` in a fresh process, in a generated git repository):

- ``dbt-warm``: a 600-model dbt project (benchmarks/dbt_scan.py's generator). After a first scan
  and check fill the cache: ``datatrail scan`` with nothing changed, and ``datatrail check`` with
  one staged model.
- ``python-warm``: the same for 1,000 generated Python pipeline files (benchmarks/python_scan.py).
- ``dbt-cold``: a cold scan of a ~1,200-model project with ``--jobs 1`` and ``--jobs 2``.
- ``dbt-diff``: ``datatrail diff`` of 10 changed models in a 1,000-model project, cache warm.

Timings are printed, never asserted (docs/benchmarks.md carries the figures). The package is
byte-compiled first, as ``pip install`` does.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
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


def warm_timings(root: Path, changed: Path, addition: str) -> tuple[float, float, float]:
    """(first scan, scan with nothing changed, check with ``changed`` edited and staged) of a fresh repo."""
    init_repo(root)
    fill = timed(root, "scan", ".", "-q")
    timed(root, "check")
    warm = timed(root, "scan", ".", "-q")
    changed.write_text(changed.read_text() + addition)
    git(root, "add", str(changed))
    return fill, warm, timed(root, "check")


def dbt_warm(base: Path) -> None:
    root = base / "dbt600"
    root.mkdir()
    models = generate_project(root, 600)
    fill, warm, check = warm_timings(root, first_model(root), "\n-- a change\nwhere 1 = 1\n")
    print(f"dbt-warm     {models} models: first scan {fill:.2f} s; scan, nothing changed {warm:.2f} s; "
          f"check, one staged model {check:.2f} s")  # fmt: skip


def python_warm(base: Path) -> None:
    root = base / "py1000"
    root.mkdir()
    generate(root, 1000)
    files = sorted(root.rglob("*.py"))
    fill, warm, check = warm_timings(root, files[len(files) // 2], "\nEXTRA = 1\n")
    print(f"python-warm  {len(files)} files: first scan {fill:.2f} s; scan, nothing changed {warm:.2f} s; "
          f"check, one staged file {check:.2f} s")  # fmt: skip


def dbt_cold(base: Path) -> None:
    root = base / "dbt1200"
    root.mkdir()
    models = generate_project(root, 1200)
    serial = timed(root, "--jobs", "1", "scan", ".", "-q", "--no-cache")
    parallel = timed(root, "--jobs", "2", "scan", ".", "-q", "--no-cache")
    print(f"dbt-cold     {models} models, no cache: --jobs 1 {serial:.2f} s; --jobs 2 {parallel:.2f} s; "
          f"speed-up {serial / parallel:.2f}x")  # fmt: skip


def dbt_diff(base: Path) -> None:
    root = base / "dbt1000"
    root.mkdir()
    models = generate_project(root, 1000)
    init_repo(root)
    timed(root, "diff", "HEAD")
    changed = sorted((root / "models").rglob("*.sql"))[::97][:10]
    for model in changed:
        model.write_text(model.read_text().replace("select", "select distinct", 1))
    timed(root, "diff", "HEAD")  # the changed side analysed once
    for model in changed:
        model.write_text(model.read_text() + "\n")
    warm = timed(root, "diff", "HEAD")
    print(f"dbt-diff     {models} models, {len(changed)} changed files: diff HEAD, warm {warm:.2f} s")


SCENARIOS = {"dbt-warm": dbt_warm, "python-warm": python_warm, "dbt-cold": dbt_cold, "dbt-diff": dbt_diff}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=sorted(SCENARIOS), action="append")
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} cores, {sys.version.split()[0]}")
    # Measure datatrail as installed: pip byte-compiles a package when it installs it. Without
    # .pyc files (an editable install under PYTHONDONTWRITEBYTECODE=1, as in some sandboxes) every
    # command would first compile datatrail's modules again, 0.3-0.5 s each time.
    import extractor

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(extractor.__file__).parent)], check=True)
    with tempfile.TemporaryDirectory(prefix="datatrail-bench-") as tmp:
        for name in args.only or list(SCENARIOS):
            SCENARIOS[name](Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
