"""Simulators of the challenge datasets and readers of their official file formats (no Django)."""
