"""The I/O-free contract shared by every swarmcast component (see docs/protocol.md)."""
