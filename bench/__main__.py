"""`python -m bench` (`make bench`): the benchmark suite of issue 6, project vs bare server.

Runs on 127.0.0.1 only; every server and client process is ended before it returns.
Writes bench/results/results.json, table.txt, fanout.png and slow_consumer.png.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import signal
import sys
import time
import traceback
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench import report, scenario
from bench.launch import ROOT, raise_fd_limit

SCENARIOS = {
    "fanout": scenario.fanout,
    "profiles": scenario.profiles,
    "recording": scenario.recording,
    "publishing": scenario.publishing,
    "bigworld": scenario.big_worlds,
    "memory": scenario.memory,
    "commands": scenario.commands,
    "upload": scenario.uploads,
    "slow": scenario.slow_consumer,
    "storm": scenario.join_storm,
    "resume": scenario.resumes,
    "seek": scenario.seeks,
    "cluster": scenario.clustered,
    "delivery": scenario.delivered,
    "browser": scenario.browser,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run (< 60 s)")
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(SCENARIOS),
        help="run only this scenario (repeatable); default: all",
    )
    parser.add_argument("--processes", type=int, default=2, help="client processes per run")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results", help="output folder")
    args = parser.parse_args(argv)

    signal.signal(signal.SIGTERM, _exit_on_signal)  # run the finally blocks: no orphans
    fds = raise_fd_limit()
    plan = (scenario.Plan.quick if args.quick else scenario.Plan.full)(args.processes)
    if fds < max(*plan.clients, plan.memory_clients) * 2 + 64:
        print(f"warning: only {fds} file descriptors; the largest runs may fail", file=sys.stderr)
    args.out.mkdir(parents=True, exist_ok=True)
    log_dir = args.out / "logs"
    started = time.time()
    results: dict[str, Any] = {"meta": _meta(args, plan)}
    failed: dict[str, str] = {}
    for name in args.only or list(SCENARIOS):
        try:
            results[name] = SCENARIOS[name](plan, log_dir)
        except Exception as exc:  # one scenario's crash must not lose the others' figures
            traceback.print_exc()
            failed[name] = f"{type(exc).__name__}: {exc}"
    results["meta"]["seconds"] = round(time.time() - started, 1)
    results["meta"]["failed"] = failed

    text = report.table(report.rows(results))
    if failed:
        text += "\n\nscenarios that failed (no figures): " + "; ".join(
            f"{name} ({why[:120]})" for name, why in failed.items()
        )
    command = results["meta"]["command"]
    header = f"spine-ws bench ({command}) on {results['meta']['machine']}"
    print(f"\n{header}\n\n{text}\n")
    (args.out / "table.txt").write_text(f"{header}\n\n{text}\n")
    report.write_json(results, args.out / "results.json")
    written = report.plot(results, args.out)
    shown = ", ".join(os.path.relpath(p, ROOT) for p in [args.out / "results.json", *written])
    print(f"wrote {shown} in {results['meta']['seconds']:.0f} s")
    return 1 if failed else 0


def _exit_on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def _meta(args: argparse.Namespace, plan: scenario.Plan) -> dict[str, Any]:
    from spine_ws.settings import Settings

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    argv = ["python", "-m", "bench", *sys.argv[1:]]
    return {
        "command": shlex.join(argv),
        "machine": f"{cpu}, {os.cpu_count()} cores, Linux {platform.release()}, "
        f"Python {platform.python_version()}",
        "versions": {
            name: version(name) for name in ("websockets", "uvicorn", "uvloop", "picows", "fastapi")
        },
        "plan": plan.__dict__,
        "send_queue_bytes": Settings().send_queue_bytes,
        "send_queue_messages": Settings().send_queue_messages,
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


if __name__ == "__main__":
    sys.exit(main())
