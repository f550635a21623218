"""The fivesigma command-line client: ``fivesigma login | challenges | download | submit | leaderboard``.

It speaks to a fivesigma site over its REST API with ``requests`` and needs no Django.
"""
