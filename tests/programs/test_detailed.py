"""Detailed results kept from a scoring program's output: regular files with plain names, at
most 50 files and 20 MB, never a link (which could point at the worker's own files); an
earlier scoring's files are replaced."""

from __future__ import annotations

import os
from types import SimpleNamespace

from django.core.files.storage import default_storage

from fivesigma.challenges.engine import detailed


def test_only_plain_regular_files_within_the_caps_are_kept(tmp_path, settings):
    out = tmp_path / "out"
    (out / "figures").mkdir(parents=True)
    (out / "scores.json").write_text("{}")
    (out / "detailed_results.html").write_text("<p>fine</p>")
    (out / "figures" / "roc.png").write_bytes(b"\x89PNG")
    (out / "bad name.html").write_text("x")
    os.symlink("/etc/hostname", out / "leak.txt")
    os.symlink("/etc", out / "etc")
    for i in range(60):
        (out / f"many-{i:02d}.txt").write_text(str(i))
    (out / "zz-big.bin").write_bytes(b"x" * (21 * 1024 * 1024))
    submission = SimpleNamespace(uid="u-1", run_report={})
    notes: list[str] = []
    kept = detailed.store(submission, out, notes)
    assert kept[:3] == ["detailed_results.html", "figures/roc.png", "many-00.txt"]
    assert len(kept) == detailed.MAX_FILES and "scores.json" not in kept
    assert "bad name.html" not in kept and "leak.txt" not in kept and "zz-big.bin" not in kept
    assert any("'leak.txt' skipped (not a regular file)" in n for n in notes)
    assert any("'etc' skipped (not a regular file)" in n for n in notes)
    assert any("'bad name.html' skipped" in n for n in notes)
    assert any("at most 50 files" in n for n in notes)
    name = detailed.storage_name(submission, "figures/roc.png")
    assert (
        name == "detailed/u-1/figures/roc.png" and default_storage.open(name).read() == b"\x89PNG"
    )

    again = SimpleNamespace(uid="u-1", run_report={"program": {"detailed": kept}})
    (tmp_path / "next").mkdir()
    (tmp_path / "next" / "detailed_results.html").write_text("<p>new</p>")
    assert detailed.store(again, tmp_path / "next") == ["detailed_results.html"]
    assert not default_storage.exists(name)
    page = default_storage.open(detailed.storage_name(again, "detailed_results.html")).read()
    assert page == b"<p>new</p>"
