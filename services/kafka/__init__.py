"""Kafka mode: `dti ingest`, `dti scoring` (Faust) and `dti alerts` around the same core as `dti up`."""
