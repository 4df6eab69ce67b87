"""End-to-end tests and the swarm lab harness (network namespaces, Chromium, Playwright)."""
