"""Ingest a live feed and turn it into a signed CMAF ABR ladder (HLS + DASH)."""
