"""The table (every figure, its ratio to the bare server, the target), JSON and PNG plots."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Row", "plot", "rows", "table", "write_json"]

KiB = 1024
MiB = 2**20


@dataclass
class Row:
    """One figure: the project's value, the bare server's, and the target if there is one."""

    section: str
    figure: str
    project: float | None
    bare: float | None
    unit: str
    target: str = ""
    passed: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.project is None or self.bare is None or not self.bare or _nan(self.project):
            return None
        return self.project / self.bare


def _nan(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _get(data: Any, *path: str | int) -> Any:
    for key in path:
        if data is None:
            return None
        data = data.get(key) if isinstance(data, dict) else data[key]
    return data


def rows(results: dict[str, Any]) -> list[Row]:
    """Every figure of the run, in the order of issue 6."""
    out: list[Row] = []
    fan = results.get("fanout")
    if fan:
        for k in fan["project"]:
            p, b = _get(fan, "project", k, "fixed"), _get(fan, "bare", k, "fixed")
            rate = p["rate"]
            section = f"fan-out {rate:.0f} ev/s K={k}"
            out.append(Row(section, "delivered", 100 * p["delivered"], 100 * b["delivered"], "%"))
            out.append(Row(section, "latency p50", p["p50_ms"], b["p50_ms"], "ms"))
            row = Row(section, "latency p99", p["p99_ms"], b["p99_ms"], "ms")
            if k == "100":
                row.target = "<=1.5x, <20 ms"
                row.passed = row.ratio is not None and row.ratio <= 1.5 and p["p99_ms"] < 20
            out.append(row)
        for k in fan["project"]:
            p, b = fan["project"][k], fan["bare"][k]
            row = Row("fan-out sustained", f"ev/s per client K={k}",
                      p["sustained_rate"], b["sustained_rate"], "ev/s")  # fmt: skip
            if k in ("100", "1000"):
                row.target = ">=1.0x"
                row.passed = row.ratio is not None and row.ratio >= 1.0
            if k == "1" and "ladder" in p:  # resolved on a 5 % ladder, both in turns
                row.target = ">=0.8x"
                row.passed = row.ratio is not None and row.ratio >= 0.8
            out.append(row)
    prof = results.get("profiles")
    if prof:
        for k in prof["jsonrpc"]:
            rpc, spine = prof["jsonrpc"][k]["sustained_rate"], prof["project"][k]["sustained_rate"]
            row = Row("jsonrpc vs spine", f"ev/s per client K={k}", rpc, spine, "ev/s", ">=0.9x")
            row.passed = row.ratio is not None and row.ratio >= 0.9
            out.append(row)
    rec = results.get("recording")
    if rec:
        for k in rec["recording"]:
            with_record = rec["recording"][k]["sustained_rate"]
            without = rec["project"][k]["sustained_rate"]
            row = Row("recording vs not", f"ev/s per client K={k}", with_record, without, "ev/s",
                      ">=0.9x")  # fmt: skip
            row.passed = row.ratio is not None and row.ratio >= 0.9
            out.append(row)
        if "recorder_per_frame_us" in rec:
            out.append(Row("recording vs not", "recorder, per frame on the loop",
                           rec["recorder_per_frame_us"], None, "us"))  # fmt: skip
    pub = _get(results, "publishing", "project")
    if pub:
        section = f"publishing: a tick of {pub['agents']:,} agents, on the simulation's thread"
        out.append(Row(section, "per update, as columns / one broadcast each",
                       pub["columns"] * 1e6, pub["each"] * 1e6, "us"))  # fmt: skip
        if "columns_made" in pub:
            out.append(Row(section, "per update, as columns with a JSON client / one each",
                           pub["columns_made"] * 1e6, pub["each"] * 1e6, "us"))  # fmt: skip
    for agents, world in (_get(results, "bigworld", "project") or {}).items():
        section = (
            f"big world: {int(agents):,} agents moving at {world['tick_rate']:g} ticks/s, "
            f"{world['clients']} clients, columns / JSON"
        )
        # A mode not run (JSON at 100,000 agents) or that failed has no figures: n/a.
        none: dict[str, Any] = {}
        plain, packed = world.get("spine.v1", none), world.get("spine.v1.msgpack", none)
        columns = world.get("columns", packed)  # before columns: MessagePack's

        def figure(seen: dict[str, Any], key: str, scale: float = 1.0) -> float | None:
            per_update = key in ("bytes_per_update", "server_cpu_per_update_us")
            if key not in seen or (per_update and not seen["updates"]):
                return None  # not run, or every client shed before it got one
            return float(seen[key]) * scale

        for mode in ("columns", "spine.v1"):
            if "failed" in world.get(mode, none):
                out.append(Row(section, f"{mode}: could not run ({world[mode]['failed'][:60]})",
                               None, None, ""))  # fmt: skip
        compared = "bytes_per_update" in columns and "bytes_per_update" in plain
        small = compared and columns["bytes_per_update"] <= 0.2 * plain["bytes_per_update"]
        # No JSON run to compare with (100,000 agents): no verdict, not a miss.
        out.append(Row(section, "bytes per agent update", figure(columns, "bytes_per_update"),
                       figure(plain, "bytes_per_update"), "B", "<=0.2x" if compared else "",
                       small if compared else None))  # fmt: skip
        out.append(Row(section, "bytes per agent update, MessagePack / JSON",
                       figure(packed, "bytes_per_update"), figure(plain, "bytes_per_update"),
                       "B"))  # fmt: skip
        out.append(Row(section, "updates delivered, share of published",
                       figure(columns, "delivered_share", 100),
                       figure(plain, "delivered_share", 100), "%"))  # fmt: skip
        whole = "server_cpu" in columns and columns["server_cpu"] < 1 and not columns["closed"]
        out.append(Row(section, "server CPU", figure(columns, "server_cpu"),
                       figure(plain, "server_cpu"), "cores", "<1, whole",
                       whole and columns["delivered_share"] >= 0.999))  # fmt: skip
        out.append(Row(section, "clients shed (of 10)", figure(columns, "closed"),
                       figure(plain, "closed"), ""))  # fmt: skip
        out.append(Row(section, "server CPU per update delivered",
                       figure(columns, "server_cpu_per_update_us"),
                       figure(plain, "server_cpu_per_update_us"), "us"))  # fmt: skip
        region = world.get("region", none)
        if "bytes_per_tick" in region:
            out.append(Row(section, "KiB a client receives a tick, region (1/4 world) / JSON",
                           figure(region, "bytes_per_tick", 1 / 1024),
                           figure(plain, "bytes_per_tick", 1 / 1024), "KiB"))  # fmt: skip
            out.append(Row(section, "server CPU, region / JSON", figure(region, "server_cpu"),
                           figure(plain, "server_cpu"), "cores"))  # fmt: skip
    up = _get(results, "upload", "project")
    if up:
        section = f"upload: a {up['bytes'] / 2**20:.1f} MiB command (route-sim map.import)"
        ratio = up["upload_p50_s"] / up["export_p50_s"]
        out.append(Row(section, "round trip p50, upload / export of the same bytes",
                       up["upload_p50_s"] * 1000, up["export_p50_s"] * 1000, "ms", "<=2x",
                       ratio <= 2.0))  # fmt: skip
        first = (up["rss_after_first"] - up["rss_before"]) / 2**20
        last = (up["rss_after_last"] - up["rss_before"]) / 2**20
        grew = last <= first + up["bytes"] / 2**20
        out.append(Row(section, f"RSS growth after 1 / {up['uploads']} uploads", last, first,
                       "MiB", "no growth per upload", grew))  # fmt: skip
    sk = _get(results, "seek", "project")
    if sk:
        section = (
            f"seek: replay of {sk['recorded_seconds'] / 60:.0f} min of the default world "
            f"({sk['frames']} frames)"
        )
        out.append(Row(section, f"seek to its snapshot and reply, p50 of {sk['seeks']}",
                       sk["p50_ms"], None, "ms"))  # fmt: skip
        out.append(Row(section, f"seek to its snapshot and reply, p99 of {sk['seeks']}",
                       sk["p99_ms"], None, "ms", "<=100 ms", sk["max_ms"] <= 100))  # fmt: skip
        out.append(Row(section, "the recording indexed, replay ready", sk["replay_ready_seconds"],
                       None, "s"))  # fmt: skip
        out.append(Row(section, "recorded seconds played a second at 100x",
                       sk["replay_speed_at_100x"], None, "x", ">=90x",
                       sk["replay_speed_at_100x"] >= 90))  # fmt: skip
        out.append(Row(section, "recording size, an hour of the default world",
                       sk["megabytes_per_hour"], None, "MB"))  # fmt: skip
    mem = results.get("memory")
    if mem:
        row = Row("memory", f"RSS per idle connection K={mem['project']['clients']}",
                  mem["project"]["per_connection"] / 1024, mem["bare"]["per_connection"] / 1024,
                  "KiB", "<=1.2x")  # fmt: skip
        row.passed = row.ratio is not None and row.ratio <= 1.2
        out.append(row)
    cmd = _get(results, "commands", "project")
    if cmd:
        seq, pipe = cmd["sequential"], cmd["pipelined"]
        out.append(Row("commands", "sequential round trips", seq["per_second"], None, "/s"))
        out.append(Row("commands", "sequential p50", seq["p50_ms"], None, "ms"))
        out.append(Row("commands", "sequential p99", seq["p99_ms"], None, "ms", "<=1 ms",
                       seq["p99_ms"] <= 1.0))  # fmt: skip
        out.append(Row("commands", f"pipelined (window {pipe['window']})", pipe["per_second"],
                       None, "/s", ">=20000", pipe["per_second"] >= 20000))  # fmt: skip
        out.append(Row("commands", "pipelined p50", pipe["p50_ms"], None, "ms"))
        out.append(Row("commands", "pipelined p99", pipe["p99_ms"], None, "ms"))
    slow = results.get("slow")
    if slow:
        p, b = slow["project"], slow["bare"]
        section = f"slow consumer {p['healthy']}+1, {p['rate']:.0f} ev/s, {p['seconds']:.0f} s"
        pd, bd = p["with_slow"]["delivered"], b["with_slow"]["delivered"]
        out.append(Row(section, "healthy delivered", 100 * pd, 100 * bd, "%", "100 %", pd >= 1.0))
        out.append(Row(section, "healthy p99, no slow client",
                       p["baseline"]["p99_ms"], b["baseline"]["p99_ms"], "ms"))  # fmt: skip
        out.append(Row(section, "healthy p99, with slow client",
                       p["with_slow"]["p99_ms"], b["with_slow"]["p99_ms"], "ms"))  # fmt: skip
        ratio = p["p99_ratio_to_baseline"]
        out.append(Row(section, "  p99 with / without slow", ratio, b["p99_ratio_to_baseline"],
                       "x", "<=1.2x own", ratio is not None and ratio <= 1.2))  # fmt: skip
        out.append(Row(section, "slow client shed (queue limit) at",
                       p["shed_at"], b["shed_at"], "s"))  # fmt: skip
        after = p["closed_after_shed"]
        # A client that reads nothing of a stream of agent updates is coalesced, not
        # shed (issue 15): it holds the latest of each agent and what cannot be
        # coalesced, within the limits, until those or its keepalive give out.
        shed = p["shed_at"] is not None
        out.append(Row(section, f"slow client gone after shed ({p['gone_how'] or 'open'})",
                       after, b["closed_after_shed"], "s", "<=2 s" if shed else "",
                       (after is not None and after <= 2.0) if shed else None))  # fmt: skip
        limit = results.get("meta", {}).get("send_queue_bytes", 1 * MiB)
        growth = p["rss_growth"] / MiB
        out.append(Row(section, "server RSS growth (history off)", growth, b["rss_growth"] / MiB,
                       "MiB", f"<={2 * limit / MiB:.0f} MiB (2x queue limit)",
                       growth <= 2 * limit / MiB))  # fmt: skip
    storm = _get(results, "storm", "project")
    if storm:
        section = (f"join storm {storm['joiners']} joiners x {storm['agents']} agents "
                   f"({storm['snapshot_bytes'] / MiB:.1f} MiB), 5 readers")  # fmt: skip
        out.append(Row(section, "time to snapshot p50", storm["snapshot_p50_s"], None, "s"))
        out.append(Row(section, "time to snapshot max", storm["snapshot_max_s"], None, "s"))
        out.append(Row(section, "worst tick gap at readers", storm["max_tick_gap_ms"], None,
                       "ms"))  # fmt: skip
        out.append(Row(section, "server RSS growth", storm["rss_growth"] / MiB, None, "MiB"))
        shed = storm["readers_shed"] + storm["joiners_failed"]
        out.append(Row(section, "readers shed + joiners failed", shed, None, "", "0",
                       shed == 0))  # fmt: skip
    resumed = _get(results, "resume", "project")
    if resumed:
        out.extend(_resume_rows(resumed))
    clustered = _get(results, "cluster", "project")
    if clustered:
        out.extend(_cluster_rows(clustered))
    if _get(results, "delivery"):
        out.extend(_delivery_rows(results["delivery"]))
    if _get(results, "browser"):
        out.extend(_browser_rows(results["browser"]))
    return out


def _cluster_rows(result: dict[str, Any]) -> list[Row]:
    """`project` is a gateway's clients, `bare` the host's own, in the latency rows."""
    out = []
    for k, row in result["latency"].items():
        section = f"cluster: gateway's clients vs host's, {result['rate']:.0f} ev/s K={k}"
        gateway, host = row["gateway"], row["host"]
        out.append(Row(section, "delivered", 100 * gateway["delivered"],
                       100 * host["delivered"], "%"))  # fmt: skip
        out.append(Row(section, "latency p50", gateway["p50_ms"], host["p50_ms"], "ms"))
        out.append(Row(section, "latency p99", gateway["p99_ms"], host["p99_ms"], "ms"))
    fanout = result["fanout"]
    section = (f"cluster fan-out {fanout['clients']:,} clients, {result['fanout_rate']:.0f} "
               "ev/s: two gateways vs the host alone")  # fmt: skip
    two, one = fanout["two gateways"], fanout["one process"]
    out.append(Row(section, "delivered", 100 * two["delivered"], 100 * one["delivered"], "%"))
    out.append(Row(section, "latency p99", two["p99_ms"], one["p99_ms"], "ms"))
    out.append(Row(section, "host CPU", two["server_cpu"], one["server_cpu"], "cores"))
    out.append(Row(section, "gateways + NATS CPU", sum(two["others_cpu"]),
                   sum(one["others_cpu"]), "cores"))  # fmt: skip
    per = [r["cpu_seconds"] / max(1.0, r["delivered_events"]) * 1e6 for r in (two, one)]
    out.append(Row(section, "CPU per delivered event", per[0], per[1], "us"))
    return out


def _delivery_rows(result: dict[str, Any]) -> list[Row]:
    """`project` is the subscribed clients, `bare` the plain ones of the same server,
    except in the half-rate rows (the bare server there)."""
    out = []
    for k, pair in result["batching"].items():
        section = f"batch frames vs one frame per event, K={k}"
        batched, plain = pair["batched"], pair["unbatched"]
        out.append(Row(section, "sustained rate", batched["sustained_rate"],
                       plain["sustained_rate"], "ev/s"))  # fmt: skip
        first_b, first_p = batched["steps"][0], plain["steps"][0]
        rate = f"at {first_b['rate']:.0f} ev/s"
        for figure, key, unit, scale in (
            ("frames per client", "frames_per_client_s", "/s", 1),
            ("events per client", "events_per_client_s", "/s", 1),
            ("KiB per client", "bytes_per_client_s", "KiB/s", 1 / KiB),
            ("server CPU", "server_cpu", "cores", 1),
        ):
            out.append(Row(section, f"{figure} {rate}", first_b[key] * scale,
                           first_p[key] * scale, unit))  # fmt: skip
    one, every = result["filtered"]["one_percent"], result["filtered"]["all"]
    section = f"a client of 1 % of the agents vs of all, {every['rate']:.0f} ev/s"
    for figure, key, unit, scale in (
        ("events per client", "events_per_client_s", "/s", 1),
        ("KiB per client", "bytes_per_client_s", "KiB/s", 1 / KiB),
        ("server CPU", "server_cpu", "cores", 1),
    ):
        out.append(Row(section, figure, one[key] * scale, every[key] * scale, unit))
    half = result["half_rate"]
    project, bare = half["project"], half["bare"]
    section = "a reader at half the event rate: project (coalescing) vs bare"
    out.append(Row(section, "age of positions received p50", project["p50_ms"],
                   bare["p50_ms"], "ms"))  # fmt: skip
    late, late_bare = project["last_p50_ms"], bare["last_p50_ms"]
    out.append(Row(section, "age in the last second p50", late, late_bare, "ms",
                   "< bare", late < late_bare))  # fmt: skip
    out.append(Row(section, "updates left out (told)", project["skipped"], None, ""))
    closed = [0 if side["closed"] is None else 1 for side in (project, bare)]
    out.append(Row(section, "closed", closed[0], closed[1], "", "0", not closed[0]))
    out.append(Row(section, "healthy clients delivered", 100 * project["healthy"]["delivered"],
                   100 * bare["healthy"]["delivered"], "%"))  # fmt: skip
    batched = half.get("batched")
    if batched:
        section = "a batched reader at half the stream's bytes (a busy tab)"
        out.append(Row(section, "age in the last second p50", batched["last_p50_ms"], None,
                       "ms"))  # fmt: skip
        out.append(Row(section, "updates left out (told)", batched["skipped"], None, ""))
        gone = 0 if batched["closed"] is None else 1
        out.append(Row(section, "closed", gone, None, "", "0", not gone))
    return out


def _browser_rows(result: dict[str, Any]) -> list[Row]:
    batched, plain = result["batched"], result["unbatched"]
    section = "a Chromium tab: batched vs one frame per event"
    rows = [
        Row(section, "sustained into world", batched["sustained_events_per_s"],
            plain["sustained_events_per_s"], "ev/s"),
        Row(section, "main thread per 1,000 events", batched["main_thread_ms_per_1000"],
            plain["main_thread_ms_per_1000"], "ms"),
    ]  # fmt: skip
    packed = result.get("batched_msgpack")
    if packed:
        section = "a Chromium tab, batched: MessagePack vs JSON"
        rows += [
            Row(section, "sustained into world", packed["sustained_events_per_s"],
                batched["sustained_events_per_s"], "ev/s"),
            Row(section, "main thread per 1,000 events", packed["main_thread_ms_per_1000"],
                batched["main_thread_ms_per_1000"], "ms"),
        ]  # fmt: skip
    columns, big = result.get("big_columns"), result.get("big_batched_msgpack")
    if columns and big:
        section = f"a Chromium tab, {result['big_agents']:,} agents: columns vs batched MessagePack"
        capacity = columns["capacity_events_per_s"] or 0
        rows += [
            Row(section, "sustained into world (the server's limit)",
                columns["sustained_events_per_s"], big["sustained_events_per_s"], "up/s"),
            Row(section, "main thread per 1,000 updates", columns["main_thread_ms_per_1000"],
                big["main_thread_ms_per_1000"], "ms"),
            Row(section, "the tab's capacity (1 / main thread)", capacity,
                big["capacity_events_per_s"], "up/s", ">=1,000,000", capacity >= 1_000_000),
        ]  # fmt: skip
    viewer = result.get("viewer")
    if viewer and "failed" in viewer:
        rows.append(Row("the viewer page (WebGL), a big swarm as columns",
                        f"could not run ({viewer['failed'][:60]})", None, None, ""))  # fmt: skip
    elif viewer:
        section = (
            f"the viewer page ({viewer['renderer']}), {viewer['agents']:,} agents at "
            f"{viewer['tick_rate']} ticks/s as columns"
        )
        fps = viewer["frames_per_s"] or 0
        rows += [
            Row(section, "page frames a second (1 / median frame interval)", fps, None, "fps",
                ">=20", fps >= 20),
            Row(section, "world redrawn a second (on a new tick or a move)",
                viewer["draws_per_s"], None, "/s"),
            Row(section, "a frame's main-thread time, p50 / p95", viewer["draw_ms_p50"],
                viewer["draw_ms_p95"], "ms"),
            Row(section, "updates into world / thinned (told)", viewer["updates_per_s_received"],
                viewer["updates_per_s_skipped"], "up/s"),
        ]  # fmt: skip
    return rows


def _resume_rows(result: dict[str, Any]) -> list[Row]:
    cases = result["cases"]
    snapshot = cases["snapshot"]
    section = f"resume vs snapshot, {result['agents']:,} agents ({snapshot['bytes'] / MiB:.1f} MiB)"
    out = [
        Row(section, "fresh snapshot: bytes", snapshot["bytes"] / KiB, None, "KiB"),
        Row(section, "fresh snapshot: time to current", snapshot["seconds"] * 1000, None, "ms"),
    ]
    for name, missed in (("resume_100", "100"), ("resume_10000", "10,000")):
        row = cases[name]
        how = "resumed" if row["outcomes"] == ["resumed"] else "/".join(row["outcomes"])
        out.append(Row(section, f"missed {missed} ({how}): bytes", row["bytes"] / KiB,
                       None, "KiB"))  # fmt: skip
        out.append(Row(section, f"missed {missed}: time to current", row["seconds"] * 1000,
                       None, "ms"))  # fmt: skip
    storm = result["storm"]
    section = f"resume storm {storm['clients']:,} clients, up to {storm['back']:,} events back"
    ok = storm["resumed"] == storm["clients"] and storm["failures"] == 0
    out.append(Row(section, "resumed", storm["resumed"], None, "", "all", ok))
    out.append(Row(section, "time to current p50", storm["seconds_p50"], None, "s"))
    out.append(Row(section, "time to current max", storm["seconds_max"], None, "s"))
    growth, history = storm["rss_growth"] / MiB, storm["history_bytes"] / MiB
    out.append(Row(section, "history held", history, None, "MiB"))
    # Each client holds at most its transport's write buffer (64 KiB high water mark)
    # of its replay at a time; the frames themselves are the history's.
    bound = history + storm["clients"] * 64 / 1024
    out.append(Row(section, "server RSS growth", growth, None, "MiB",
                   f"<={bound:.0f} MiB (history + 64 KiB/client)", growth <= bound))  # fmt: skip
    return out


def _num(x: float | None, unit: str) -> str:
    if _nan(x):
        return "n/a"
    assert x is not None
    if unit in ("ev/s", "/s", "up/s"):
        return f"{x:,.0f}"
    if unit == "%":
        return f"{x:.2f}"
    return f"{x:.3f}" if abs(x) < 10 else f"{x:.1f}"


def table(all_rows: list[Row]) -> str:
    """The rows as a fixed-width text table, grouped by section."""
    head = ("figure", "project", "bare", "ratio", "unit", "target")
    body = []
    section = None
    for row in all_rows:
        if row.section != section:
            section = row.section
            body.append((f"[{section}]", "", "", "", "", ""))
        verdict = "" if row.passed is None else (" ok" if row.passed else " MISS")
        ratio = "n/a" if row.ratio is None else f"{row.ratio:.2f}x"
        body.append(
            (
                "  " + row.figure,
                _num(row.project, row.unit),
                _num(row.bare, row.unit),
                ratio,
                row.unit,
                row.target + verdict,
            )
        )
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    align: list[Callable[[str, int], str]] = [str.ljust, str.rjust, str.rjust, str.rjust,
                                              str.ljust, str.ljust]  # fmt: skip
    lines = ["  ".join(align[i](r[i], widths[i]) for i in range(len(r))).rstrip()
             for r in [head, *body]]  # fmt: skip
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def write_json(results: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(results, indent=1, default=_jsonable) + "\n")


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def plot(results: dict[str, Any], out_dir: Path) -> list[Path]:
    """fanout.png (latency, delivery and throughput against K) and slow_consumer.png."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    styles = {"project": ("tab:blue", "spine-ws"), "bare": ("tab:gray", "bare websockets")}
    fan = results.get("fanout")
    if fan:
        fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
        for kind, (color, label) in styles.items():
            ks = [int(k) for k in fan[kind]]
            fixed = [fan[kind][str(k)]["fixed"] for k in ks]
            axes[0].plot(ks, [f["p50_ms"] for f in fixed], "o--", color=color, label=f"{label} p50")
            axes[0].plot(ks, [f["p99_ms"] for f in fixed], "o-", color=color, label=f"{label} p99")
            axes[1].plot(ks, [100 * f["delivered"] for f in fixed], "o-", color=color, label=label)
            rates = [fan[kind][str(k)]["sustained_rate"] or float("nan") for k in ks]
            axes[2].plot(ks, rates, "o-", color=color, label=label)
        rate = next(iter(fan["project"].values()))["fixed"]["rate"]
        axes[0].set(
            xscale="log",
            yscale="log",
            xlabel="clients",
            ylabel="publish-to-receive latency (ms)",
            title=f"latency at {rate:.0f} ev/s",
        )
        axes[1].set(
            xscale="log",
            ylim=(0, 105),
            xlabel="clients",
            ylabel="delivered (%)",
            title=f"delivered at {rate:.0f} ev/s",
        )
        axes[2].set(xscale="log", yscale="log", xlabel="clients",
                    ylabel="events/s per client", title="highest sustained rate")  # fmt: skip
        for ax in axes:
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
        fig.tight_layout()
        path = out_dir / "fanout.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    slow = results.get("slow")
    if slow:
        fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
        for kind, (color, label) in styles.items():
            data = slow[kind]
            for key, style, name in (
                ("baseline_per_second", ":", "no slow client"),
                ("with_slow_per_second", "-", "with slow client"),
            ):
                bins = data[key]
                axes[0].plot([b["second"] for b in bins], [b["p99_ms"] for b in bins], style,
                             color=color, label=f"{label}, {name}")  # fmt: skip
            axes[1].plot([t for t, _ in data["rss"]], [r / MiB for _, r in data["rss"]], "-",
                         color=color, label=label)  # fmt: skip
            for at, mark in ((data["shed_at"], "--"), (data["gone_at"], "-.")):
                if at is not None:
                    for ax in axes:
                        ax.axvline(at, linestyle=mark, color=color, alpha=0.6)
        axes[0].set(yscale="log", xlabel="seconds", ylabel="healthy clients' p99 (ms)",
                    title="healthy p99 per second (-- shed, -. gone)")  # fmt: skip
        axes[1].set(xlabel="seconds", ylabel="server RSS (MiB)", title="server RSS")
        for ax in axes:
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=8)
        fig.tight_layout()
        path = out_dir / "slow_consumer.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written
