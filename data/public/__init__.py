"""Readers of what Ofsted, the DfE and ONS publish: one module per publication, each returning tables in rcc's
own schema plus an issues table (file, row, column, value, rule, severity), like `rcc validate`; and the one table
rcc reads that no one publishes, the owners' margins for the national profit cap (margins.py), checked the same way."""

import os
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
# The rows of the real publications about Greater Manchester (built by data/reference/build_extract.py): what
# `make run` and the dashboard show of the real market on a machine without the full public data.
EMBEDDED_EXTRACT = REPOSITORY / "data" / "public_extract"


def default_public_data() -> Path:
    """Where the published files are: $RCC_PUBLIC_DATA, else ../shared/public-data beside the repository, else the
    embedded Greater Manchester extract."""
    if os.environ.get("RCC_PUBLIC_DATA"):
        return Path(os.environ["RCC_PUBLIC_DATA"])
    shared = REPOSITORY.parent / "shared" / "public-data"
    return shared if shared.is_dir() else EMBEDDED_EXTRACT
