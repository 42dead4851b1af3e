"""The tool graph: embeddings, similarity edges, domains (communities) and in-domain dependencies."""
