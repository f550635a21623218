"""A submission's detailed results: the files the organisers' scoring program left beside its
scores (``detailed_results.html``, its images, ``charts.json``), and the programs' own report.

The worker copies those files to storage under ``detailed/<submission uid>/<name>`` and lists
their names in ``submission.run_report["program"]["detailed"]``. The submission page (seen by
whoever may see the submission, ``engine.visibility``) shows the HTML in a sandboxed frame
whose address carries a signed token, valid for an hour, naming the submission: the frame's
files are served under ``/detailed/<token>/<name>`` by ``serve``, which reads no session and
sets no cookie, with the strict policy of ``security.untrusted_html``. Relative links from the
HTML to its images resolve under the same token. ``charts.json`` (a list of Plotly figures)
is checked here and drawn by the site's own script, never run as the organiser's code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from django.core import signing
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from fivesigma import security
from fivesigma.challenges.engine import visibility
from fivesigma.challenges.engine.detailed import storage_name
from fivesigma.challenges.models import Submission

HTML = "detailed_results.html"
CHARTS = "charts.json"
TOKEN_SECONDS = 3600  # how long a page's frame address stays valid
SALT = "fivesigma.detailed-results"
# The files served to the frame, by suffix; any other listed file is not served.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}
IMAGES = tuple(suffix for suffix, kind in CONTENT_TYPES.items() if kind.startswith("image/"))
SAFE_NAME = re.compile(r"[A-Za-z0-9._/-]+")
CHARTS_MAX_BYTES = 2 * 1024 * 1024
CHARTS_MAX_FIGURES = 24


def listed(report: dict) -> list[str]:
    """The detailed-results files a run report lists, names checked (no ``..``, no leading
    slash, only [A-Za-z0-9._/-])."""
    names = ((report or {}).get("program") or {}).get("detailed") or []
    return [
        name
        for name in names
        if isinstance(name, str)
        and SAFE_NAME.fullmatch(name)
        and ".." not in name.split("/")
        and not name.startswith("/")
    ]


def content_type(name: str) -> str | None:
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    return CONTENT_TYPES.get(suffix)


def token(submission: Submission) -> str:
    """A signed, timestamped token naming ``submission`` (checked by ``serve``)."""
    return signing.TimestampSigner(salt=SALT).sign(str(submission.uid))


def file_url(signed: str, name: str) -> str:
    return reverse("detailed-file", args=[signed, name])


def _not_found() -> HttpResponse:
    """A plain 404: no template, so that nothing reads the session on the way."""
    return HttpResponse("Not found.", status=404, content_type="text/plain; charset=utf-8")


@require_safe
@security.untrusted_html
def serve(request, token: str, name: str):
    """One listed file of a submission's detailed results, for the frame of its page.

    Only the token decides: it must be ours and under an hour old, and ``name`` must be a
    listed file of a type in CONTENT_TYPES; anything else is a 404. The request's session and
    user are never read, so the answer sets no cookie and varies on none."""
    try:
        uid = signing.TimestampSigner(salt=SALT).unsign(token, max_age=TOKEN_SECONDS)
    except signing.BadSignature:  # includes SignatureExpired
        return _not_found()
    report = Submission.objects.filter(uid=uid).values_list("run_report", flat=True).first()
    kind = content_type(name)
    if report is None or kind is None or name not in listed(report):
        return _not_found()
    stored = storage_name(Submission(uid=uid), name)
    if not default_storage.exists(stored):
        return _not_found()
    response = FileResponse(default_storage.open(stored, "rb"), content_type=kind)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    response["Referrer-Policy"] = "no-referrer"
    return response


@dataclass
class Detailed:
    """What the submission page shows of the detailed results."""

    html_url: str | None
    images: list[tuple[str, str]]  # (name, url) of images, when there is no HTML page
    files: list[tuple[str, str]]  # (name, url) of every file served
    charts: list[dict] | None
    charts_note: str


def detailed(submission: Submission) -> Detailed | None:
    """The detailed results of ``submission`` as its page shows them (the caller has checked
    that the viewer may see the submission); None when its program left none."""
    names = listed(submission.run_report)
    if not names:
        return None
    signed = token(submission)
    files = [(name, file_url(signed, name)) for name in names if content_type(name)]
    html = HTML if HTML in names else next((n for n, _ in files if n.endswith(".html")), None)
    charts, note = (None, "")
    if CHARTS in names:
        charts, note = read_charts(storage_name(submission, CHARTS))
    return Detailed(
        html_url=file_url(signed, html) if html else None,
        images=[] if html else [(n, url) for n, url in files if n.lower().endswith(IMAGES)],
        files=files,
        charts=charts,
        charts_note=note,
    )


def read_charts(stored: str) -> tuple[list[dict] | None, str]:
    """``charts.json`` checked: (figures, "") or (None, why it is not drawn).

    A figure is an object with ``data`` (a list of trace objects) and optionally ``layout``
    (an object); only those two keys are passed on. At most CHARTS_MAX_FIGURES figures in at
    most CHARTS_MAX_BYTES bytes."""
    try:
        with default_storage.open(stored, "rb") as stream:
            raw = stream.read(CHARTS_MAX_BYTES + 1)
    except OSError:
        return None, f"{CHARTS} is listed but missing from storage."
    if len(raw) > CHARTS_MAX_BYTES:
        return None, f"{CHARTS} is larger than {CHARTS_MAX_BYTES // (1024 * 1024)} MiB."
    try:
        figures = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        return None, f"{CHARTS} is not valid JSON ({error})."
    if not isinstance(figures, list):
        return None, f"{CHARTS} must be a list of figures, found a {type(figures).__name__}."
    if len(figures) > CHARTS_MAX_FIGURES:
        return None, f"{CHARTS} has {len(figures)} figures; at most {CHARTS_MAX_FIGURES}."
    checked = []
    for place, figure in enumerate(figures):
        where = f"{CHARTS}[{place}]"
        if not isinstance(figure, dict):
            return None, f"{where} must be an object with data and layout."
        data, layout = figure.get("data"), figure.get("layout", {})
        if not isinstance(data, list) or not all(isinstance(t, dict) for t in data):
            return None, f"{where}.data must be a list of trace objects."
        if not isinstance(layout, dict):
            return None, f"{where}.layout must be an object."
        checked.append({"data": data, "layout": layout})
    return checked, ""


@dataclass
class ProgramRun:
    """One run of an organiser's program (scoring or ingestion), as its organisers see it."""

    step: str
    seconds: float | None
    exit_code: int | None
    timed_out: bool
    log: str


STEPS = ("ingestion", "scoring")


def program_runs(user, submission: Submission) -> list[ProgramRun]:
    """The organisers' programs' runs of ``submission`` with their logs: for the challenge's
    organisers and staff only; [] for everyone else (participants see the failure reason)."""
    report = (submission.run_report or {}).get("program") or {}
    if not report or not visibility.is_organiser(user, submission.phase.challenge):
        return []
    runs = []
    for step in STEPS:
        run = report.get(step)
        if isinstance(run, dict):
            runs.append(
                ProgramRun(
                    step=step,
                    seconds=run.get("seconds"),
                    exit_code=run.get("exit_code"),
                    timed_out=bool(run.get("timed_out")),
                    log=str(run.get("log") or ""),
                )
            )
    return runs


def self_reported(submission: Submission) -> list[tuple[str, float]]:
    """Per-item seconds the ingestion program reported itself (shown labelled as such)."""
    report = (submission.run_report or {}).get("program") or {}
    items = (report.get("ingestion") or {}).get("self_reported") or {}
    if not isinstance(items, dict):
        return []
    return [(str(k), float(v)) for k, v in items.items() if isinstance(v, int | float)]
