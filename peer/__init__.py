"""Python swarm peer on aiortc: headless viewer, edge seeder, load generator."""
