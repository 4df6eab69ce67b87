"""Who abandoned whom as silent or slow (session 57).

abandoned.py TIMELINE_DIR...: per run, the P2P pages' `abandon-peer` decisions by the access
class of the abandoning page and of the neighbour abandoned (ids resolved by
`../timeline-tools/peer_ids.py`; `?` when the openings do not settle an id) and the reason.
An abandoned neighbour gets no requests for `peer_cooldown_s`.
"""

from __future__ import annotations

import collections
import sys

sys.path.insert(0, __file__.rsplit("/", 2)[0] + "/timeline-tools")
from peer_ids import access_by_page, load_pages, resolve  # noqa: E402


def main() -> None:
    for d in sys.argv[1:]:
        access = access_by_page(d)
        pages = load_pages(d)
        byid = resolve(pages)
        table: collections.Counter[tuple[str, str, str]] = collections.Counter()
        for page, events in pages.items():
            for e in events:
                if e["kind"] == "decision" and e.get("why") == "abandon-peer":
                    other = access.get(byid.get(e["peer"]), "?")
                    table[(access[page], other, e.get("reason", "?"))] += 1
        cells = " ".join(f"{a}<-{b} {r} {n}" for (a, b, r), n in sorted(table.items()))
        print(f"{d.rstrip('/').split('/')[-1][:27]} total {sum(table.values())}: {cells}")


if __name__ == "__main__":
    main()
