"""Scorers of HEP machine-learning challenges: AMS (HiggsML), TrackML accuracy and throughput.

No Django here: the package works in a notebook, a batch job or a challenge site alike.
``scoring.registry.get(key)`` gives a leaderboard metric by the key a challenge names.
"""
