"""Benchmarks: segmenter speed, peer throughput, signaling latency, the swarm lab."""
