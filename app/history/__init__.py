"""The run history: the run store and what changed between two runs."""
