"""Benchmarks: the real app under gunicorn, measured against baselines in the same run (``make bench``)."""
