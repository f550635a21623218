"""fivesigma: a challenge platform for machine learning in particle physics."""

from fivesigma.celery import app as celery_app

__all__ = ("celery_app",)
