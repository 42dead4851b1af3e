"""The warehouse's data-access layer for the stages: SQL stays here, callers get typed records.

One module per table family (``environments``: domains, environments, environment_tools;
``datasets``: the training exports and what they read). Tasks, flows and models import
these functions and never duckdb (``scripts/check_layers.py`` refuses duckdb in tasks/
and flows/). The kernel's ``envscale.warehouse`` keeps connections, migrations and the
``runs`` rows; the per-stage stores (``catalog.store``, ``synthesis.store``,
``validation.store``, ``evaluation.store``) keep their own tables.
"""
