"""Benchmarks (`make bench`): scale data from seed_demo, timings, and ratios against an in-run baseline."""
