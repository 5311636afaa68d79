"""Sweeps: many cells (region x job x parameters) run on dask.distributed into one result store."""
