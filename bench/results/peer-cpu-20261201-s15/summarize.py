"""Median and worst per mode of RAW/msg_cost_series.jsonl, and the sparser-traffic runs (run from
this directory; RAW: raw/v1, the first version, without the quiet-link rule, or raw/v2):

    python summarize.py raw/v2
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

raw = Path(sys.argv[1] if len(sys.argv) > 1 else "raw/v2")
rows = [json.loads(line) for line in (raw / "msg_cost_series.jsonl").read_text().splitlines()]
keys = {
    "control ms": "cpu_ms_per_control_message_two_ends",
    "piece ms": "cpu_ms_per_piece_two_ends",
    "piece CPU s/MB": "cpu_s_per_MB_pieces_two_ends",
}
by_mode: dict[str, list[dict[str, float]]] = defaultdict(list)
for row in rows:
    by_mode[row["mode"]].append(row["result"])
print("| mode | runs | " + " | ".join(f"{k}: median (worst)" for k in keys) + " |")
print("| --- | --- | " + " | ".join("---" for _ in keys) + " |")
medians: dict[str, dict[str, float]] = {}
for mode in ("main", "off", "on"):
    results = by_mode[mode]
    medians[mode] = {k: statistics.median(r[v] for r in results) for k, v in keys.items()}
    cells = [f"{medians[mode][k]:.3f} ({max(r[v] for r in results):.3f})" for k, v in keys.items()]
    print(f"| {mode} | {len(results)} | " + " | ".join(cells) + " |")
for base in ("off", "main"):
    change = [f"{k} {100 * (medians['on'][k] / medians[base][k] - 1):+.0f}%" for k in keys]
    print(f"on vs {base} (medians): " + ", ".join(change))
print()
print("| series | round | mode | load1 | control ms | piece ms |")
print("| --- | --- | --- | --- | --- | --- |")
for row in rows:
    r = row["result"]
    print(
        f"| {row.get('series', 1)} | {row['round']} | {row['mode']} | {row['load1_before']} | "
        f"{r['cpu_ms_per_control_message_two_ends']} | {r['cpu_ms_per_piece_two_ends']} |"
    )

# Sparser traffic (run_sparse.sh, counted; run_lone.sh, not counted)
for name in ("msg_cost_sparse.jsonl", "msg_cost_lone.jsonl"):
    path = raw / name
    if not path.exists():
        continue
    print()
    print(f"{name}:")
    print("| gap ms | SACK delay ms | load1 | control ms | piece ms | DATA / SACK (control) | "
          "DATA / SACK (pieces) |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for line in path.read_text().splitlines():
        row = json.loads(line)
        r = row["result"]
        counts = []
        for phase in ("control", "pieces"):
            sent = r.get(f"packets_sent_during_{phase}")
            counts.append(f"{sent['a'].get('DATA')} / {sent['b'].get('SACK')}" if sent else "-")
        print(
            f"| {r['gap_ms']:g} | {r['sack_delay_ms']:g} | {row['load1_before']} | "
            f"{r['cpu_ms_per_control_message_two_ends']} | {r['cpu_ms_per_piece_two_ends']} | "
            + " | ".join(counts)
            + " |"
        )
