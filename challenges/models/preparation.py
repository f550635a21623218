"""How far the preparation of a demo challenge has got (data, starter kit, bundle, baselines).

``make run`` registers each demo challenge at once and a worker prepares it step by step in
the background (``challenges.engine.demo``); this row is what the challenge's page and the
home page show meanwhile: "preparing: step k of n", what the step is doing, for how long.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Preparation(models.Model):
    challenge = models.OneToOneField(
        "challenges.Challenge", on_delete=models.CASCADE, related_name="preparation"
    )
    kind = models.CharField(max_length=50, help_text="key in challenges.kinds")
    size = models.CharField(max_length=20, help_text="demo data size: full, small or tiny")
    steps = models.PositiveIntegerField(default=0, help_text="how many steps the preparation has")
    step = models.PositiveIntegerField(
        default=0, help_text="the step running now, from 1; 0 while waiting for a worker"
    )
    activity = models.CharField(max_length=200, blank=True, help_text="what the step does")
    detail = models.CharField(max_length=200, blank=True, help_text="where the step is")
    started = models.DateTimeField(null=True, blank=True, help_text="when a worker took it up")
    step_started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, help_text="why the preparation stopped")
    worker = models.CharField(
        max_length=100, blank=True, help_text="the task preparing it now (one at a time)"
    )
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.challenge.slug} ({self.size}): {self.state}"

    @property
    def state(self) -> str:
        if self.error:
            return "failed"
        if self.finished:
            return "ready"
        return "preparing" if self.step else "waiting"

    @property
    def is_ready(self) -> bool:
        return self.state == "ready"

    @property
    def percent(self) -> int:
        """Share of the steps done, for a progress bar (0 to 100)."""
        if self.finished:
            return 100
        return round(100 * max(self.step - 1, 0) / self.steps) if self.steps else 0

    @property
    def step_seconds(self) -> float:
        """Seconds since the running step started (0 when none runs)."""
        if not self.step_started or self.finished:
            return 0.0
        return (timezone.now() - self.step_started).total_seconds()
