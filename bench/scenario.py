"""The four scenarios of issue 6, each run against the project server and the bare one.

Each returns plain data (JSON-ready); `bench.report` turns it into the table and plots.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import (
    bigworld,
    cluster,
    command,
    delivery,
    joinstorm,
    publish,
    recorder,
    resume,
    seek,
    upload,
)
from bench.launch import HOST, start_server
from bench.session import Session, Step
from bench.slow import SlowReader

__all__ = [
    "Plan",
    "big_worlds",
    "browser",
    "clustered",
    "commands",
    "delivered",
    "fanout",
    "join_storm",
    "memory",
    "publishing",
    "recording",
    "resumes",
    "seeks",
    "slow_consumer",
    "uploads",
]

KINDS = ("project", "bare")


@dataclass(frozen=True)
class Plan:
    """Sizes of a run: `full()` for `make bench`, `quick()` for a smoke run."""

    clients: tuple[int, ...]
    fixed_rate: float
    step_seconds: float
    drain: float
    search_steps: int
    processes: int
    memory_clients: int
    sequential: int
    pipelined: int
    slow_rate: float
    slow_healthy: int
    slow_seconds: float
    baseline_seconds: float
    storm_joiners: int
    storm_agents: int
    resume_agents: int
    resume_storm: int
    cluster_clients: tuple[int, ...]
    cluster_fanout: int
    cluster_fanout_rate: float

    @classmethod
    def full(cls, processes: int = 2) -> Plan:
        return cls((1, 10, 100, 1000), 600, 4.0, 1.5, 6, processes, 1000, 5000, 30000,
                   3000, 10, 20.0, 10.0, 40, 5000, 10_000, 1000, (10, 100), 2000,
                   100.0)  # fmt: skip

    @classmethod
    def quick(cls, processes: int = 2) -> Plan:
        return cls((1, 10), 600, 1.0, 1.0, 1, processes, 50, 300, 2000,
                   3000, 10, 3.0, 1.5, 10, 2000, 2000, 100, (10,), 100, 100.0)  # fmt: skip


def _say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _brief(step: Step) -> str:
    verdict = "ok" if step.sustained else "MISS"
    return (
        f"{step.rate:>8.0f} ev/s: delivered {step.delivered:7.2%} p50 {step.p50_ms:7.2f} ms "
        f"p99 {step.p99_ms:8.2f} ms published {step.achieved_rate:8.0f}/s "
        f"closes {step.closes or '-'} cpu srv {step.server_cpu:.2f} cli {step.clients_cpu:.2f} "
        f"[{verdict}]"
    )


def _two_digits(x: float) -> float:
    return float(f"{x:.2g}")


def _next_rate(lo: float, hi: float, last: Step) -> float | None:
    """The next rate to try; None when the bracket is tight enough."""
    if math.isinf(hi):
        headroom = 0.8 / max(last.server_cpu, 0.05)
        return _two_digits(last.rate * min(4.0, max(1.5, headroom)))
    if lo <= 0:
        share = last.delivered * 0.8 if last.delivered < 0.9 else 0.5
        return _two_digits(hi * min(0.7, max(0.1, share)))
    if hi / lo <= 1.25:
        return None
    rate = _two_digits(math.sqrt(lo * hi))
    return rate if lo < rate < hi else None


def fanout(plan: Plan, log_dir: Path) -> dict[str, Any]:
    """Per K: the fixed rate (delivery, latency), then a short search for the best rate."""
    out: dict[str, Any] = {kind: {} for kind in KINDS}
    for k in plan.clients:
        for kind in KINDS:
            out[kind][str(k)] = _fanout_one(kind, k, plan, log_dir)
    if 1 in plan.clients:  # the ratio with a target near 1x (>= 0.8x): resolved finer
        ones = [out[kind]["1"] for kind in KINDS]
        base = min(one["sustained_rate"] or one["failed_rate"] or plan.fixed_rate for one in ones)
        climbed = _ladder(KINDS, _rungs(base, plan), 1, plan, log_dir)
        for kind, one in zip(KINDS, ones, strict=True):
            one["searched_rate"] = one["sustained_rate"]
            one["sustained_rate"] = climbed[kind]["sustained_rate"]
            one["ladder"] = climbed[kind]["steps"]
        _say(
            f"fan-out K=1 ladder from {base * 0.7:.0f} ev/s: sustained "
            + " vs ".join(f"{climbed[kind]['sustained_rate']:.0f} {kind}" for kind in KINDS)
        )
    return out


def _fanout_one(kind: str, k: int, plan: Plan, log_dir: Path) -> dict[str, Any]:
    processes = 1 if k == 1 else plan.processes

    def session() -> Session:
        return Session(kind, k, log_dir, processes=processes, name=f"fanout-{kind}-k{k}")

    current = session().__enter__()
    try:
        _say(f"fan-out {kind} K={k}: {k} connected in {current.connect_seconds:.1f} s")
        fixed = current.step(plan.fixed_rate, plan.step_seconds, drain=plan.drain)
        _say(f"  fixed  {_brief(fixed)}")
        steps, lo, hi = [fixed], (fixed.rate if fixed.sustained else 0.0), math.inf
        if not fixed.sustained:
            hi = fixed.rate
        last = fixed
        for _ in range(plan.search_steps):
            rate = _next_rate(lo, hi, last)
            if rate is None:
                break
            if not last.sustained and not current.intact():
                current.close()
                current = session().__enter__()
            last = current.step(rate, plan.step_seconds, drain=plan.drain)
            steps.append(last)
            _say(f"  search {_brief(last)}")
            if last.sustained:
                lo = max(lo, rate)
            else:
                hi = min(hi, rate)
        best = max((s for s in steps if s.sustained), key=lambda s: s.rate, default=None)
        return {
            "clients": k,
            "processes": processes,
            "fixed": fixed.summary(),
            "steps": [s.summary() for s in steps],
            "sustained_rate": lo,
            "failed_rate": None if math.isinf(hi) else hi,
            "best": best.summary() if best else None,
        }
    finally:
        current.close()


def profiles(plan: Plan, log_dir: Path) -> dict[str, Any]:
    """Fan-out of the jsonrpc profile against spine's (the project server), per K > 1:
    each broadcast is encoded once more per burst, so the cost per client should not move."""
    out: dict[str, Any] = {"project": {}, "jsonrpc": {}}
    for k in plan.clients[1:]:
        for kind, climbed in _compared(("project", "jsonrpc"), k, plan, log_dir).items():
            out[kind][str(k)] = climbed
    return out


def recording(plan: Plan, log_dir: Path) -> dict[str, Any]:
    """Fan-out with every frame recorded (--record) against without, per K > 1: the
    recorder writes each burst after it is sent, so the rate should hardly move."""
    out: dict[str, Any] = {"project": {}, "recording": {}}
    for k in plan.clients[1:3]:
        for kind, climbed in _compared(("project", "recording"), k, plan, log_dir).items():
            out[kind][str(k)] = climbed
    out["recorder_per_frame_us"] = recorder.per_frame() * 1e6
    _say(f"recorder: {out['recorder_per_frame_us']:.2f} us a frame on the loop")
    return out


def _compared(
    kinds: tuple[str, str], k: int, plan: Plan, log_dir: Path
) -> dict[str, dict[str, Any]]:
    """Two servers' sustained fan-out at K, to a 10 % target: the rate search's bracket
    (25 %) is coarser than that, so after the first kind's search both climb one ladder of
    rates 5 % apart from 0.7x its rate, in turns at each rate (the machine's drift hits
    both alike)."""
    coarse = _fanout_one(kinds[0], k, plan, log_dir)
    base = coarse["sustained_rate"] or coarse["failed_rate"] or plan.fixed_rate
    rates = _rungs(base, plan)
    climbed = _ladder(kinds, rates, k, plan, log_dir)
    _say(
        f"{kinds[1]} vs {kinds[0]} K={k}: ladder from {rates[0]:.0f} ev/s, sustained "
        + " vs ".join(f"{climbed[kind]['sustained_rate']:.0f}" for kind in kinds[::-1])
    )
    return climbed


def _rungs(base: float, plan: Plan) -> list[float]:
    """A ladder's rates: 5 % of `base` apart from 0.7x, high enough for a kind twice as
    fast (each kind stops where it fails; the last rung only caps a runaway)."""
    return [float(f"{base * (0.7 + 0.05 * i):.3g}") for i in range(4 * plan.search_steps + 4)]


def _ladder(
    kinds: tuple[str, str], rates: list[float], k: int, plan: Plan, log_dir: Path
) -> dict[str, dict[str, Any]]:
    """Both kinds up `rates` in turns (who goes first alternates); a kind stops at a rate
    it fails twice. Each kind's `sustained_rate` is the last rate it sustained; one that
    fails the first rate goes down from it (15 % a step) until it sustains one."""
    sessions = {
        kind: Session(kind, k, log_dir, processes=plan.processes, name=f"ladder-{kind}-k{k}")
        for kind in kinds
    }
    climbed: dict[str, dict[str, Any]] = {
        kind: {"clients": k, "steps": [], "sustained_rate": 0.0, "failed_rate": None}
        for kind in kinds
    }
    try:
        for session in sessions.values():
            session.open()
        for index, rate in enumerate(rates):
            for kind in kinds[::-1] if index % 2 else kinds:
                result = climbed[kind]
                if result["failed_rate"] is not None:
                    continue
                session = sessions[kind]
                if _climb(session, rate, plan, result):
                    continue
                result["failed_rate"] = rate
                lower = rate
                for _ in range(_DESCENT if index == 0 else 0):
                    lower = float(f"{lower * 0.85:.3g}")
                    if _climb(session, lower, plan, result):
                        break
            if all(r["failed_rate"] is not None for r in climbed.values()):
                break
    finally:
        for session in sessions.values():
            session.close()
    return climbed


# Rates below a ladder's first a kind that fails it goes down to (0.85 ** 6: 0.38x).
_DESCENT = 6


def _climb(session: Session, rate: float, plan: Plan, result: dict[str, Any]) -> bool:
    """One rung: `rate` up to twice; whether it was sustained (then noted in `result`)."""
    for _ in range(2):
        step = session.step(rate, plan.step_seconds, drain=plan.drain)
        result["steps"].append(step.summary())
        _say(f"  ladder {session.kind:9} {_brief(step)}")
        if step.sustained:
            result["sustained_rate"] = rate
            return True
        if not session.intact():
            session.close()
            session.open()
    return False


def publishing(plan: Plan, log_dir: Path) -> dict[str, Any]:
    """A tick's agent updates published as columns against one broadcast each, on the
    simulation's thread (bench.publish)."""
    result = publish.measure(ticks=20 if plan.sequential >= 1000 else 3)
    _say(
        f"publishing {result['agents']} agents a tick: {result['each'] * 1e6:.2f} us an "
        f"update one broadcast each, {result['columns'] * 1e6:.2f} us as columns"
    )
    return {"project": result, "bare": None}


def big_worlds(plan: Plan, log_dir: Path) -> dict[str, Any]:
    """Swarms whose every agent moves each tick, at 10 ticks/s, to 10 clients in JSON, in
    MessagePack, as columns and through a region of a quarter of the world
    (bench.bigworld): 2,000 agents (20,000 updates/s a
    client), 10,000 (100,000) and 100,000 (1 M a client: the issue's big world)."""
    quick = plan.sequential < 1000
    out: dict[str, Any] = {}
    for agents in (2_000,) if quick else (2_000, 10_000, 100_000):
        # At 100,000 only columns: a frame per update cannot even start (10 snapshots of
        # 14 MB while the stream runs at a million updates a second).
        modes = ("columns",) if agents >= 100_000 else bigworld.ENCODINGS
        window = 2.0 if quick else 5.0
        result = bigworld.measure(log_dir, agents, 10.0, 10, window=window, modes=modes)
        for encoding in modes:
            seen = result[encoding]
            if "failed" in seen:
                _say(f"big world {agents} agents, {encoding}: failed ({seen['failed']})")
                continue
            _say(
                f"big world {agents} agents x 10 ticks/s, 10 {encoding} clients: "
                f"{seen['bytes_per_update']:.1f} B an update, delivered "
                f"{seen['delivered_share']:.1%} (accounted {seen['accounted_share']:.1%}), "
                f"server {seen['server_cpu']:.2f} cores, "
                f"{seen['server_cpu_per_update_us']:.2f} us an update delivered, "
                f"{seen['closed']} of 10 shed"
            )
        whole, region = result.get("spine.v1", {}), result.get("region", {})
        if "bytes_per_tick" in whole and "bytes_per_tick" in region:
            _say(
                f"big world {agents} agents: a region client (a quarter of the world) "
                f"received {region['bytes_per_tick'] / 1024:.1f} KiB a tick, a whole-world "
                f"JSON client {whole['bytes_per_tick'] / 1024:.1f} KiB "
                f"({region['bytes_per_tick'] / whole['bytes_per_tick']:.2f}x)"
            )
        out[str(agents)] = result
    return {"project": out, "bare": None}


def memory(plan: Plan, log_dir: Path) -> dict[str, Any]:
    """Server RSS growth per idle connection (snapshot received, nothing published)."""
    out: dict[str, Any] = {}
    k = plan.memory_clients
    for kind in KINDS:
        with Session(kind, k, log_dir, processes=plan.processes, name=f"memory-{kind}") as s:
            time.sleep(1.0)
            after = s.server.rss() if s.server else 0
            growth = after - s.rss_before_clients
            out[kind] = {
                "clients": k,
                "rss_before": s.rss_before_clients,
                "rss_after": after,
                "per_connection": growth / k,
            }
        _say(f"memory {kind}: {growth / k / 1024:.1f} KiB per idle connection (K={k})")
    return out


def commands(plan: Plan, log_dir: Path) -> dict[str, Any]:
    """Sequential and pipelined commands on one connection (project server only)."""
    server = start_server(
        "project",
        log_dir,
        "commands-project",
        ["--command-rate", "1000000000", "--command-burst", "1000000000"],
    )
    try:
        cpu0 = server.cpu_seconds()
        started = time.monotonic()
        result = command.measure(server.url, sequential=plan.sequential, pipelined=plan.pipelined)
        result["server_cpu"] = (server.cpu_seconds() - cpu0) / (time.monotonic() - started)
    finally:
        server.stop()
    seq, pipe = result["sequential"], result["pipelined"]
    _say(
        f"commands project: sequential {seq['per_second']:.0f}/s p50 {seq['p50_ms']:.3f} "
        f"p99 {seq['p99_ms']:.3f} ms; pipelined {pipe['per_second']:.0f}/s "
        f"p50 {pipe['p50_ms']:.2f} p99 {pipe['p99_ms']:.2f} ms errors {pipe['errors'] or '-'}"
    )
    return {"project": result, "bare": None}


def uploads(plan: Plan, log_dir: Path) -> dict[str, Any]:
    """A 2 MiB command (examples/route-sim's map.import) against the same bytes exported,
    and the server's RSS over the uploads (bench.upload)."""
    result = upload.measure(log_dir, 3 if plan.sequential < 1000 else 10)
    first = (result["rss_after_first"] - result["rss_before"]) / 2**20
    last = (result["rss_after_last"] - result["rss_before"]) / 2**20
    _say(
        f"upload routesim: {result['bytes'] / 2**20:.1f} MiB map.import p50 "
        f"{result['upload_p50_s'] * 1000:.0f} ms (export {result['export_p50_s'] * 1000:.0f} ms), "
        f"RSS +{last:.1f} MiB after {result['uploads']} uploads (+{first:.1f} MiB after the first)"
    )
    return {"project": result, "bare": None}


def seeks(plan: Plan, log_dir: Path) -> dict[str, Any]:
    """Seeks in a one-hour recording of the default world (`spine-ws replay`, bench.seek):
    each answered within 100 ms is the target."""
    quick = plan.sequential < 1000
    result = seek.measure(log_dir, 15 if quick else 60, 300.0 if quick else 3600.0)
    _say(
        f"seek replay: {result['recorded_seconds'] / 60:.0f} min recorded "
        f"({result['frames']} frames, {result['file_bytes'] / 2**20:.0f} MiB), ready in "
        f"{result['replay_ready_seconds']:.1f} s; {result['seeks']} seeks p50 "
        f"{result['p50_ms']:.0f} ms p99 {result['p99_ms']:.0f} ms max {result['max_ms']:.0f} ms; "
        f"{result['replay_speed_at_100x']:.0f}x played at 100x"
    )
    return {"project": result, "bare": None}


def join_storm(plan: Plan, log_dir: Path) -> dict[str, Any]:
    """K joiners at once into a large world, five readers keeping up (project only)."""
    result = joinstorm.measure(log_dir, plan.storm_joiners, plan.storm_agents)
    if result["joiners_failed"] or result["max_tick_gap_ms"] is None:
        _say(f"join storm project: {result}")
        return {"project": result, "bare": None}
    _say(
        f"join storm project: {result['joiners']} joiners x {result['snapshot_bytes'] / 2**20:.1f}"
        f" MiB, snapshot p50 {result['snapshot_p50_s']:.2f} s max {result['snapshot_max_s']:.2f}"
        f" s, worst tick gap {result['max_tick_gap_ms']:.0f} ms, RSS "
        f"+{result['rss_growth'] / 2**20:.1f} MiB, readers shed {result['readers_shed']}, "
        f"joiners failed {result['joiners_failed']}"
    )
    return {"project": result, "bare": None}


def resumes(plan: Plan, log_dir: Path) -> dict[str, Any]:
    """Reconnects that missed N events vs a fresh snapshot; a resume storm (project only)."""
    result = resume.measure(log_dir, plan.resume_agents, plan.resume_storm)
    for name, row in result["cases"].items():
        _say(
            f"resume project {name}: {row['bytes'] / 1024:.0f} KiB in {row['seconds']:.3f} s "
            f"({', '.join(row['outcomes'])}, replayed {row['replayed']:.0f})"
        )
    storm = result["storm"]
    _say(
        f"resume storm project: {storm['resumed']}/{storm['clients']} resumed, p50 "
        f"{storm['seconds_p50']} s max {storm['seconds_max']} s, RSS "
        f"+{storm['rss_growth'] / 2**20:.1f} MiB (history {storm['history_bytes'] / 2**20:.1f}"
        f" MiB), failures {storm['failures']} {storm['failed']}, shed {storm['shed_in_log']}"
    )
    return {"project": result, "bare": None}


def clustered(plan: Plan, log_dir: Path) -> dict[str, Any]:
    """The NATS path's latency, and one process vs a host and two gateways (project)."""
    result = cluster.measure(log_dir, plan.fixed_rate, plan.cluster_clients, plan.step_seconds,
                             plan.processes, plan.cluster_fanout,
                             plan.cluster_fanout_rate)  # fmt: skip
    for k, row in result["latency"].items():
        host, gateway = row["host"], row["gateway"]
        _say(
            f"cluster K={k}: p50 {host['p50_ms']:.2f} -> {gateway['p50_ms']:.2f} ms, p99 "
            f"{host['p99_ms']:.2f} -> {gateway['p99_ms']:.2f} ms (host's clients -> gateway's)"
        )
    for where in ("one process", "two gateways"):
        row = result["fanout"][where]
        _say(
            f"cluster fan-out {where}: delivered {row['delivered']:.2%}, cpu host "
            f"{row['server_cpu']:.2f} others {row['others_cpu']}"
        )
    return {"project": result, "bare": None}


_SHED = re.compile(r"^(\S+ \S+) WARNING \S+ closing \S+: slow consumer", re.MULTILINE)


def delivered(plan: Plan, log_dir: Path) -> dict[str, Any]:
    """Issue 15: batches, a filtered client, a half-rate reader (bench.delivery)."""
    full = 1000 in plan.clients
    ladders = (
        {
            10: (3000.0, 10000.0, 30000.0),
            100: (1000.0, 3000.0, 10000.0),
            1000: (100.0, 300.0, 1000.0),
        }
        if full
        else {10: (1000.0,)}
    )
    seconds = 3.0 if full else 1.0
    return {
        "batching": delivery.batching(ladders, seconds, plan.processes, log_dir),
        "filtered": delivery.filtered(
            100 if full else 10, 3000.0, seconds, plan.processes, log_dir
        ),
        "half_rate": delivery.half_rate(3000.0, 8.0 if full else 2.0, 10, log_dir),
    }


def browser(plan: Plan, log_dir: Path) -> dict[str, Any]:
    """Issue 15: the event rate a Chromium tab sustains into `world`, batched and not
    (clients/ts/bench/browser.mjs: it starts its own server)."""
    import json
    import subprocess

    from bench.launch import ROOT

    node = ROOT / "clients/ts"
    subprocess.run(["npm", "run", "--silent", "build"], cwd=node, check=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / "browser.log").open("wb") as log:
        done = subprocess.run(
            ["node", "bench/browser.mjs"], cwd=node, stdout=subprocess.PIPE, stderr=log,
            check=True, timeout=300,
        )  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout)
    _say(f"browser: {result}")
    return result


def slow_consumer(plan: Plan, log_dir: Path) -> dict[str, Any]:
    """Healthy clients with and without one client that never reads; when it is closed."""
    out: dict[str, Any] = {}
    for kind in KINDS:
        out[kind] = _slow_one(kind, plan, log_dir)
    return out


def _slow_one(kind: str, plan: Plan, log_dir: Path) -> dict[str, Any]:
    rate, healthy = plan.slow_rate, plan.slow_healthy
    # What a slow client costs, alone: the project's broadcast history (60,000 events of
    # this run, for resumes) is off here; its own bounds and rows are the resume ones.
    extra = ["--history-events", "0"] if kind == "project" else None
    with Session(kind, healthy, log_dir, processes=plan.processes, name=f"slow-{kind}",
                 extra=extra) as s:  # fmt: skip
        assert s.server is not None
        server = s.server
        baseline = s.step(rate, plan.baseline_seconds, drain=plan.drain)
        _say(f"slow {kind} baseline {_brief(baseline)}")
        if not s.intact():
            raise RuntimeError(f"slow {kind}: the baseline run left the session broken")
        path = "/ws" if kind == "project" else "/"
        reader = SlowReader(HOST, server.port, path)
        try:
            rss: list[tuple[float, int]] = []
            t0 = time.time()
            rss0 = server.rss()

            def idle() -> None:
                now = time.time()
                if not rss or now - t0 - rss[-1][0] >= 0.25:
                    rss.append((now - t0, server.rss()))
                reader.check()

            step = s.step(rate, plan.slow_seconds, drain=plan.drain, idle=idle)
            settle = time.monotonic() + 3.0
            while not reader.check() and time.monotonic() < settle:
                idle()
                time.sleep(0.05)
            rss.append((time.time() - t0, server.rss()))
        finally:
            reader.close()
        sheds = [_log_time(m) - t0 for m in _SHED.findall(server.log())]
    shed = sheds[0] if sheds else None
    gone = reader.gone_at - t0 if reader.gone_at is not None else None
    result: dict[str, Any] = {
        "rate": rate,
        "healthy": healthy,
        "seconds": plan.slow_seconds,
        "baseline": baseline.summary(),
        "baseline_per_second": baseline.per_second(),
        "with_slow": step.summary(),
        "with_slow_per_second": step.per_second(),
        "p99_ratio_to_baseline": step.p99_ms / baseline.p99_ms if baseline.p99_ms else None,
        "sheds": len(sheds),
        "shed_at": shed,
        "gone_at": gone,
        "gone_how": reader.how,
        "close_code": reader.close_code,
        "closed_after_shed": (gone - shed) if gone is not None and shed is not None else None,
        "rss_start": rss0,
        "rss": rss,
        "rss_growth": max(r for _, r in rss) - rss0,
    }
    _say(
        f"slow {kind} with slow {_brief(step)}; shed at {_fmt(shed)} s, gone at {_fmt(gone)} s "
        f"({reader.how or 'still open'}), RSS +{result['rss_growth'] / 2**20:.1f} MiB"
    )
    return result


def _fmt(value: float | None) -> str:
    return "never" if value is None else f"{value:.2f}"


def _log_time(stamp: str) -> float:
    """A logging asctime ("2024-05-01 12:00:00,123", local time) as a Unix time."""
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()
