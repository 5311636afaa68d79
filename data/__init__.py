"""Data layer: the schema, loading and validation of a region's tables, the synthetic regions, the register of
councils and the readers of what Ofsted, the DfE and ONS publish."""

from pathlib import Path

# The embedded default region: synthetic Greater Manchester (seed 7), what `make run` and `rcc app` use.
EMBEDDED_REGION = Path(__file__).resolve().parent / "regions" / "greater-manchester"
