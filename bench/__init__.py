"""``make bench``: reproducible loopback benchmarks of ocpi-gateway (see docs/benchmarks.md)."""
