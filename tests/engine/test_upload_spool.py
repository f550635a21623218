"""The upload spool's sweep: what a killed web process leaves (spooled uploads and bundle
scratch folders) goes once it is old; what a live request is writing stays."""

from __future__ import annotations

import os
import time
from pathlib import Path

from fivesigma.challenges.engine import upload_spool


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_old_uploads_and_bundle_folders_go_young_ones_and_others_stay(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    old_upload = tmp_path / "abc.upload"
    old_upload.write_bytes(b"x" * 1000)
    young_upload = tmp_path / "def.upload"
    young_upload.write_bytes(b"y" * 10)
    with upload_spool.scratch_folder() as kept_name:
        abandoned = upload_spool.scratch_folder()
        folder = Path(abandoned.name)
        assert folder.parent == tmp_path
        (folder / "bundle").mkdir()
        (folder / "bundle" / "data.csv").write_bytes(b"z" * 500)
        foreign = tmp_path / "someone-elses"
        foreign.mkdir()
        for path in (old_upload, folder, foreign):
            age(path, 7200)

        removed = upload_spool.sweep(max_age_s=3600)

        assert removed == {"files": 2, "bytes": 1500}
        assert not old_upload.exists() and not folder.exists()
        assert young_upload.exists() and foreign.is_dir() and Path(kept_name).is_dir()
        abandoned.cleanup()  # already gone: no error
