"""The swarm lab: real Chromium viewers (and Python peers) in network namespaces watching one
live stream, P2P against CDN-only, measured against the 1 - 1/N offload bound.

- `config`: LabConfig / PhaseSpec, every default in one place.
- `netns`: the topology (router + one namespace per host, tbf egress caps, link counters).
- `runner`: one run end to end (origin, joins/leaves on schedule, teardown in `finally`).
- `viewer_worker` + `probe.js`: one Chromium viewer and what it measures in the page.
- `schedule`, `metrics`: pure planning and summaries; `report`: JSON, PNG, Markdown.

`swarmcast bench lab` (bench/lab_bench.py) runs the scenarios; e2e/test_lab_smoke.py is CI's
60 s version.
"""
