"""The tool catalog: normalized tool records from every supported schema format."""
