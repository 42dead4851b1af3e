"""Evaluation of an agent on held-out and imported environments: pass^k, promotion rules (no Prefect)."""
