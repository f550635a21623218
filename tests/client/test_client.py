"""``fivesigma`` commands against a live site: login, download, submit --wait, leaderboard."""

from __future__ import annotations

import io
import json
import stat

import pytest
from rest_framework.authtoken.models import Token

from fivesigma.challenges.client.__main__ import main
from fivesigma.challenges.client.remote import MultipartBody
from fivesigma.challenges.engine import intake, reasons, worker
from fivesigma.challenges.models import DataFile, Score, Submission
from tests.builders.higgsml_files import noisy_submission
from tests.builders.submissions import add_entry, upload
from tests.builders.users import PASSWORD, make_team


def test_login_with_a_token_stores_it_for_the_owner_only(site, live_server, client_config, capsys):
    token = Token.objects.create(user=site.alice).key
    assert main(["login", "--url", live_server.url + "/", "--token", token]) == 0
    assert f"as {site.alice.username}" in capsys.readouterr().out
    assert json.loads(client_config.read_text()) == {"url": live_server.url, "token": token}
    assert stat.S_IMODE(client_config.stat().st_mode) == 0o600


def test_login_with_username_and_password(site, live_server, client_config, monkeypatch):
    monkeypatch.setattr("getpass.getpass", lambda prompt: PASSWORD)
    assert main(["login", "--url", live_server.url, "--username", site.bob.username]) == 0
    stored = json.loads(client_config.read_text())
    assert stored["token"] == Token.objects.get(user=site.bob).key


def test_login_with_a_wrong_token_keeps_nothing(site, live_server, client_config, capsys):
    assert main(["login", "--url", live_server.url, "--token", "wrong"]) == 1
    assert "refused the token" in capsys.readouterr().err
    assert not client_config.exists()


def test_commands_need_a_login(db, capsys):
    assert main(["leaderboard", "tiny-higgs", "main"]) == 1
    assert "fivesigma login" in capsys.readouterr().err


def test_download_writes_verified_files_once(site, logged_in, tmp_path, capsys):
    out = tmp_path / "data"
    assert main(["download", "tiny-higgs", "--out", str(out)]) == 0
    assert (out / "test.csv").read_bytes() == (site.bundle / "data" / "test.csv").read_bytes()
    assert main(["download", "tiny-higgs", "--out", str(out)]) == 0
    assert "test.csv: up to date" in capsys.readouterr().out


def test_download_refuses_bytes_with_the_wrong_checksum(site, logged_in, tmp_path, capsys):
    DataFile.objects.filter(role=DataFile.PUBLIC).update(sha256="0" * 64)
    out = tmp_path / "data"
    assert main(["download", "tiny-higgs", "--out", str(out)]) == 1
    assert "not the published" in capsys.readouterr().err
    assert list(out.iterdir()) == []


def test_submit_and_wait_prints_the_score(site, logged_in, tmp_path, eager_tasks, capsys):
    path = tmp_path / "mine.csv"
    path.write_bytes(noisy_submission(site.solution))
    assert main(["submit", "tiny-higgs", "main", str(path), "--wait", "--description", "cli"]) == 0
    output = capsys.readouterr().out
    submission = Submission.objects.get()
    assert submission.status == Submission.FINISHED and submission.description == "cli"
    public = Score.objects.get(submission=submission, subset="public", current=True)
    assert f"public   ams = {public.value:.5f}" in output
    assert "private" not in output


def test_submit_refused_prints_the_reason(site, logged_in, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("EventId,RankOrder,Class\n1,1,s\n")
    assert main(["submit", "tiny-higgs", "main", str(path)]) == 1
    assert "EventId" in capsys.readouterr().err
    assert Submission.objects.count() == 0


def test_submit_wait_prints_the_failure_reason(
    site, logged_in, tmp_path, eager_tasks, monkeypatch, capsys
):
    def broken(submission):
        raise reasons.ScoringFailure("the solution file is being replaced; try again in an hour")

    monkeypatch.setattr(worker, "score", broken)
    path = tmp_path / "mine.csv"
    path.write_bytes(noisy_submission(site.solution))
    assert main(["submit", "tiny-higgs", "main", str(path), "--wait"]) == 1
    assert "Failed: the solution file is being replaced" in capsys.readouterr().out


def test_leaderboard_prints_ranked_rows_and_baselines_apart(site, logged_in, capsys):
    add_entry(site.phase, make_team(site.challenge, "second"), 2.0)
    add_entry(site.phase, make_team(site.challenge, "first"), 3.0)
    add_entry(site.phase, make_team(site.challenge, "Baseline: XGBoost", benchmark=True), 2.5)
    assert main(["leaderboard", "tiny-higgs", "main"]) == 0
    lines = capsys.readouterr().out.splitlines()
    table = [line.split()[:3] for line in lines[2:4]]
    assert table == [["1", "first", "3.00000"], ["2", "second", "2.00000"]]
    assert lines[4].startswith("Baselines")
    assert lines[5].split()[:4] == ["~2", "Baseline:", "XGBoost", "2.50000"]
    assert len(lines) == 6  # nothing more to list


def scores_of_teams(site, n: int, baselines: dict[str, float]) -> None:
    """``n`` teams scoring n, n-1, ..., 1 and benchmark teams of the given scores."""
    for k in range(n):
        add_entry(site.phase, make_team(site.challenge, f"team{k + 1:03d}"), float(n - k))
    for name, value in baselines.items():
        add_entry(site.phase, make_team(site.challenge, name, benchmark=True), value)


@pytest.mark.parametrize("top", [1, 3, 7])
def test_top_n_prints_n_ranked_teams_whatever_the_baselines(site, logged_in, capsys, top):
    scores_of_teams(site, 5, {"Baseline: high": 4.5, "Baseline: low": 0.5})
    assert main(["leaderboard", "tiny-higgs", "main", "--top", str(top)]) == 0
    lines = capsys.readouterr().out.splitlines()
    ranked = [line.split() for line in lines[2:] if line.split()[0].isdigit()]
    shown = min(top, 5)
    assert [row[:2] for row in ranked] == [[str(k), f"team{k:03d}"] for k in range(1, shown + 1)]
    assert f"top {shown} teams" in lines[0]
    baselines = [line.split()[:3] for line in lines if line.lstrip().startswith("~")]
    # each baseline met above the last team shown, with the rank its score would have
    expected = (
        [["~2", "Baseline:", "high"]]
        if top < 7
        else [["~2", "Baseline:", "high"], ["~6", "Baseline:", "low"]]
    )
    if top == 1:
        expected = []
    assert baselines == expected
    assert ("more teams below" in lines[-1]) == (top < 7)


def test_top_n_reads_as_many_pages_as_it_needs(site, logged_in, capsys):
    scores_of_teams(site, 103, {"Baseline: mid": 50.5})
    assert main(["leaderboard", "tiny-higgs", "main", "--top", "102"]) == 0
    lines = capsys.readouterr().out.splitlines()
    ranked = [line.split()[0] for line in lines[2:] if line.split()[0].isdigit()]
    assert ranked == [str(k) for k in range(1, 103)]
    assert "more teams below" in lines[-1]


@pytest.mark.parametrize("top", ["0", "-3", "many"])
def test_top_must_be_a_whole_number_of_at_least_one(db, capsys, top):
    with pytest.raises(SystemExit):
        main(["leaderboard", "tiny-higgs", "main", "--top", top])
    assert "at least 1" in capsys.readouterr().err


def test_private_leaderboard_before_the_end_is_refused(site, logged_in, capsys):
    assert main(["leaderboard", "tiny-higgs", "main", "--private"]) == 1
    assert "after the phase ends" in capsys.readouterr().err


def test_challenges_lists_phases(site, logged_in, capsys):
    assert main(["challenges"]) == 0
    output = capsys.readouterr().out
    assert "tiny-higgs: Tiny Higgs" in output and "past" in output


def test_multipart_body_streams_the_file_in_chunks():
    content = bytes(range(256)) * 1000
    seen = []
    body = MultipartBody(io.BytesIO(content), 'odd "name".csv', {"description": "x"}, seen.append)
    chunks = []
    while chunk := body.read(4096):
        assert len(chunk) <= max(4096, len(body.head))
        chunks.append(chunk)
    raw = b"".join(chunks)
    assert len(raw) == len(body)
    assert sum(seen) == len(content)
    assert raw.startswith(f"--{body.boundary}\r\n".encode())
    assert content in raw and raw.endswith(f"--{body.boundary}--\r\n".encode())
    assert b'filename="odd %22name%22.csv"' in raw


def test_login_options_exclude_each_other():
    with pytest.raises(SystemExit):
        main(["login", "--url", "http://x", "--token", "a", "--username", "b"])


def test_team_submissions_and_final_choice_from_the_command_line(site, logged_in, capsys):
    assert main(["team", "tiny-higgs"]) == 0
    assert "not in a team" in capsys.readouterr().out
    assert main(["team", "tiny-higgs", "--create", "Tau Finders"]) == 0
    out = capsys.readouterr().out
    assert "Team 'Tau Finders'" in out and "Invitation code" in out
    submission = intake.submit(
        site.phase, site.alice, upload("mine.csv", noisy_submission(site.solution))
    )
    worker.process(submission.pk)
    assert main(["submissions", "tiny-higgs", "main"]) == 0
    listing = capsys.readouterr().out
    assert str(submission.uid) in listing and "finished" in listing and "mine.csv" in listing
    assert main(["final", str(submission.uid)]) == 0
    assert "is now one of your team's final submissions" in capsys.readouterr().out
    assert Submission.objects.get(pk=submission.pk).selected_final
    assert main(["final", str(submission.uid), "--unselect"]) == 0
    assert not Submission.objects.get(pk=submission.pk).selected_final
    assert main(["team", "tiny-higgs", "--leave"]) == 1
    assert "has submissions" in capsys.readouterr().err


def test_an_unknown_phase_is_named_with_the_real_ones(site, logged_in, tmp_path, capsys):
    path = tmp_path / "x.csv"
    path.write_bytes(noisy_submission(site.solution))
    assert main(["submit", "tiny-higgs", "mian", str(path)]) == 1
    err = capsys.readouterr().err
    assert "no phase 'mian'" in err and "main, past" in err
    assert main(["leaderboard", "no-such-challenge", "main"]) == 1
    assert "no challenge 'no-such-challenge'" in capsys.readouterr().err
