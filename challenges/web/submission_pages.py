"""Submitting, following a submission through its statuses, choosing final submissions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from fivesigma.challenges import transfers
from fivesigma.challenges.engine import intake, standings, teams, visibility
from fivesigma.challenges.models import Score, Submission, SubmissionEvent
from fivesigma.challenges.web.common import get_challenge, get_phase


@csrf_exempt  # checked just below, once the upload is capped
def submit(request, slug: str, phase: str):
    """The upload form. The size cap goes in before anything reads the body (the CSRF check
    reads it), so an oversized file is refused while it streams in."""
    request.upload_handlers.insert(0, transfers.UploadCap(request))
    return _submit(request, slug, phase)


@login_required
@csrf_protect
def _submit(request, slug: str, phase: str):
    challenge = get_challenge(request.user, slug)
    phase = get_phase(challenge, phase)
    team = teams.team_of(request.user, challenge)
    error = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if getattr(request, "upload_too_large", False):
            error = intake.too_large()
        elif upload is None:
            error = "Choose a file to upload."
        else:
            try:
                submission = intake.submit(
                    phase, request.user, upload, request.POST.get("description", "")
                )
            except intake.SubmissionRefused as refused:
                error = str(refused)
            else:
                return redirect(submission)
    return render(
        request,
        "challenges/submit.html",
        {
            "challenge": challenge,
            "phase": phase,
            "error": error,
            "team": team,
            "allowance": intake.allowance(phase, team),
            "metric": phase.get_metric(),
        },
        status=400 if error else 200,
    )


@login_required
def my_submissions(request, slug: str):
    challenge = get_challenge(request.user, slug)
    team = teams.team_of(request.user, challenge)
    rows = (
        Submission.objects.filter(team=team)
        .select_related("phase", "user")
        .prefetch_related("scores")
        if team
        else Submission.objects.none()
    )
    return render(
        request,
        "challenges/my_submissions.html",
        {"challenge": challenge, "team": team, "submissions": rows},
    )


def _visible_submission(request, uid) -> Submission:
    submission = get_object_or_404(
        Submission.objects.select_related("phase__challenge", "team", "user"), uid=uid
    )
    if not visibility.can_see_submission(request.user, submission):
        raise Http404("No such submission.")
    return submission


def _visible_scores(request, submission: Submission):
    show_private = visibility.can_see_private(request.user, submission.phase)
    scores = submission.scores.filter(current=True).order_by("subset")
    return [s for s in scores if s.subset == Score.PUBLIC or show_private]


def submission_page(request, uid):
    submission = _visible_submission(request, uid)
    return render(
        request,
        "challenges/submission.html",
        {
            "submission": submission,
            "challenge": submission.phase.challenge,
            "phase": submission.phase,
            "scores": _visible_scores(request, submission),
            "events": submission.events.all(),
            "metric": submission.phase.get_metric(),
        },
    )


def submission_status(request, uid):
    """JSON polled by the submission page until the submission is finished or failed."""
    submission = _visible_submission(request, uid)
    return JsonResponse(
        {
            "status": submission.status,
            "done": submission.is_done,
            "reason": submission.reason,
            "events": [
                {"status": e.status, "message": e.message, "at": e.at.isoformat()}
                for e in submission.events.all()
            ],
            "scores": {
                s.subset: {"value": s.value, "ci_low": s.ci_low, "ci_high": s.ci_high}
                for s in _visible_scores(request, submission)
            },
        }
    )


def submission_file(request, uid):
    submission = _visible_submission(request, uid)
    return transfers.download_response(submission.file, submission.original_name)


@login_required
@require_POST
def toggle_final(request, uid):
    submission = _visible_submission(request, uid)
    phase = submission.phase
    if phase.has_ended():
        messages.error(request, "Final submissions cannot be changed after the phase has ended.")
    elif submission.selected_final:
        _select_final(submission, False, request.user)
    elif submission.status != Submission.FINISHED:
        messages.error(request, "Only scored submissions can be selected as final.")
    elif (
        Submission.objects.filter(team=submission.team, phase=phase, selected_final=True).count()
        >= phase.final_selections
    ):
        messages.error(
            request,
            f"Your team has already selected {phase.final_selections} final submissions; unselect one first.",
        )
    else:
        _select_final(submission, True, request.user)
    return redirect(request.POST.get("next") or submission.get_absolute_url())


def _select_final(submission: Submission, selected: bool, user) -> None:
    """Select or unselect, and say so in the submission's history (which also tells the
    kept leaderboards that the private ranking may have changed)."""
    with transaction.atomic():
        submission.selected_final = selected
        submission.save(update_fields=["selected_final"])
        SubmissionEvent.objects.create(
            submission=submission,
            status=submission.status,
            message=f"{'selected as' if selected else 'no longer'} a final submission ({user.username})",
        )
        standings.refresh(submission.phase, submission.team_id)
