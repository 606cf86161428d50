"""Step-throughput benchmarks: fitspec fit() beside a hand-written loop per backend (see benchmarks/README.md)."""
