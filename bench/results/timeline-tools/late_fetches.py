"""late_fetches.py DIR...: the P2P pages' origin fetches by the decision that started them (an
unpacked `realistic-TAG-timeline` directory each): the actual transfer time against the one
planned at the page's rate estimate (`bytes_wanted / httpRate`), and how many arrived after
their deadline. For `fallback-takeover` fetches that arrived late, whether the decision came
after the fallback point (less time left than the planned transfer plus `http_margin_s`, 0.5 s:
a rule held it) or the transfer outlasted its plan."""

import collections
import glob
import json
import sys

MARGIN_S = 0.5


def fetches(directory: str):
    for path in glob.glob(f"{directory}/**/p2p-b*.json", recursive=True):
        with open(path) as f:
            events = sorted(json.load(f)["events"], key=lambda e: e["t"])
        why: dict[int, str] = {}
        started: dict[str, tuple[dict, str]] = {}
        for e in events:
            kind = e["kind"]
            if kind == "decision" and "firstPiece" in e and e.get("why") != "peer-request":
                why[e["seq"]] = e["why"]
            elif kind == "http-start":
                started[e["id"]] = (e, why.get(e["seq"], "?"))
            elif kind == "http-end" and e.get("outcome") == "ok" and e["id"] in started:
                start, reason = started.pop(e["id"])
                if not start.get("httpRate"):
                    continue
                planned = start["bytes_wanted"] / start["httpRate"]
                actual = (e["t"] - e["t0"]) / 1000
                yield reason, start, planned, actual


by_reason: dict[str, list[tuple[float, float, float]]] = collections.defaultdict(list)
late_fallbacks: collections.Counter[str] = collections.Counter()
for directory in sys.argv[1:]:
    for reason, start, planned, actual in fetches(directory):
        by_reason[reason].append((planned, actual, start["dueS"] - actual))
        if reason == "fallback-takeover" and start["dueS"] < actual:
            held = start["dueS"] < planned + MARGIN_S - 0.05
            state = "playing" if start["playing"] else "not playing"
            late_fallbacks[f"{'decided after the fallback point' if held else 'transfer outlasted its plan'} ({state})"] += 1
for reason, rows in sorted(by_reason.items(), key=lambda item: -len(item[1])):
    ratios = sorted(actual / planned for planned, actual, _ in rows if planned > 0)
    late = sum(1 for *_, slack in rows if slack < 0)
    median, p90 = ratios[len(ratios) // 2], ratios[int(len(ratios) * 0.9)]
    print(f"{reason:18s} {len(rows):5d} fetches, actual/planned median {median:.2f} p90 {p90:.2f}, after the deadline {late}")
for kind, count in late_fallbacks.most_common():
    print(f"  late fallback takeovers, {kind}: {count}")
