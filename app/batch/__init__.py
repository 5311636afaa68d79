"""The monthly batch: the run of every job on one month's extract, the second process beside it, and publishing."""
