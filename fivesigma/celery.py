"""The Celery application: queues `scoring` (result files) and `sandbox` (code submissions)."""

import os

from celery import Celery

from fivesigma import broker_guard

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fivesigma.settings")

broker_guard.install()
app = Celery("fivesigma")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
