"""`swarmcast bench lab --scenario realistic`: 8 Chromium viewers (hls.js ABR) + 20 Python viewers
behind home NATs, a shared carrier-grade NAT and capped access links, with coturn, on a
3-rendition ladder; each run is a P2P phase then a CDN-only phase on the same stream and hosts
(e2e/lab/realistic_*.py; the scenario: bench/scenarios/realistic.toml).

    swarmcast bench lab --scenario realistic --runs 3 --lock /work/.heavy.lock

Every run's files go to `<out>/realistic-<stamp>/run-<k>/` (the raw record gzipped, the lab's
usual JSON/PNG/MD, `realistic.json` with this scenario's figures); `<out>/realistic-<stamp>.md`
and `.json` (the table: median and worst over runs, one row per run) are rewritten after every
run, so a cut-short series keeps what finished.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import logging
import time
from pathlib import Path
from typing import Any

from swarmcast.bench.lab_matrix import _new_dir, held_lock
from swarmcast.e2e.lab.config import REPO_ROOT
from swarmcast.e2e.lab.metrics import summarize
from swarmcast.e2e.lab.realistic_figures import aggregate, realistic_figures, run_row
from swarmcast.e2e.lab.realistic_run import run_realistic
from swarmcast.e2e.lab.realistic_scenario import RealisticScenario, lab_config, load_realistic
from swarmcast.e2e.lab.report import write_results

DEFAULT_SCENARIO = REPO_ROOT / "bench" / "scenarios" / "realistic.toml"
log = logging.getLogger("bench.lab")


def run(args: argparse.Namespace) -> int:
    scenario = load_realistic(args.scenario_file or DEFAULT_SCENARIO)
    if args.duration:
        scenario = _with_duration(scenario, args.duration)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    base = _new_dir(args.out, f"realistic-{stamp}")
    runs: list[dict[str, Any]] = []
    for k in range(max(1, args.runs or 1)):
        config = lab_config(
            scenario, seed=args.seed + k, timeline=bool(args.timeline), page_edge=args.page_edge
        )
        entry: dict[str, Any] = {"dir": str(base / f"run-{k + 1}"), "seed": config.seed}
        started = time.time()
        try:
            with held_lock(args.lock):
                raw = asyncio.run(run_realistic(scenario, config))
            entry.update(_write_run(raw, Path(entry["dir"])))
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # bounded and torn down by the runner: record and go on
            log.exception("realistic run %d failed", k + 1)
            entry["error"] = str(exc)[:500]
        entry["seconds"] = round(time.time() - started, 1)
        runs.append(entry)
        write_aggregate(base, scenario, runs)
        print(json.dumps({"run": k + 1, **{k2: v for k2, v in entry.items() if k2 != "row"},
                          **(entry.get("row") or {})}), flush=True)  # fmt: skip
    print(base.with_name(base.name + ".md").read_text())
    return 1 if any("error" in r for r in runs) else 0


def _with_duration(scenario: RealisticScenario, duration_s: float) -> RealisticScenario:
    import dataclasses

    return dataclasses.replace(scenario, duration_s=duration_s)


def _write_run(raw: dict[str, Any], run_dir: Path) -> dict[str, Any]:
    run_dir.mkdir(parents=True, exist_ok=True)
    with gzip.open(run_dir / "raw.json.gz", "wt") as handle:
        json.dump(raw, handle)
    summary = summarize(raw)
    write_results(raw, summary, run_dir)
    figures = realistic_figures(raw, summary)
    figures["turn_log_bytes"] = raw["realistic"].get("turn_log_bytes")
    (run_dir / "realistic.json").write_text(json.dumps(figures, indent=1) + "\n")
    return {"row": run_row(figures), "figures": str(run_dir / "realistic.json")}


def write_aggregate(base: Path, scenario: RealisticScenario, runs: list[dict[str, Any]]) -> None:
    rows = [r["row"] for r in runs if r.get("row")]
    document = {"kind": "swarmcast-lab-realistic", "runs": runs, "aggregate": aggregate(rows)}
    base.with_name(base.name + ".json").write_text(json.dumps(document, indent=1) + "\n")
    base.with_name(base.name + ".md").write_text(markdown(base, scenario, runs))


def _pct(value: Any) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _num(value: Any, unit: str = "") -> str:
    return "-" if value is None else f"{value:g}{unit}"


def markdown(base: Path, scenario: RealisticScenario, runs: list[dict[str, Any]]) -> str:
    rows = [r["row"] for r in runs if r.get("row")]
    agg = aggregate(rows)
    lines = [f"# Lab: realistic ({base.name})", ""]
    lines += [
        f"{len(scenario.hosts_of('browser'))} Chromium viewers (hls.js ABR) + "
        f"{len(scenario.hosts_of('python'))} Python viewers, ladder `{scenario.ladder_arg}` "
        f"at {scenario.fps} fps, {scenario.duration_s:g} s per phase (P2P, then CDN-only on the "
        "same stream and hosts). Definitions: `e2e/lab/realistic_figures.py`.",
        "",
        "| figure | median | worst |",
        "| --- | --- | --- |",
    ]
    labels = [
        ("offload", "offload (P2P phase)", _pct),
        ("bound", "capacity-aware bound", _pct),
        ("offload_of_bound", "offload / bound", _pct),
        ("upload_unused", "uploaded bytes no viewer kept (cancelled, held, or left)", _pct),
        ("p2p_browser_stalls", "browser stalls, P2P", _num),
        ("cdn_browser_stalls", "browser stalls, CDN-only", _num),
        ("p2p_python_stalls", "Python viewer stalls, P2P", _num),
        ("cdn_python_stalls", "Python viewer stalls, CDN-only", _num),
        ("abr_within_one", "browsers with P2P rung within one of CDN-only", _num),
        ("abr_same", "browsers on the same rung", _num),
        ("abr_max_apart", "most rungs apart", _num),
        ("ttff_p2p_median", "TTFF browsers P2P, median (s)", _num),
        ("ttff_p2p_worst", "TTFF browsers P2P, slowest (s)", _num),
        ("ttff_cdn_median", "TTFF browsers CDN-only, median (s)", _num),
        ("ttff_cdn_worst", "TTFF browsers CDN-only, slowest (s)", _num),
        ("pair_attempts", "host pairs tried", _num),
        ("pair_connected", "host pairs connected", _num),
        ("turn_sent_bytes", "coturn sent (bytes, P2P phase)", _num),
        ("cpu_mean_pct", "machine CPU % (P2P phase mean)", _num),
        ("load1_max", "load average max (P2P phase)", _num),
        ("cpu_browsers_p2p", "CPU, 8 browsers, P2P phase (% of one core)", _num),
        ("cpu_python_peers_p2p", "CPU, Python viewers, P2P phase (% of one core)", _num),
        ("cpu_origin_p2p", "CPU, origin, P2P phase (% of one core)", _num),
        ("cpu_browsers_cdn", "CPU, 8 browsers, CDN-only phase (% of one core)", _num),
        ("cpu_python_peers_cdn", "CPU, Python viewers, CDN-only phase (% of one core)", _num),
        ("cpu_origin_cdn", "CPU, origin, CDN-only phase (% of one core)", _num),
        ("publish_delay_p2p_max", "origin publish delay max, P2P phase (s)", _num),
        ("publish_delay_cdn_max", "origin publish delay max, CDN-only phase (s)", _num),
    ]
    for key, label, fmt in labels:
        if key in agg:
            lines.append(f"| {label} | {fmt(agg[key]['median'])} | {fmt(agg[key]['worst'])} |")
    lines += ["", "## Runs", ""]
    lines += [
        "| run | offload | bound | off/bound | stalls P2P (br+py) | stalls CDN (br+py) | "
        "ABR within one / same / compared | TTFF P2P med/worst | TTFF CDN med/worst | "
        "pairs connected/tried | selected pairs | s |",
        "| --- " * 12 + "|",
    ]
    for k, run in enumerate(runs):
        row = run.get("row")
        if not row:
            lines.append(f"| {k + 1} | failed: {run.get('error', '?')} |" + " |" * 10)
            continue
        lines.append(
            f"| {k + 1} | {_pct(row['offload'])} | {_pct(row['bound'])} | "
            f"{_pct(row['offload_of_bound'])} | {row['p2p_browser_stalls']}+"
            f"{row['p2p_python_stalls']} | "
            f"{row['cdn_browser_stalls']}+{row['cdn_python_stalls']} | "
            f"{row['abr_within_one']} / {row['abr_same']} / {row['abr_compared']} | "
            f"{_num(row['ttff_p2p_median'])} / {_num(row['ttff_p2p_worst'])} | "
            f"{_num(row['ttff_cdn_median'])} / {_num(row['ttff_cdn_worst'])} | "
            f"{row['pair_connected']}/{row['pair_attempts']} | {row['pairs_selected']} | "
            f"{run['seconds']} |"
        )
    for k, run in enumerate(runs):
        if run.get("figures"):
            lines += run_details(k + 1, json.loads(Path(run["figures"]).read_text()))
    lines += [
        "",
        f"Every run's files: `{base.name}/run-<k>/` (raw record, lab results, `realistic.json`: "
        "per viewer rung, bytes, stalls; swarms; NAT-pair matrix).",
        "",
    ]
    return "\n".join(lines)


def run_details(number: int, figures: dict[str, Any]) -> list[str]:
    """One run's swarms (per rendition), browsers' rungs P2P vs CDN-only, the NAT-pair matrix."""
    lines = ["", f"### Run {number}", ""]
    lines += ["| phase | rendition | viewers | rate kbit/s | upload kbit/s | bound | offload |",
              "| --- " * 7 + "|"]  # fmt: skip
    for name, phase in figures["phases"].items():
        for rung, swarm in phase["swarms"].items():
            lines.append(
                f"| {name} | {rung} | {swarm['viewers']} | {swarm['rate_kbit']} | "
                f"{swarm['upload_kbit']} | {_pct(swarm['bound'])} | {_pct(swarm['offload'])} |"
            )
    viewers = {
        (name, v["slot"]): v
        for name, phase in figures["phases"].items()
        for v in phase["viewers"]
        if v["kind"] == "browser"
    }
    lines += ["", "| browser slot | NAT | access | down kbit/s | rung P2P (shares) | rung CDN "
              "(shares) | stalls P2P / CDN | TTFF P2P / CDN (s) |", "| --- " * 8 + "|"]  # fmt: skip
    for slot in sorted({slot for _, slot in viewers}):
        p2p, cdn = viewers.get(("p2p", slot)), viewers.get(("cdn", slot))
        any_one = p2p or cdn
        assert any_one is not None

        def rung(v: dict[str, Any] | None) -> str:
            if not v:
                return "-"
            shares = ", ".join(f"{k} {x:.0%}" for k, x in v.get("rung_shares", {}).items() if x)
            return f"{v['rung']} ({shares})"

        def pick(v: dict[str, Any] | None, key: str) -> str:
            return "-" if not v or v.get(key) is None else f"{v[key]:g}"

        lines.append(
            f"| {slot} | {any_one['nat']} | {any_one['access']} | {any_one['down_kbit']} | "
            f"{rung(p2p)} | {rung(cdn)} | {pick(p2p, 'stalls')} / {pick(cdn, 'stalls')} | "
            f"{pick(p2p, 'ttff_s')} / {pick(cdn, 'ttff_s')} |"
        )
    pairs = figures["phases"].get("p2p", {}).get("pairs") or {}
    lines += ["", "| NAT pair (P2P phase) | host pairs tried | connected | selected pair |",
              "| --- | --- | --- | --- |"]  # fmt: skip
    for pair, cell in (pairs.get("matrix") or {}).items():
        lines.append(f"| {pair} | {cell['attempts']} | {cell['connected']} | {cell['pairs']} |")
    cpu = figures["phases"].get("p2p", {}).get("cpu") or {}
    if cpu:
        lines += ["", f"CPU (P2P phase): machine {cpu.get('machine_mean_pct')}% mean, "
                  f"{cpu.get('machine_max_pct')}% max, load1 max {cpu.get('load1_max')}; "
                  f"per role (% of one core): {cpu.get('roles_mean_pct_of_core')}"]  # fmt: skip
    for name, phase in figures["phases"].items():
        publish = phase.get("origin_publish") or {}
        if publish.get("segments"):
            lines.append(
                f"Origin publish delay ({name} phase, {publish['segments']} segments): median "
                f"{publish['median_s']} s, max {publish['max_s']} s (above ~1 s the origin fell "
                "behind real time: viewers waited for segments that did not exist yet)."
            )
    return lines
