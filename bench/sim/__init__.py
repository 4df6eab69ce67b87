"""A fast, deterministic swarm simulator for `swarmcast bench sim` (issue 8): the real pure
scheduler (`peer.piece_scheduler`) of every simulated viewer, wired to a modelled origin link,
peer links, live playlist and hls.js-like players. Pure: seeded, no I/O, no sockets, no clock."""
