"""Origin fetches that started behind a later segment's fetch on the same connection (session 55).

behind_later.py RUN_DIR...: per run, the engine's origin fetches of a segment the player had asked
for (a frag-request for its seq before the fetch) that started while a fetch of a later segment
was in flight (behind an HTTP/2 edge the later one's bytes come first), their count, and how many
of them preceded a stall of that page within 4 s of the fetch's end.
"""

from __future__ import annotations

import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from pages import first_asks, p2p_pages  # noqa: E402


def main() -> None:
    for run in sys.argv[1:]:
        asked_n = behind = before_stall = 0
        for _f, _d, ev in p2p_pages(run):
            asked = first_asks(ev)
            stalls = [e["t"] - e["ms"] for e in ev if e["kind"] == "stall" and e.get("phase") == "end"]
            ends = {e["id"]: e["t"] for e in ev if e["kind"] == "http-end"}
            open_: dict[str, dict] = {}
            for e in ev:
                if e["kind"] == "http-start":
                    seq = e.get("seq")
                    if seq is not None and asked.get(seq, float("inf")) <= e["t"]:
                        asked_n += 1
                        if any(o.get("seq") is not None and o["seq"] > seq for o in open_.values()):
                            behind += 1
                            end = ends.get(e["id"], e["t"])
                            if any(end - 1000 <= s <= end + 4000 for s in stalls):
                                before_stall += 1
                    open_[e["id"]] = e
                elif e["kind"] == "http-end":
                    open_.pop(e.get("id"), None)
        print(f"{run.rstrip('/').split('/')[-1]}: asked fetches {asked_n}, behind a later one {behind}, near a stall {before_stall}")


if __name__ == "__main__":
    main()
