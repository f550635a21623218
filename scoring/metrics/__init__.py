"""The metrics a challenge bundle can name; see :mod:`scoring.registry`."""
