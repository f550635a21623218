"""Coverage-guided fuzzing (atheris) of the readers that take files from participants and
organisers: submission CSVs (HiggsML and TrackML formats; plain, gzip or zip), code-submission
zips and challenge-bundle zips.

The property every target checks: an input is either read, or refused with the platform's own
error (SubmissionError, SubmissionRejected, BundleError); never another exception, a hang or
unbounded memory (libFuzzer's -timeout and -rss_limit_mb). ``python -m fuzz --help``.
"""
