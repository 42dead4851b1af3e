"""Generators of hostile input and faults, shared by ``tests/reliability`` and ``bench/reliability.py``.

Like ``tests.support.standin``, these are test tooling shipped in the package so a
benchmark and the test suite run exactly the same inputs.
"""
