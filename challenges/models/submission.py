"""Submissions, their status history and their scores."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse


def submission_upload_path(instance: Submission, filename: str) -> str:
    return f"submissions/{instance.phase_id}/{instance.uid}/{filename}"


class Submission(models.Model):
    SUBMITTED = "submitted"
    QUEUED = "queued"
    RUNNING = "running"
    SCORING = "scoring"
    FINISHED = "finished"
    FAILED = "failed"
    STATUSES = [(s, s) for s in (SUBMITTED, QUEUED, RUNNING, SCORING, FINISHED, FAILED)]
    DONE = (FINISHED, FAILED)

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    phase = models.ForeignKey(
        "challenges.Phase", on_delete=models.CASCADE, related_name="submissions"
    )
    team = models.ForeignKey(
        "challenges.Team", on_delete=models.CASCADE, related_name="submissions"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="submissions"
    )
    file = models.FileField(upload_to=submission_upload_path, max_length=500)
    output = models.FileField(
        upload_to=submission_upload_path,
        max_length=500,
        blank=True,
        help_text="result file a code submission wrote",
    )
    original_name = models.CharField(max_length=255)
    size = models.BigIntegerField(default=0, help_text="bytes")
    sha256 = models.CharField(max_length=64, blank=True)
    description = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=12, choices=STATUSES, default=SUBMITTED, db_index=True)
    reason = models.TextField(blank=True, help_text="why it failed, for the owner")
    log_tail = models.TextField(blank=True)
    run_report = models.JSONField(
        default=dict, blank=True, help_text="runner report of a code submission"
    )
    attempts = models.PositiveIntegerField(default=0)
    is_late = models.BooleanField(default=False)
    selected_final = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="last sign of life of the run: stamped by the worker while it runs or scores",
    )

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["phase", "team", "created"])]

    def __str__(self) -> str:
        return f"submission {self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("submission", args=[self.uid])

    @property
    def is_done(self) -> bool:
        return self.status in self.DONE


class SubmissionEvent(models.Model):
    """One step of a submission's status history."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=12, choices=Submission.STATUSES)
    message = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.status} at {self.at:%Y-%m-%d %H:%M:%S}"


class Score(models.Model):
    """A submission's score on one subset (public or private) from one scoring round.

    Re-scoring writes new rows and marks the old ones ``current=False``, so history stays.
    ``phase``, ``team``, ``submitted`` and ``late`` are copied from the submission, and a
    failed submission's scores are no longer ``current``, so that a leaderboard is one indexed
    query over this table alone.
    """

    PUBLIC = "public"
    PRIVATE = "private"
    SUBSETS = [(PUBLIC, "public"), (PRIVATE, "private")]

    # Narrow columns first: leaderboard queries read them and never the blobs at the end.
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="scores")
    phase = models.ForeignKey("challenges.Phase", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("challenges.Team", on_delete=models.CASCADE, related_name="+")
    submitted = models.DateTimeField(help_text="when the submission was uploaded (tie-break)")
    late = models.BooleanField(default=False, help_text="the submission came after the phase ended")
    subset = models.CharField(max_length=8, choices=SUBSETS)
    metric = models.CharField(max_length=50)
    value = models.FloatField(null=True, help_text="NULL when the score is undefined (ranked last)")
    ci_low = models.FloatField(null=True)
    ci_high = models.FloatField(null=True)
    current = models.BooleanField(
        default=True, help_text="from the latest scoring round of a submission that has not failed"
    )
    created = models.DateTimeField(auto_now_add=True)
    details = models.JSONField(
        default=dict, blank=True, help_text="extra figures, e.g. accuracy and s/event"
    )
    replicas = models.BinaryField(blank=True, default=b"", help_text="bootstrap replicas, float32")
    diagnostics = models.JSONField(
        default=dict, blank=True, help_text="data for the submission's plots"
    )

    class Meta:
        indexes = [
            # one index scan finds each team's best counted score of a phase's subset
            models.Index(
                fields=["phase", "subset", "current", "late", "team", "value", "submitted"],
                name="score_leaderboard",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subset} {self.metric} = {self.value}"
