"""The domain core: catalog, tool graph, schemas, tool programs, runtime. Knows nothing of Prefect."""
