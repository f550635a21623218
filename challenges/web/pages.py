"""Home, challenge pages and data downloads."""

from __future__ import annotations

import math

import markdown
import nh3
from django.db.models import Count, Max, Min
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe

from fivesigma.challenges import transfers
from fivesigma.challenges.engine import intake, teams, visibility
from fivesigma.challenges.models import Challenge


def render_formula(latex: str) -> str:
    """A metric's LaTeX formula as MathML, which browsers render natively (no script, no fonts)."""
    import latex2mathml.converter

    return mark_safe(latex2mathml.converter.convert(latex, display="block"))  # noqa: S308 - generated markup


def render_markdown(text: str) -> str:
    html = markdown.markdown(text or "", extensions=["tables", "fenced_code"])
    return mark_safe(nh3.clean(html))  # noqa: S308 - sanitised just above


def describe_metric(phase) -> dict:
    """What the evaluation page shows of a phase's metric."""
    metric = phase.get_metric()
    return {
        "phase": phase,
        "metric": metric,
        "formula": render_formula(metric.formula_latex) if metric.formula_latex else "",
        "description": render_markdown(metric.description),
        "best": f"{metric.best:g}" if math.isfinite(metric.best) else "unbounded",
        "worst": f"{metric.worst:g}" if math.isfinite(metric.worst) else "unbounded",
    }


def home(request):
    now = timezone.now()
    challenges = (
        Challenge.objects.filter(is_public=True)
        .annotate(
            starts=Min("phases__start"),
            ends=Max("phases__end"),
            participants=Count("memberships", distinct=True),
        )
        .order_by("ends")
    )
    groups = {"open": [], "upcoming": [], "finished": []}
    for challenge in challenges:
        if challenge.starts and challenge.starts > now:
            groups["upcoming"].append(challenge)
        elif challenge.ends and challenge.ends <= now:
            groups["finished"].append(challenge)
        else:
            groups["open"].append(challenge)
    return render(request, "challenges/home.html", {"groups": groups})


def challenge_page(request, slug: str, page: str = "overview"):
    challenge = visibility.challenge(request.user, slug)
    if page not in dict(Challenge.PAGES):
        raise Http404("No such page.")
    phases = list(challenge.phases.all())
    team = teams.team_of(request.user, challenge) if request.user.is_authenticated else None
    context = {
        "challenge": challenge,
        "page": page,
        "content": render_markdown(challenge.pages.get(page, "")),
        "phases": phases,
        "team": team,
        "is_organiser": challenge.is_organiser(request.user),
        "allowances": {p.key: intake.allowance(p, team) for p in phases} if team else {},
    }
    if page == "data":
        context["files"] = visibility.downloadable_files(request.user, challenge)
    if page == "evaluation":
        context["metrics"] = [describe_metric(p) for p in phases]
    return render(request, "challenges/challenge.html", context)


def download_name(data_file) -> str:
    """The name a browser saves a data file under (folders flattened)."""
    return data_file.name.replace("/", "_")


def checksums(request, slug: str):
    """``SHA256SUMS`` of the files the visitor may download, for ``sha256sum -c SHA256SUMS``
    run in the folder the files were saved to."""
    challenge = visibility.challenge(request.user, slug)
    lines = [
        f"{f.sha256}  {download_name(f)}\n"
        for f in visibility.downloadable_files(request.user, challenge)
    ]
    response = HttpResponse("".join(lines), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="SHA256SUMS"'
    return response


def download_file(request, slug: str, file_id: int):
    challenge = visibility.challenge(request.user, slug)
    data_file = visibility.data_file(request.user, challenge, file_id)
    return transfers.download_response(
        data_file.file,
        download_name(data_file),
        request=request,
        sha256=data_file.sha256,
    )
