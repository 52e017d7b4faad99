"""Load and scale benchmarks with their data generators; run by `make bench`, never by the tests."""
