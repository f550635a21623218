"""Submission limits: per team, per UTC day and in total; what counts and what does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.urls import reverse
from django.utils import timezone as django_time

from fivesigma.challenges.engine import intake, leaderboard, lifecycle, teams, worker
from fivesigma.challenges.models import Phase, Submission
from tests.builders.challenges import bare_phase
from tests.builders.higgsml_files import noisy_submission
from tests.builders.submissions import add_entry, upload
from tests.builders.users import make_team, make_user


def stored_files(media) -> list:
    root = media / "media" / "submissions"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def good(tiny, seed: int = 0):
    return upload(f"sub-{seed}.csv", noisy_submission(tiny.solution, seed=seed))


def set_limits(phase: Phase, **fields) -> Phase:
    Phase.objects.filter(pk=phase.pk).update(**fields)
    phase.refresh_from_db()
    return phase


def test_daily_limit_refuses_the_next_upload_with_the_reset_time(tiny):
    phase = set_limits(tiny.main, daily_limit=2)
    alice = make_user("alice")
    for seed in range(2):
        intake.submit(phase, alice, good(tiny, seed))
    with pytest.raises(intake.SubmissionRefused, match=r"its 2 submissions for today.*00:00 UTC"):
        intake.submit(phase, alice, good(tiny, 9))
    assert Submission.objects.count() == 2


def test_the_day_is_the_utc_day(db):
    phase = bare_phase(daily_limit=2)
    team = make_team(phase.challenge, "t")
    midnight = datetime(2024, 5, 2, tzinfo=UTC)
    add_entry(phase, team, at=midnight - timedelta(microseconds=1), scored=False)  # yesterday
    add_entry(phase, team, at=midnight, scored=False)  # today
    add_entry(phase, team, at=midnight + timedelta(hours=23, minutes=59), scored=False)
    at_noon = intake.allowance(phase, team, now=midnight + timedelta(hours=12))
    assert (at_noon.used_today, at_noon.used_total, at_noon.remaining_today) == (2, 3, 0)
    assert at_noon.resets_at == midnight + timedelta(days=1)
    # 01:00 on 3 May in Tokyo is 16:00 on 2 May in UTC: still the same UTC day
    tokyo = timezone(timedelta(hours=9))
    assert intake.allowance(phase, team, now=datetime(2024, 5, 3, 1, tzinfo=tokyo)).used_today == 2
    next_day = intake.allowance(phase, team, now=midnight + timedelta(days=1))
    assert (next_day.used_today, next_day.remaining_today) == (0, 2)


def test_yesterdays_uploads_free_todays_allowance(tiny):
    phase = set_limits(tiny.main, daily_limit=1)
    alice = make_user("alice")
    first = intake.submit(phase, alice, good(tiny, 0))
    with pytest.raises(intake.SubmissionRefused):
        intake.submit(phase, alice, good(tiny, 1))
    today = django_time.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    Submission.objects.filter(pk=first.pk).update(created=today - timedelta(seconds=1))
    assert intake.submit(phase, alice, good(tiny, 1)).pk != first.pk


def test_total_limit_over_several_days(db):
    phase = bare_phase(daily_limit=5, total_limit=3)
    team = make_team(phase.challenge, "t")
    now = django_time.now()
    for days in (3, 2):
        add_entry(phase, team, at=now - timedelta(days=days), scored=False)
    assert intake.allowance(phase, team).remaining_today == 1
    add_entry(phase, team, at=now, scored=False)
    left = intake.allowance(phase, team)
    assert (left.used_today, left.used_total, left.remaining_today) == (1, 3, 0)


def test_total_limit_message(tiny):
    phase = set_limits(tiny.main, daily_limit=5, total_limit=1)
    alice = make_user("alice")
    intake.submit(phase, alice, good(tiny, 0))
    with pytest.raises(intake.SubmissionRefused, match="used all 1 submissions of this phase"):
        intake.submit(phase, alice, good(tiny, 1))


def test_failed_submissions_do_not_count(tiny):
    phase = set_limits(tiny.main, daily_limit=1)
    alice = make_user("alice")
    first = intake.submit(phase, alice, good(tiny, 0))
    lifecycle.fail(first, "the scorer broke")
    second = intake.submit(phase, alice, good(tiny, 1))
    assert second.status == Submission.QUEUED


def test_refused_uploads_do_not_count_and_leave_nothing_behind(tiny, isolated_storage):
    phase = set_limits(tiny.main, daily_limit=1)
    alice = make_user("alice")
    wrong = upload("wrong.csv", b"EventId,RankOrder,Class\n1,1,s\n")
    for _ in range(3):
        with pytest.raises(intake.SubmissionRefused, match="EventId"):
            intake.submit(phase, alice, wrong)
    assert Submission.objects.count() == 0
    assert stored_files(isolated_storage) == []
    team = teams.team_of(alice, tiny.challenge)
    assert intake.allowance(phase, team).remaining_today == 1
    accepted = intake.submit(phase, alice, good(tiny, 0))
    assert stored_files(isolated_storage) == [isolated_storage / "media" / accepted.file.name]


def test_limits_are_per_team_not_per_member(tiny):
    phase = set_limits(tiny.main, daily_limit=2)
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    team = teams.create_team(alice, tiny.challenge, "pair")
    teams.join(bob, team.invite_code)
    intake.submit(phase, alice, good(tiny, 0))
    intake.submit(phase, bob, good(tiny, 1))
    with pytest.raises(intake.SubmissionRefused):
        intake.submit(phase, bob, good(tiny, 2))
    with pytest.raises(intake.SubmissionRefused):
        intake.submit(phase, alice, good(tiny, 3))
    intake.submit(phase, carol, good(tiny, 4))  # another team: its own allowance
    assert Submission.objects.filter(team=team).count() == 2


def test_leaving_a_team_does_not_buy_a_fresh_allowance(tiny):
    """A team's submissions stay with it: a member may not walk away from them and start over."""
    phase = set_limits(tiny.main, daily_limit=1)
    alice = make_user("alice")
    intake.submit(phase, alice, good(tiny, 0))
    with pytest.raises(teams.TeamError, match="submissions"):
        teams.leave(alice, tiny.challenge)
    with pytest.raises(intake.SubmissionRefused):
        intake.submit(phase, alice, good(tiny, 1))
    assert Submission.objects.count() == 1


def test_phase_not_open_yet_or_ended(tiny):
    alice = make_user("alice")
    future = set_limits(
        tiny.main,
        start=django_time.now() + timedelta(days=1),
        end=django_time.now() + timedelta(days=2),
    )
    with pytest.raises(intake.SubmissionRefused, match="has not opened yet"):
        intake.submit(future, alice, good(tiny))
    with pytest.raises(intake.SubmissionRefused, match="has ended"):
        intake.submit(tiny.past, alice, good(tiny))
    assert Submission.objects.count() == 0


def test_late_submissions_are_scored_but_never_ranked(tiny):
    past = set_limits(tiny.past, score_late=True)
    alice = make_user("alice")
    late = intake.submit(past, alice, good(tiny))
    assert late.is_late
    worker.process(late.pk)
    late.refresh_from_db()
    assert late.status == Submission.FINISHED, late.reason
    assert late.scores.filter(current=True).count() == 2
    for subset in ("public", "private"):
        assert leaderboard.compute(past, subset).rows == []


def test_team_size_limit(tiny):
    tiny.challenge.max_team_size = 2
    tiny.challenge.save()
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    team = teams.create_team(alice, tiny.challenge, "pair")
    teams.join(bob, team.invite_code)
    with pytest.raises(teams.TeamError, match=r"is full \(2 members\)"):
        teams.join(carol, team.invite_code)
    assert team.memberships.count() == 2
    assert teams.team_of(carol, tiny.challenge) is None


def test_final_selection_limit(tiny, client):
    phase = set_limits(tiny.main, final_selections=2, daily_limit=5)
    alice = make_user("alice")
    client.force_login(alice)
    made = []
    for seed in range(4):
        submission = intake.submit(phase, alice, good(tiny, seed))
        worker.process(submission.pk)
        made.append(submission)
    failed = intake.submit(phase, alice, good(tiny, 7))
    lifecycle.fail(failed, "broken")

    def toggle(submission):
        return client.post(reverse("submission-final", args=[submission.uid]), follow=True)

    def selected():
        return set(Submission.objects.filter(selected_final=True).values_list("pk", flat=True))

    toggle(made[0]), toggle(made[1])
    assert selected() == {made[0].pk, made[1].pk}
    response = toggle(made[2])
    assert "already selected 2 final submissions" in response.content.decode()
    assert selected() == {made[0].pk, made[1].pk}
    toggle(made[0])  # unselect one, then another fits
    toggle(made[2])
    assert selected() == {made[1].pk, made[2].pk}
    assert "Only scored submissions" in toggle(failed).content.decode()
    assert failed.pk not in selected()
    set_limits(phase, end=django_time.now() - timedelta(seconds=1))
    assert "cannot be changed after the phase has ended" in toggle(made[3]).content.decode()
    assert selected() == {made[1].pk, made[2].pk}
