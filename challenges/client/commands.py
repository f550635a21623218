"""What each ``fivesigma`` command does; each returns the process exit status."""

from __future__ import annotations

import getpass
import sys
import time
from pathlib import Path

from fivesigma.challenges.client import config
from fivesigma.challenges.client.remote import Api, ClientError, file_sha256

POLL_S = 2.0


def say(text: str = "") -> None:
    print(text, flush=True)


def login(url: str, token: str | None, username: str | None) -> int:
    """Check the token (or trade a username and password for one) and store it."""
    url = url.rstrip("/")
    if not token:
        if not username:
            raise ClientError("Give --token TOKEN (from your profile page) or --username NAME.")
        password = getpass.getpass(f"Password for {username} at {url}: ")
        token = Api(url).post("token/", {"username": username, "password": password})["token"]
    me = Api(url, token).get("me/")
    path = config.save(config.Config(url=url, token=token))
    say(f"Logged in to {url} as {me['username']}; token saved in {path}.")
    return 0


def list_challenges(api: Api) -> int:
    for challenge in api.pages("challenges/"):
        say(f"{challenge['slug']}: {challenge['title']}")
        for phase in challenge["phases"]:
            state = "open" if phase["is_open"] else ("ended" if phase["has_ended"] else "upcoming")
            say(
                f"  {phase['key']:<16} {phase['kind']:<7} {phase['metric']:<12} {state}, ends {phase['end']}"
            )
    return 0


def download(api: Api, challenge: str, out: Path | None) -> int:
    """Every public file of ``challenge`` into ``out`` (default ./CHALLENGE), checksums verified."""
    out = (out or Path(challenge)).resolve()
    listed = api.get(f"challenges/{challenge}/files/")
    if not listed:
        say(f"{challenge} has no public files.")
        return 0
    for entry in listed:
        target = (out / entry["name"]).resolve()
        if not target.is_relative_to(out):
            raise ClientError(f"refusing to write '{entry['name']}' outside {out}")
        target.parent.mkdir(parents=True, exist_ok=True)
        if (
            target.exists()
            and target.stat().st_size == entry["size"]
            and file_sha256(target) == entry["sha256"]
        ):
            say(f"{entry['name']}: up to date")
            continue
        api.download(entry["download_url"], target, entry["size"], entry["sha256"])
    say(f"{len(listed)} file(s) in {out}, SHA-256 checked.")
    return 0


def phase_path(api: Api, challenge: str, phase: str) -> str:
    """The API path of a phase; an unknown phase is named, with the phases there are."""
    try:
        api.get(f"challenges/{challenge}/phases/{phase}/")
    except ClientError as error:
        if error.status != 404:
            raise
        try:
            phases = [p["key"] for p in api.get(f"challenges/{challenge}/phases/")]
        except ClientError as missing:
            if missing.status == 404:
                raise ClientError(
                    f"There is no challenge '{challenge}' (`fivesigma challenges` lists them)."
                ) from None
            raise
        raise ClientError(
            f"Challenge '{challenge}' has no phase '{phase}'; its phases are: {', '.join(phases)}."
        ) from None
    return f"challenges/{challenge}/phases/{phase}/"


def submit(
    api: Api, challenge: str, phase: str, file: Path, description: str, wait: bool, timeout_s: float
) -> int:
    if not file.is_file():
        raise ClientError(f"{file}: no such file")
    response = api.upload(
        phase_path(api, challenge, phase) + "submissions/", file, {"description": description}
    )
    submission = response.json()
    say(f"Submitted {file.name} as {submission['uid']} ({submission['status']}).")
    say(f"Follow it at {submission['page_url']}")
    if not wait:
        return 0
    return follow(api, submission["url"], timeout_s)


def follow(api: Api, url: str, timeout_s: float) -> int:
    """Poll a submission until it is finished or failed; print its scores or the reason."""
    deadline = time.monotonic() + timeout_s
    seen = None
    while True:
        submission = api.get(url)
        if submission["status"] != seen:
            seen = submission["status"]
            say(f"  {seen}")
        if submission["done"]:
            break
        if time.monotonic() > deadline:
            say(f"Still {seen} after {timeout_s:.0f} s; check later at {submission['page_url']}")
            return 3
        time.sleep(POLL_S)
    if submission["status"] == "failed":
        say(f"Failed: {submission['reason']}")
        return 1
    for score in submission["scores"]:
        say(
            f"{score['subset']:<8} {score['metric']} = {_number(score['value'])}" + _interval(score)
        )
    return 0


def leaderboard(api: Api, challenge: str, phase: str, private: bool, top: int) -> int:
    """The ``top`` best-ranked teams; the benchmark rows (reference baselines, never ranked)
    met on the way are printed apart, each with the rank its score would have."""
    subset = "private" if private else "public"
    board = api.get(phase_path(api, challenge, phase) + "leaderboard/", subset=subset)
    ranked: list[dict] = []
    baselines: list[tuple[int, dict]] = []
    page = board
    rows = iter(board["results"])
    while len(ranked) < top:
        row = next(rows, None)
        if row is None:
            if not page.get("next"):
                break
            page = api.get(page["next"])
            rows = iter(page["results"])
            continue
        if row["is_benchmark"]:
            baselines.append((len(ranked) + 1, row))
        else:
            ranked.append(row)
    more = page.get("next") or next(rows, None) is not None
    direction = "higher" if board["higher_is_better"] else "lower"
    columns = board.get("columns") or []
    metric = board["metric"] or board.get("metric_title", "")
    say(
        f"{challenge} / {phase}: {subset} leaderboard, {metric} ({direction} is better), "
        f"top {len(ranked)} teams"
    )
    figures = _columns(columns) if columns else _figures
    header = _column_header(columns) if columns else _SCORE_HEADER
    say(f"{'#':>4}  {'team':<24} {header}")
    for row in ranked:
        tie = " ≈" if row["tied_with_above"] else ""
        say(f"{row['rank']:>4}  {row['team'][:24]:<24} {figures(row)}{tie}")
    if baselines:
        say("Baselines (not ranked; where their score would place them):")
        for place, row in baselines:
            say(f"{'~' + str(place):>4}  {row['team'][:24]:<24} {figures(row)}")
    if columns:
        say(_ranking_note(columns))
    if more:
        say("... more teams below (use --top N).")
    if any(row["tied_with_above"] for row in ranked):
        say("≈: not significantly different from the row above (paired bootstrap).")
    return 0


_SCORE_HEADER = f"{'score':>12}  {'95% interval':<21} {'entries':>7}"


def _figures(row: dict) -> str:
    return f"{_number(row['score']):>12}  {_interval(row).strip():<21} {row['entries']:>7}"


# A program-scored phase's declared columns (the API's ``columns``): one per column, each as
# wide as its title (at least 12), figures with the column's precision; the ranking column's
# title is marked ▼ (higher is better) or ▲ (lower is better).


def _column_title(column: dict) -> str:
    if column.get("rank") == 1:
        return f"{column['title']} {'▼' if column['sorting'] != 'asc' else '▲'}"
    return column["title"]


def _width(column: dict) -> int:
    return max(12, len(_column_title(column)))


def _column_header(columns: list[dict]) -> str:
    titles = "  ".join(f"{_column_title(c):>{_width(c)}}" for c in columns)
    return f"{titles}  {'entries':>7}"


def _columns(columns: list[dict]):
    def figures(row: dict) -> str:
        values = row.get("columns") or {}
        cells = []
        for column in columns:
            value = values.get(column["key"])
            text = "—" if value is None else f"{value:.{column['precision']}f}"
            cells.append(f"{text:>{_width(column)}}")
        return "  ".join(cells) + f"  {row['entries']:>7}"

    return figures


def _ranking_note(columns: list[dict]) -> str:
    """The line under the table: which columns rank, e.g. "Ranked by Accuracy (higher is
    better); ties broken by Time (lower is better)."."""

    def said(column: dict) -> str:
        better = "higher" if column["sorting"] != "asc" else "lower"
        return f"{column['title']} ({better} is better)"

    ranked = sorted((c for c in columns if c.get("rank")), key=lambda c: c["rank"])
    note = f"Ranked by {said(ranked[0])}" if ranked else "Ranked by the first column"
    if len(ranked) > 1:
        note += "; ties broken by " + ", then ".join(said(c) for c in ranked[1:])
    return note + "."


def submissions(api: Api, challenge: str, phase: str) -> int:
    """Your team's submissions to a phase, newest first, with their public scores."""
    listed = list(api.pages(phase_path(api, challenge, phase) + "submissions/"))
    if not listed:
        say(f"No submissions to {challenge} / {phase} yet.")
        return 0
    say(f"{'uid':<36}  {'status':<9} {'final':<5} {'public':>12}  {'created':<20} file")
    for row in listed:
        public = next((s for s in row["scores"] if s["subset"] == "public"), None)
        value = _number(public["value"]) if public else ""
        say(
            f"{row['uid']:<36}  {row['status']:<9} {'yes' if row['selected_final'] else '':<5} "
            f"{value:>12}  {row['created'][:19]:<20} {row['original_name']}"
        )
    return 0


def final(api: Api, uid: str, selected: bool) -> int:
    """Select (or unselect) a submission as one of the team's final submissions."""
    row = api.post_json(f"submissions/{uid}/final/", {"selected": selected})
    state = "is now one of" if row["selected_final"] else "is no longer one of"
    say(f"{row['original_name']} ({row['uid']}) {state} your team's final submissions.")
    return 0


def team(api: Api, challenge: str, create: str | None, join: str | None, leave: bool) -> int:
    """Show your team in a challenge, or create, join or leave one."""
    path = f"challenges/{challenge}/team/"
    if leave:
        say(api.post_json(path, {"action": "leave"})["detail"])
        return 0
    if create is not None:
        shown = api.post_json(path, {"action": "create", "name": create})
    elif join is not None:
        shown = api.post_json(path, {"action": "join", "code": join})
    else:
        try:
            shown = api.get(path)
        except ClientError as error:
            if error.status != 404:
                raise
            say(f"{error} Create one with --create NAME or join one with --join CODE.")
            return 0
    members = ", ".join(m["username"] for m in shown["members"])
    say(
        f"Team '{shown['name']}' in {challenge}: {members} ({len(shown['members'])} of {shown['max_team_size']})."
    )
    say(f"Invitation code (for new members): {shown['invite_code']}")
    return 0


def _number(value) -> str:
    return "—" if value is None else f"{value:.5f}"


def _interval(score: dict) -> str:
    if score.get("ci_low") is None or score.get("ci_high") is None:
        return ""
    return f"  [{score['ci_low']:.4f}, {score['ci_high']:.4f}]"


def fail(message: str) -> int:
    print(f"fivesigma: {message}", file=sys.stderr, flush=True)
    return 1
