"""Reference solutions for the demo challenges, runnable locally from the command line.

``baselines.higgsml``: the mass window, boosted decision trees and XGBoost for HiggsML.
``baselines.trackml``: DBSCAN on unrolled helices and a seeded track follower for TrackML.
``baselines.starter_kit``: builds the starter-kit zip a participant downloads.
"""
