"""coworkbot's benchmarks: how fast, how small, how it grows, against the raw libraries.

Run them with `make bench` (all four figure groups) or `make bench ARGS="--only scale
--quick"`; bench/README.md says what each figure and each baseline means. They are not
tests: they print figures and assert nothing about time.
"""
