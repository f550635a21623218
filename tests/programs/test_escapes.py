"""The sandbox rules, aimed at organisers' programs run by the worker: a scoring program sees
its own reference data and nothing else of the site (no network, no database file, no media
directory, no other challenge's files, no secret of the worker's environment, not the
platform's code), and participants' code run by an ingestion program never sees the
reference data."""

from __future__ import annotations

import io
import json
import zipfile

from django.conf import settings
from django.db import connection

from fivesigma.challenges.engine import bundles
from fivesigma.challenges.models import DataFile, Submission
from tests.programs.bundles import (
    code_submission,
    write_code_bundle,
    write_legacy_bundle,
    write_regression_bundle,
)
from tests.programs.conftest import participant, processed, submit
from tests.runner.conftest import needs_bwrap

pytestmark = needs_bwrap

SECRETS = {
    "SECRET_KEY": "django-insecure-secret-value-42",
    "DATABASE_URL": "postgres://fivesigma:pw-secret@db/fivesigma",
    "CELERY_BROKER_URL": "redis://:broker-secret@redis:6379/0",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-value",
}

PROBE = """\
import json, os, socket, sys
PATHS = {paths}
seen = {{}}
for name, path in PATHS.items():
    try:
        seen[name] = sorted(os.listdir(path)) if os.path.isdir(path) else open(path, "rb").read(64).decode("latin-1")
    except OSError as exc:
        seen[name] = type(exc).__name__
attempts = {{
    "tcp": lambda: socket.create_connection(("93.184.216.34", 80), timeout=3),
    "udp": lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("8.8.8.8", 53)),
    "dns": lambda: socket.getaddrinfo("pypi.org", 443),
    "broker": lambda: socket.create_connection(("127.0.0.1", 6379), timeout=3),
    "postgres": lambda: socket.create_connection(("127.0.0.1", 5432), timeout=3),
}}
seen["net"] = {{}}
for name, attempt in attempts.items():
    try:
        attempt()
        seen["net"][name] = "connected"
    except OSError as exc:
        seen["net"][name] = type(exc).__name__
seen["environ"] = dict(os.environ)
try:
    seen["proc1"] = open("/proc/1/environ", "rb").read().decode(errors="replace")
except OSError as exc:
    seen["proc1"] = type(exc).__name__
try:
    import fivesigma
    seen["platform"] = repr(fivesigma)
except ImportError as exc:
    seen["platform"] = type(exc).__name__
seen["walk"] = []
for top, dirs, files in os.walk("/"):
    if top in ("/proc", "/sys", "/dev", "/usr", "/sandbox/python", "/sandbox/venv"):
        dirs[:] = []
        continue
    seen["walk"] += [os.path.join(top, f) for f in files]
print("PROBE" + json.dumps(seen))
"""


def probed(log: str) -> dict:
    line = next(line for line in log.splitlines() if line.startswith("PROBE"))
    return json.loads(line.removeprefix("PROBE"))


def test_a_scoring_program_reaches_nothing_of_the_site(db, tmp_path, monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    other = bundles.load(write_regression_bundle(tmp_path / "other"), environments=tmp_path / "e")
    other_reference = DataFile.objects.get(challenge=other, name="private/truth.csv")
    paths = {
        "database": str(connection.settings_dict["NAME"]),
        "media": str(settings.MEDIA_ROOT),
        "data": str(settings.DATA_DIR),
        "other challenge": other_reference.file.path,
        "worker's home": "/root",
    }
    root = write_legacy_bundle(tmp_path / "probe")
    scoring = PROBE.format(paths=repr(paths)) + (
        "open(os.path.join(sys.argv[2], 'scores.txt'), 'w').write('correct: 1\\n')\n"
    )
    (root / "program" / "score.py").write_text(scoring)
    phase = bundles.load(root, environments=tmp_path / "e").phases.get()
    submission = processed(submit(participant(), phase, "answers.txt", b"a b c d e\n"))
    assert submission.status == Submission.FINISHED, submission.reason

    log = submission.run_report["program"]["scoring"]["log"]
    seen = probed(log)
    assert {seen[name] for name in paths} == {"FileNotFoundError"}, seen
    assert set(seen["net"].values()) <= {"OSError", "gaierror", "ConnectionRefusedError"}
    assert "connected" not in seen["net"].values()
    for name, value in SECRETS.items():
        assert name not in seen["environ"] and value not in json.dumps(submission.run_report)
    assert seen["proc1"] == "PermissionError" or "SECRET_KEY" not in seen["proc1"]
    assert seen["platform"] == "ModuleNotFoundError"
    mine = [p for p in seen["walk"] if p.startswith("/app/")]
    assert sorted(mine) == [
        "/app/input/ref/answers.txt", "/app/input/res/answers.txt", "/app/program/metadata",
        "/app/program/score.py",
    ]  # fmt: skip
    outside = [p for p in seen["walk"] if not p.startswith(("/app/", "/etc/", "/sandbox/lib/"))]
    assert outside == [], outside
    assert not any("truth" in p or "sqlite" in p for p in seen["walk"])


def test_participant_code_under_ingestion_never_sees_the_reference_data(db, tmp_path):
    root = write_code_bundle(tmp_path / "code")
    phase = bundles.load(root, environments=tmp_path / "e").phases.get()
    reference = DataFile.objects.get(phase=phase, role=DataFile.REFERENCE)
    paths = {
        "reference": reference.file.path,
        "mounted": "/app/input/ref",
        "media": str(settings.MEDIA_ROOT),
    }
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("submission.py", PROBE.format(paths=repr(paths)) + code_submission(1.0))
    submission = processed(submit(participant(), phase, "code.zip", code.getvalue()))
    assert submission.status == Submission.FINISHED, submission.reason

    seen = probed(submission.run_report["program"]["ingestion"]["log"])
    assert {seen[name] for name in paths} == {"FileNotFoundError"}, seen
    assert not any("truth" in p for p in seen["walk"]), seen["walk"]
    assert "connected" not in seen["net"].values()
    assert "/app/ingested_program/submission.py" in seen["walk"]
    assert "/app/input_data/test/a.csv" in seen["walk"]
