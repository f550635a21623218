"""A demo's preparation, step by step, as the pages and the terminal show it.

The demo's real plan generates data for minutes (``test_setup_demo`` runs it at the tiny
size); here the plan is replaced by short steps that look at the pages while they run, fail,
or take a while, so that what a newcomer sees during each of them is checked.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.test import Client
from django.urls import reverse

from fivesigma.challenges.engine import demo
from fivesigma.challenges.models import Preparation
from tests.builders.users import make_user


def pages() -> dict[str, str]:
    client = Client()
    return {
        "home": client.get(reverse("home")).content.decode(),
        "overview": client.get(reverse("challenge", args=["higgsml"])).content.decode(),
        "data": client.get(reverse("challenge-page", args=["higgsml", "data"])).content.decode(),
    }


@pytest.fixture
def listed(db, monkeypatch):
    """The HiggsML demo listed, with a plan of steps the test sets in ``listed.steps``."""
    steps: list[demo.Step] = []
    monkeypatch.setattr(demo, "plan", lambda preparation: steps)
    steps += [demo.Step("first thing", lambda say: None), demo.Step("second", lambda say: None)]
    preparation = demo.register("higgsml", make_user("organiser", is_staff=True), "tiny")
    preparation.steps_list = steps
    return preparation


def test_a_listed_demo_shows_its_pages_and_waits_for_a_worker(listed):
    assert listed.state == "waiting" and listed.steps == 2 and listed.percent == 0
    seen = pages()
    assert listed.challenge.title in seen["home"]
    assert "waiting for a worker</strong> to start the 2 steps" in seen["home"]
    assert "waiting for a worker" in seen["overview"]
    assert "separate that signal from its" in seen["overview"]  # the bundle's overview page
    assert 'http-equiv="refresh"' in seen["overview"]
    assert "No public files." in seen["data"]
    listed_by_api = Client().get(reverse("api-challenges"))
    assert listed_by_api.status_code == 200 and "higgsml" in listed_by_api.content.decode()
    assert demo.progress_line(listed) == f"higgsml [{'.' * demo.BAR_WIDTH}] waiting for a worker"


def test_each_running_step_is_shown_with_what_it_says(listed):
    seen = []

    def first(say):
        say("simulating ztautau")
        seen.append(pages())

    def second(say):
        seen.append(pages())

    listed.steps_list[:] = [demo.Step("simulating the data", first), demo.Step("loading", second)]
    reports = []
    demo.prepare(listed, lambda p: reports.append(demo.progress_line(p)))
    assert (
        "Preparing: step 1 of 2</strong>, simulating the data (simulating ztautau)"
        in (seen[0]["overview"])
    )
    assert "Preparing: step 1 of 2" in seen[0]["home"]
    assert 'value="0"' in seen[0]["overview"]  # the progress bar: no step done yet
    assert "Preparing: step 2 of 2</strong>, loading, for" in seen[1]["overview"]
    assert 'value="50"' in seen[1]["overview"]
    half = "#" * (demo.BAR_WIDTH // 2) + "." * (demo.BAR_WIDTH // 2)
    assert reports[:3] == [
        f"higgsml [{'.' * demo.BAR_WIDTH}] step 1 of 2, simulating the data (0 s)",
        f"higgsml [{'.' * demo.BAR_WIDTH}] step 1 of 2, simulating the data: simulating ztautau (0 s)",
        f"higgsml [{half}] step 2 of 2, loading (0 s)",
    ]
    assert reports[-1].startswith(f"higgsml [{'#' * demo.BAR_WIDTH}] ready: 2 steps in ")
    listed.refresh_from_db()
    assert listed.is_ready and listed.percent == 100
    after = pages()
    assert "Preparing" not in after["overview"] and "Preparing" not in after["home"]
    assert 'http-equiv="refresh"' not in after["overview"] + after["home"]


def test_a_long_step_is_reported_while_it_runs(listed, monkeypatch):
    monkeypatch.setattr(demo, "REPORT_SECONDS", 0.05)
    release = threading.Event()
    reports = []

    def long_step(say):
        deadline = time.monotonic() + 30
        while len(reports) < 6 and time.monotonic() < deadline:
            time.sleep(0.01)
        release.set()

    listed.steps_list[:] = [demo.Step("simulating", long_step)]
    demo.prepare(listed, lambda p: reports.append((p.step, demo.progress_line(p))))
    assert release.is_set()
    during = [line for step, line in reports if "ready" not in line]
    assert len(during) >= 6  # the start of the step, then the beats, without any word from it
    assert all("step 1 of 1, simulating (" in line for line in during)


def test_a_failed_step_is_shown_and_a_second_run_resumes(listed):
    attempts = []

    def fragile(say):
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("No space left on device")

    listed.steps_list[:] = [demo.Step("first", lambda say: None), demo.Step("writing", fragile)]
    with pytest.raises(OSError):
        demo.prepare(listed)
    listed.refresh_from_db()
    assert listed.state == "failed"
    assert listed.error == "step 2 of 2 (writing) failed: No space left on device"
    page = pages()["overview"]
    assert "Preparation failed</strong>: step 2 of 2 (writing) failed: No space left" in page
    assert 'http-equiv="refresh"' not in page  # nothing will change by itself
    assert "failed" in demo.progress_line(listed)

    demo.prepare(listed)
    listed.refresh_from_db()
    assert listed.is_ready and not listed.error and len(attempts) == 2


def test_one_task_at_a_time_prepares_a_demo(listed):
    ran = []
    listed.steps_list[:] = [demo.Step("only", lambda say: ran.append(1))]
    Preparation.objects.filter(pk=listed.pk).update(worker="another-task")
    assert demo.prepare_once(listed.pk, "this-task") == "ready or being prepared by another task"
    assert not ran

    Preparation.objects.filter(pk=listed.pk).update(worker="")
    assert demo.prepare_once(listed.pk, "this-task") == "higgsml ready"
    assert ran == [1] and Preparation.objects.get(pk=listed.pk).worker == ""
    assert demo.prepare_once(listed.pk, "a-redelivered-task").startswith("ready or")
    assert ran == [1]


def test_a_failed_task_lets_the_next_one_take_the_demo(listed):
    def broken(say):
        raise RuntimeError("boom")

    listed.steps_list[:] = [demo.Step("broken", broken)]
    with pytest.raises(RuntimeError):
        demo.prepare_once(listed.pk, "first-task")
    assert Preparation.objects.get(pk=listed.pk).worker == ""
    listed.steps_list[:] = [demo.Step("fixed", lambda say: None)]
    assert demo.prepare_once(listed.pk, "second-task") == "higgsml ready"


def test_registering_again_keeps_a_prepared_demo_and_restarts_an_unfinished_one(
    listed, isolated_storage
):
    demo.prepare(listed)
    organiser = listed.challenge.organisers.get()
    # ready, but its data directory is gone (a new DATA_DIR): prepared again
    assert demo.register("higgsml", organiser, "tiny").state == "waiting"
    demo.prepare(Preparation.objects.get(pk=listed.pk))
    marker = isolated_storage / "demo" / "higgsml-tiny" / "data" / demo.GENERATED
    marker.parent.mkdir(parents=True)
    marker.write_text("complete\n")
    again = demo.register("higgsml", organiser, "tiny")
    assert again.is_ready and again.pk == listed.pk
    # another size is other data: prepared again
    assert demo.register("higgsml", organiser, "small").state == "waiting"
    # a preparation stopped half-way (the worker was killed) is handed to the next worker
    Preparation.objects.filter(pk=listed.pk).update(step=1, worker="killed-task")
    resumed = demo.register("higgsml", organiser, "small")
    assert resumed.state == "waiting" and resumed.worker == "" and resumed.step == 0


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.4, "0 s"), (42, "42 s"), (60, "1 min 00 s"), (185, "3 min 05 s")]
)
def test_durations_read_as_minutes_and_seconds(seconds, text):
    assert demo.duration(seconds) == text
