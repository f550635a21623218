"""The organiser's pages: dashboard, bundle upload, re-scoring."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from challenges import bundles, pipeline
from challenges.models import Challenge, Submission
from challenges.views.common import get_challenge, get_phase


def organised(user):
    if user.is_staff:
        return Challenge.objects.all()
    return Challenge.objects.filter(organisers=user)


@login_required
def dashboard(request):
    challenges = organised(request.user)
    submissions = Submission.objects.filter(phase__challenge__in=challenges)
    since = timezone.now() - timedelta(days=30)
    per_day = list(
        submissions.filter(created__gte=since)
        .annotate(day=TruncDate("created"))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("day")
    )
    waiting = submissions.filter(status__in=[Submission.SUBMITTED, Submission.QUEUED])
    queues = []
    for queue, kind in (("scoring", "result"), ("sandbox", "code")):
        pending = waiting.filter(phase__kind=kind)
        oldest = pending.order_by("created").values_list("created", flat=True).first()
        queues.append(
            {
                "name": queue,
                "waiting": pending.count(),
                "running": submissions.filter(
                    phase__kind=kind, status__in=[Submission.RUNNING, Submission.SCORING]
                ).count(),
                "oldest_wait_s": (timezone.now() - oldest).total_seconds() if oldest else None,
            }
        )
    failures = list(
        submissions.filter(status=Submission.FAILED)
        .values("reason")
        .annotate(n=Count("id"))
        .order_by("-n")[:10]
    )
    return render(
        request,
        "challenges/organiser.html",
        {
            "challenges": challenges.prefetch_related("phases"),
            "per_day": per_day,
            "queues": queues,
            "failures": failures,
            "workers": _worker_health(),
        },
    )


WORKER_HEALTH_TTL_S = 30


def _worker_health() -> list[dict]:
    """Workers answering a ping within a second (empty when none answers), cached for 30 s."""
    return cache.get_or_set("organiser:worker-health", _ping_workers, WORKER_HEALTH_TTL_S)


def _ping_workers() -> list[dict]:
    from fivesigma.celery import app

    try:
        replies = app.control.ping(timeout=1.0) or []
    except Exception as error:  # broker unreachable: say so on the dashboard
        return [{"name": "broker", "ok": False, "detail": str(error)}]
    return [{"name": name, "ok": True, "detail": "pong"} for reply in replies for name in reply]


@login_required
def upload_bundle(request):
    if not (
        request.user.is_staff
        or request.user.has_perm("challenges.add_challenge")
        or request.user.organised_challenges.exists()
    ):
        raise PermissionDenied("Only organisers can upload bundles.")
    problems = []
    if request.method == "POST" and request.FILES.get("bundle"):
        upload = request.FILES["bundle"]
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bundle.zip"
            with open(path, "wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            try:
                challenge = bundles.load(path, organiser=request.user, require_organiser=True)
            except bundles.BundleError as error:
                problems = error.problems
            else:
                messages.success(request, f"Loaded '{challenge.title}'.")
                return redirect(challenge)
    return render(
        request,
        "challenges/upload_bundle.html",
        {"problems": problems},
        status=400 if problems else 200,
    )


@login_required
@require_POST
def rescore(request, slug: str, phase: str):
    challenge = get_challenge(request.user, slug)
    if not challenge.is_organiser(request.user):
        raise PermissionDenied("Only this challenge's organisers can re-score it.")
    count = pipeline.rescore_phase(get_phase(challenge, phase))
    messages.success(request, f"{count} submissions queued for re-scoring.")
    return redirect("organiser-dashboard")
