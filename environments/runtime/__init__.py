"""The environment runtime: isolated episodes over an environment's DuckDB state."""
