"""Trajectory validation: validity control, state alignment, exact match, and the contract quarantine."""
