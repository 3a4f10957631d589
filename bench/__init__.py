"""Parley's benchmarks: `make bench`, `make bench-admin`, `make bench-load` (see docs/)."""
