"""Task and trajectory synthesis: blueprints, intents, simulated user–agent–environment interplay."""
