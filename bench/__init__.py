"""Benchmarks of chainrule against PyTorch and hand-written NumPy (never run as tests)."""
