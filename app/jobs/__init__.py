"""The jobs: each computes and returns a result holding every table it made and its run record; none writes."""
