"""Builders of test data and states, one module per subject, shared by every test area.

- ``users``: people and teams (``make_user``, ``make_team``, the tests' ``PASSWORD``).
- ``challenges``: challenges loaded from bundles (``load_tiny_challenge``, ``load_site_challenge``),
  hand-made phases, phase ends, the fixed time ``T0``.
- ``higgsml_files``: a HiggsML-like bundle and its solution, Kaggle-format submissions, the
  AMS written from its definition.
- ``trackml_files``: TrackML-like events of straight tracks, a code-phase bundle, the toy
  solution and submission of the diagnostics tests.
- ``codabench_bundles``: small Codabench bundles in their several forms.
- ``submissions``: uploads, code zips, submissions with chosen scores and times.
- ``fixtures``: the fixtures of the tests that drive the site (the tiny challenge with its
  organiser and two participants; throttles reset per test).
"""
