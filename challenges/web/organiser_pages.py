"""The organiser's pages: dashboard, bundle upload, re-scoring."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from fivesigma.challenges.engine import bundles, lifecycle, upload_spool, visibility
from fivesigma.challenges.engine.operations import (
    HEARTBEAT_EVERY_S,
    RECENT_STARTS,
    failures_by_reason,
    queue_figures,
    submissions_per_day,
    worker_health,
)
from fivesigma.challenges.models import Challenge, Submission


def organised(user):
    if user.is_staff:
        return Challenge.objects.all()
    return Challenge.objects.filter(organisers=user)


@login_required
def dashboard(request):
    """The organiser's page; ``?part=workers`` is its worker health as JSON."""
    part = request.GET.get("part")
    if part == "workers":
        return worker_health_json(request)
    if part is not None:
        return JsonResponse(
            {"error": f"unknown part {part!r}: the dashboard has part=workers"}, status=400
        )
    mine = organised(request.user)
    # a subquery, not a list of ids: SQLite then finds the submissions in flight by status
    submissions = Submission.objects.filter(phase__challenge__in=mine)
    challenges = list(mine.prefetch_related("phases"))
    now = timezone.now()
    per_day = submissions_per_day(submissions, now)
    return render(
        request,
        "challenges/organiser.html",
        {
            "challenges": challenges,
            "organises": request.user.is_staff or bool(challenges),
            "per_day": per_day,
            "busiest_day": max(day["n"] for day in per_day),
            "queues": queue_figures(submissions, now),
            "recent_starts_h": RECENT_STARTS.total_seconds() / 3600,
            "failures": failures_by_reason(submissions),
            "health": worker_health(now),
            "heartbeat_every_s": HEARTBEAT_EVERY_S,
        },
    )


def worker_health_json(request):
    """The workers' heartbeats as JSON, for organisers."""
    if not (request.user.is_staff or request.user.organised_challenges.exists()):
        return JsonResponse({"error": "only organisers see worker health"}, status=403)
    return JsonResponse(worker_health(timezone.now()))


@login_required
def upload_bundle(request):
    """A bundle zip (challenge.yaml, or a Codabench competition.yaml) loaded through the site.

    Unpacking is capped at MAX_UPLOADED_BUNDLE_BYTES (a zip bomb stops there, inside the
    request); larger bundles load with ``manage.py load_challenge``. The load's notes (fields
    not supported, the programs' environment) are shown on the challenge's page.
    """
    if not (
        request.user.is_staff
        or request.user.has_perm("challenges.add_challenge")
        or request.user.organised_challenges.exists()
    ):
        raise PermissionDenied("Only organisers can upload bundles.")
    problems = []
    if request.method == "POST" and request.FILES.get("bundle"):
        upload = request.FILES["bundle"]
        with upload_spool.scratch_folder() as tmp:
            path = Path(tmp) / "bundle.zip"
            with open(path, "wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            try:
                loaded = bundles.load_bundle(
                    path,
                    organiser=request.user,
                    require_organiser=True,
                    max_bytes=bundles.MAX_UPLOADED_BUNDLE_BYTES,
                )
            except bundles.BundleError as error:
                problems = error.problems
            else:
                messages.success(request, f"Loaded '{loaded.challenge.title}'.")
                for note in loaded.notes:
                    messages.info(request, note)
                return redirect(loaded.challenge)
    return render(
        request,
        "challenges/upload_bundle.html",
        {"problems": problems},
        status=400 if problems else 200,
    )


@login_required
@require_POST
def rescore(request, slug: str, key: str):
    challenge = visibility.challenge(request.user, slug)
    visibility.organiser(request.user, challenge)
    count = lifecycle.rescore_phase(visibility.phase(challenge, key))
    messages.success(request, f"{count} submissions queued for re-scoring.")
    return redirect("organiser-dashboard")
