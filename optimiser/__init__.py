"""Optimisation: eligible child x setting pairs, the regional matching model, and its independent verifier."""
