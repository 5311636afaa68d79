"""Application layer: the pipeline (one function per job) and the `rcc` command line."""
