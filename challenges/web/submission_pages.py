"""Submitting, following a submission through its statuses, choosing final submissions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from fivesigma.challenges import transfers
from fivesigma.challenges.engine import finals, intake, leaderboard, teams, visibility
from fivesigma.challenges.models import Submission
from fivesigma.challenges.web import columns, detailed_results, redirects


@csrf_exempt  # checked just below, once the upload is capped
def submit(request, slug: str, key: str):
    """The upload form. The size cap goes in before anything reads the body (the CSRF check
    reads it), so an oversized file is refused while it streams in."""
    request.upload_handlers.insert(0, transfers.UploadCap(request))
    return _submit(request, slug, key)


@login_required
@csrf_protect
def _submit(request, slug: str, key: str):
    challenge = visibility.challenge(request.user, slug)
    phase = visibility.phase(challenge, key)
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
    challenge = visibility.challenge(request.user, slug)
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
    found = (
        Submission.objects.select_related("phase__challenge", "team", "user")
        .filter(uid=uid)
        .first()
    )
    return visibility.submission(request.user, found)


# How a score's single figures are shown: a name in words and a unit.
FIGURES = {
    "seconds_per_event": ("time", "s/event"),
    "accuracy": ("accuracy", ""),
    "events": ("events", ""),
    "rows": ("rows", ""),
}


def shown_figure(key: str, value: float) -> tuple[str, str]:
    """``(name, text)`` of one figure of a score's details: whole numbers as integers,
    others to four significant digits, followed by the unit when the figure has one."""
    name, unit = FIGURES.get(key, (key.replace("_", " "), ""))
    text = f"{int(value)}" if float(value).is_integer() else f"{value:.4g}"
    return name, f"{text} {unit}".strip()


def submission_page(request, uid):
    submission = _visible_submission(request, uid)
    phase = submission.phase
    metric = phase.get_metric()
    declared = columns.headings(metric) if leaderboard.declared_columns(phase) else []
    keys = {c.key for c in declared}
    scores = visibility.shown_scores(request.user, submission)
    for score in scores:
        if declared:
            figures = leaderboard.column_figures(metric, score.value, score.details)
            score.cells = columns.cells(declared, figures)
        score.figures = [shown_figure(k, v) for k, v in score.details.items() if k not in keys]
    return render(
        request,
        "challenges/submission.html",
        {
            "submission": submission,
            "challenge": phase.challenge,
            "phase": phase,
            "scores": scores,
            "columns": declared,
            "events": submission.events.all(),
            "metric": metric,
            "run": run_report(submission.run_report),
            "detailed": detailed_results.detailed(submission),
            "program_runs": detailed_results.program_runs(request.user, submission),
            "self_reported": detailed_results.self_reported(submission),
        },
    )


def run_report(report: dict) -> dict | None:
    """What the submission page shows of a code submission's run (``runner.RunReport`` as
    stored): per-event seconds (for the chart), set-up seconds, peak memory (MiB),
    confinement; None for result files."""
    report = {key: value for key, value in (report or {}).items() if key != "program"}
    if not report:  # a result file, or only the organisers' programs ran (shown apart)
        return None
    stages = report.get("stage_seconds") or {}
    per_event = report.get("per_event_seconds") or {}
    return {
        "per_event": [{"event": name, "seconds": s} for name, s in per_event.items()],
        "n_events": report.get("n_events") or len(per_event),
        "mean_seconds": report.get("mean_seconds"),
        "median_seconds": report.get("median_seconds"),
        "cpu_seconds": report.get("mean_cpu_seconds"),
        "ranked_seconds": report.get("ranked_seconds"),
        "normalised": report.get("normalised_seconds") is not None,
        "factor": (report.get("calibration") or {}).get("factor"),
        "setup_seconds": stages.get("setup"),
        "stages": [(name, s) for name, s in stages.items() if name != "setup"],
        "peak_memory_mb": report.get("peak_memory_mb"),
        "confined": report.get("confined"),
    }


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
                for s in visibility.shown_scores(request.user, submission)
            },
        }
    )


def submission_file(request, uid):
    submission = _visible_submission(request, uid)
    return transfers.download_response(
        submission.file, submission.original_name, request=request, sha256=submission.sha256
    )


@login_required
@require_POST
def toggle_final(request, uid):
    """Select or unselect a final submission (the rules are in ``finals``)."""
    submission = _visible_submission(request, uid)
    try:
        finals.choose(submission, not submission.selected_final, request.user)
    except finals.FinalsRefused as refused:
        messages.error(request, str(refused))
    return redirect(redirects.next_or(request, submission.get_absolute_url()))
