"""Run every benchmark script and print one summary table (``make bench``).

Each script is its own process, so one that fails does not hide the figures
of the others. A new benchmark is a module in this folder with a ``run()``
returning a :class:`bench.harness.Report`, added to ``SCRIPTS``.

Exit status: 1 when a script failed or a correctness target (marked ``must``,
such as "no 5xx") was missed. A missed speed target is reported, not fatal:
it depends on the machine, and bench/README.md says why it is missed.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

from . import harness

SCRIPTS = ["slots", "booking", "history", "feeds", "mail", "pages"]


def main():
    names = sys.argv[1:] or SCRIPTS
    info = harness.machine()
    print(f"machine: {info['nproc']} cores, {info['cpu']}, {info['memory_gib']} GiB; "
          f"{harness.workers()} gunicorn workers, {harness.rounds()} rounds of {harness.seconds()} s", flush=True)
    failed = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="priyom-bench-results-") as tmp:
        results = os.path.join(tmp, "results.jsonl")
        for name in names:
            code = subprocess.call([sys.executable, "-m", f"bench.{name}"], cwd=harness.ROOT,
                                   env={**os.environ, "BENCH_RESULTS": results})
            if code:
                failed.append(name)
        rows = []
        if os.path.exists(results):
            with open(results, encoding="utf-8") as lines:
                rows = [json.loads(line) for line in lines]
    print(f"\n== summary ({(time.monotonic() - started) / 60:.1f} min; median (min–max) of the rounds)")
    for row in rows:
        print("  " + harness.format_row(row))
    broken = [row for row in rows if row["must"] and row["verdict"] == "MISSED"]
    missed = [row for row in rows if not row["must"] and row["verdict"] == "MISSED"]
    if failed:
        print(f"FAILED scripts: {', '.join(failed)}")
    if broken:
        print(f"MISSED correctness targets: {', '.join(row['name'] for row in broken)}")
    if missed:
        print(f"missed speed targets (see bench/README.md): {', '.join(row['name'] for row in missed)}")
    return 1 if failed or broken else 0


if __name__ == "__main__":
    sys.exit(main())
