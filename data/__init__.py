"""Data layer: the schema, loading and validation of a region's tables, and the synthetic regions."""
