"""EPA's benchmarks: `make bench` (bench.suite) and `make bench-load` (bench.load)."""
