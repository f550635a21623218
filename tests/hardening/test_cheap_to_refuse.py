"""Hostile bundles and uploads are refused cheaply: an alias bomb, a huge manifest, values of
the wrong type or length, and zip and gzip bombs, each with a clear problem, bounded in size,
time and memory, and never a server error."""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
import yaml
from django.test import Client
from django.urls import reverse

from fivesigma.challenges.engine import bundles
from fivesigma.challenges.models import Challenge
from tests.builders.higgsml_files import write_ams_bundle
from tests.builders.users import make_user


@pytest.fixture
def bundle(tmp_path) -> Path:
    root = tmp_path / "bundle"
    write_ams_bundle(root, n_events=100)
    return root


def problems_of(path, **options) -> list[str]:
    with pytest.raises(bundles.BundleError) as caught:
        bundles.load(path, **options)
    return caught.value.problems


def alias_bomb(levels: int, field: str = "max_team_size") -> str:
    """Each level a list of nine aliases of the one before: 9**levels values from ~60 bytes a level."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + f"\n{field}: *a{levels}\n"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("levels", [3, 7, 9])
def test_an_alias_bomb_is_refused_with_a_short_problem(db, bundle, levels):
    """Was: the problem quoted the expanded value ("must be a whole number, not [[[..."),
    82 MB at 7 levels and 6 GB at 9."""
    (bundle / "challenge.yaml").write_text(alias_bomb(levels))
    problems = problems_of(bundle)
    text = "\n".join(problems)
    assert len(text) < 2000, f"{len(text)} characters of problems"
    if levels >= 5:  # 9**5 values and more: refused while reading
        assert problems == [
            "challenge.yaml: its aliases expand to more than 100,000 values; write the values "
            "out or use fewer aliases"
        ]
    else:  # 729 values: read, and refused as a list, quoted abbreviated
        assert "challenge.yaml, max_team_size: must be a whole number, not [[[...], [...]," in text
    assert not Challenge.objects.exists()


def test_an_alias_inside_itself_is_refused(db, bundle):
    (bundle / "challenge.yaml").write_text("title: &t [a, *t]\n")
    assert problems_of(bundle) == ["challenge.yaml: an alias is used inside the value it names"]


def test_anchors_and_merge_keys_of_a_normal_bundle_still_load(db, isolated_storage, bundle):
    manifest = bundle / "challenge.yaml"
    data = yaml.safe_load(manifest.read_text())
    phase = data["phases"][0]
    text = textwrap.dedent(f"""\
        version: 1
        slug: anchors
        title: Anchors
        defaults: &defaults
          start: 2020-01-01T00:00:00Z
          end: 2099-01-01T00:00:00Z
          metric: ams
          solution: {phase["solution"]}
          split: {{by: column, column: KaggleSet, public: b, private: v}}
        phases:
          - {{<<: *defaults, key: one}}
          - {{<<: *defaults, key: two, daily_limit: 2}}
        """)
    manifest.write_text(text)
    # `defaults` is not a field: refused by name, the aliases themselves are fine
    assert problems_of(bundle) == [
        "challenge.yaml, defaults: unknown field (known: version, slug, title, summary, "
        "max_team_size, pages, files, starter_kit, phases)"
    ]
    manifest.write_text(text.replace("defaults: &defaults", "x-defaults: &defaults"))
    data = yaml.safe_load(manifest.read_text())
    del data["x-defaults"]
    manifest.write_text(text.split("defaults: &defaults")[0] + yaml.safe_dump(data))
    challenge = bundles.load(bundle)
    assert [p.daily_limit for p in challenge.phases.order_by("key")] == [5, 2]


@pytest.mark.timeout(30)
def test_a_huge_manifest_is_refused_by_its_size_before_parsing(db, bundle):
    """Was: a 28 MB challenge.yaml parsed for 8 minutes and 2.4 GB."""
    line = "  - {key: k, title: 'a phase', daily_limit: 1}\n"
    (bundle / "challenge.yaml").write_text("phases:\n" + line * (28_000_000 // len(line)))
    assert problems_of(bundle) == ["challenge.yaml: is 27344 KiB; a manifest is at most 256 KiB"]


WRONG = {
    "version as a list": (
        {"version": [1]},
        "challenge.yaml, version: version [1] is not supported",
    ),
    "version as a mapping": (
        {"version": {"a": 1}},
        "challenge.yaml, version: version {'a': 1} is not supported",
    ),
    "a 300-character title": (
        {"title": "T" * 300},
        "challenge.yaml, title: is 300 characters long; at most 200",
    ),
    "a 60-character slug": (
        {"slug": "s" * 60},
        "challenge.yaml, slug: is 60 characters long; at most 50",
    ),
    "a non-ASCII slug": ({"slug": "défi"}, "may hold only letters, digits, '-' and '_'"),
}


@pytest.mark.parametrize("case", sorted(WRONG))
def test_a_value_of_the_wrong_type_or_length_is_a_problem_on_the_page_too(
    db, isolated_storage, bundle, tmp_path, case
):
    """Was: a 500 with a traceback (version: [1]), or a title stored silently on SQLite and
    refused by PostgreSQL."""
    change, words = WRONG[case]
    manifest = bundle / "challenge.yaml"
    data = yaml.safe_load(manifest.read_text())
    data.update(change)
    manifest.write_text(yaml.safe_dump(data, allow_unicode=True))
    assert any(words in p for p in problems_of(bundle)), problems_of(bundle)

    client = Client(raise_request_exception=False)
    client.force_login(make_user("olga", is_staff=True))
    archive = io.BytesIO(_zip_dir(bundle))
    archive.name = "bundle.zip"
    response = client.post(reverse("upload-bundle"), {"bundle": archive})
    assert response.status_code == 400
    assert words.replace("'", "&#x27;") in response.content.decode()
    assert not Challenge.objects.exists()


def _zip_dir(root: Path) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(root).as_posix())
    return out.getvalue()


@pytest.fixture(scope="module")
def gigabyte_zip(tmp_path_factory) -> Path:
    """A 1 MB zip that unpacks to 1 GiB of zeros (written once: ~3 s)."""
    path = tmp_path_factory.mktemp("bomb") / "bundle.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("challenge.yaml", "version: 1\n")
        with archive.open("data/zeros.bin", "w", force_zip64=True) as member:
            chunk = bytes(1 << 24)
            for _ in range(64):
                member.write(chunk)
    return path


@pytest.mark.slow
def test_a_zip_bomb_uploaded_as_a_bundle_writes_nothing(
    db, isolated_storage, gigabyte_zip, monkeypatch
):
    """Was: unpacked up to 20 GiB inside the web request (2.2 GB and 17-19 s per bomb)."""
    from fivesigma.runner import unpack

    written = []
    real = unpack.extract_member

    def counting(archive, info, target, total, max_bytes):
        total = real(archive, info, target, total, max_bytes)
        written.append(total)
        return total

    monkeypatch.setattr(unpack, "extract_member", counting)
    client = Client(raise_request_exception=False)
    client.force_login(make_user("olga", is_staff=True))
    with open(gigabyte_zip, "rb") as upload:
        response = client.post(reverse("upload-bundle"), {"bundle": upload})
    assert response.status_code == 400
    assert "bundle.zip: unpacks to 1.0 GiB, over the 512 MiB limit" in response.content.decode()
    assert sum(written) == 0


@pytest.mark.slow
def test_a_lying_zip_stops_at_the_cap_while_it_is_written(tmp_path):
    """Entries that declare less than they hold stop at the cap as they stream."""
    from fuzz.inputs import Entry, build_zip

    payload = bytes(8 << 20)
    archive = tmp_path / "bundle.zip"
    data = bytearray(
        build_zip([Entry("challenge.yaml", b"version: 1\n"), Entry("big.bin", payload)])
    )
    # the central directory says big.bin holds 1 KiB
    directory = data.rfind(b"PK\x01\x02")
    data[directory + 24 : directory + 28] = (1024).to_bytes(4, "little")
    archive.write_bytes(bytes(data))
    with pytest.raises(bundles.BundleError) as caught:
        bundles.unpack_zip(archive, tmp_path / "out", max_bytes=4 << 20)
    assert "big.bin" in caught.value.problems[0] or "limit" in caught.value.problems[0]
    written = sum(p.stat().st_size for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert written <= 4 << 20


PEAK_SCRIPT = """\
import resource, sys
from fivesigma.scoring import registry
from fivesigma.scoring.validation import SubmissionError
metric = registry.get("ams", max_bytes=256 * 1024 * 1024)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    metric.read_submission(sys.argv[1])
except SubmissionError as error:
    print(str(error).splitlines()[0][:200])
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["gzip", "zip"])
def test_a_compressed_submission_bomb_is_refused_in_constant_memory(tmp_path, kind):
    """320 MiB of one endless row against a 256 MiB cap: counted as it streams, never parsed.
    Was: pandas parsed it up to the cap (2.2 GB of memory for the default 2 GiB cap)."""
    path = tmp_path / f"bomb.csv.{'gz' if kind == 'gzip' else 'zip'}"
    chunk = b"1" * (1 << 20)
    if kind == "gzip":
        with gzip.open(path, "wb", compresslevel=1) as stream:
            stream.write(b"EventId,RankOrder,Class\n")
            for _ in range(320):
                stream.write(chunk)
    else:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            with archive.open("submission.csv", "w") as member:
                member.write(b"EventId,RankOrder,Class\n")
                for _ in range(320):
                    member.write(chunk)
    done = subprocess.run(
        [sys.executable, "-c", PEAK_SCRIPT, str(path)], capture_output=True, text=True, timeout=120
    )
    message, grown_mb = done.stdout.strip().splitlines()
    assert "more than 0.25 GiB of data once decompressed" in message, done.stderr
    assert int(grown_mb) < 64, f"memory grew by {grown_mb} MB while refusing the bomb"
