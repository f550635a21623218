"""The fast kernels of the scorers: numba code behind one boundary, each with its plain twin.

Everything compiled lives here: the AMS and its curve (``ams``), TrackML event matching and
weighted accuracy (``trackml``, with ``score_event_pandas``, the merge-and-group-by
transcription of the definition), bootstrap replica sums (``bootstrap``), dense relabelling of
64-bit ids (``dense_labels``), and what keeps them fast (``frozen``: one compiled
specialisation per kernel; ``scratch``: per-thread working arrays). Every kernel has a plain
NumPy or pure-Python twin written from REFERENCE.md in tests/scoring/twins.py, and the tests
compare them. Kernels release the GIL (``nogil``) so the worker's heartbeat thread
keeps beating through a long scoring run. The metrics (``scoring/metrics``) call these kernels; nothing else needs to.
"""
