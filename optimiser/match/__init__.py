"""The regional match: every referral in the region to at most one registered setting, as one region.

Rooms, in the order a match goes through them: stepdown (children living somewhere unlawful get a referral),
candidates (the eligible child x setting pairs and their costs), solvers (the model, and the backends that solve
it), allocation (the choice as one row per referral, with the reason for every child left unmatched), lookahead
(places held back for the emergencies a forecast expects, from the Demand table read in demand), verify (an
independent check of the hard rules), baseline (today's practice on the same referrals), explain (why children
were not matched, and the sufficiency gap). planning matches the children a forecast expects over months to come;
params holds MatchParams and its documented defaults (match.toml).
"""
