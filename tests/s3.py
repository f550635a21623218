"""S3-compatible storage for tests.

``s3_storage``: Django's default storage on S3 inside this process, served by moto's
in-process mock of the S3 API (no server, no network). ``S3Server``: a real S3 API server
that separate processes share: the one CI starts (``bash platform/services.sh start-s3``
prints its AWS_S3_ENDPOINT_URL), or else a ``moto_server`` of the test's own on a free port.
Every test gets an empty bucket of its own.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require, wait_for
from tests.faults.services import free_port

S3_BACKEND = {"BACKEND": "storages.backends.s3.S3Storage"}
REGION = "us-east-1"
# moto accepts any keys; a real store gets its own through the environment.
TEST_KEYS = {"AWS_ACCESS_KEY_ID": "fivesigma-test", "AWS_SECRET_ACCESS_KEY": "fivesigma-test"}


def bucket_name() -> str:
    return f"fivesigma-test-{secrets.token_hex(6)}"


@pytest.fixture
def s3_storage(settings):
    """The default storage on S3 (moto's in-process mock) with an empty bucket; yields its name."""
    import boto3
    from moto import mock_aws

    bucket = bucket_name()
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=bucket)
        settings.AWS_STORAGE_BUCKET_NAME = bucket
        settings.AWS_S3_REGION_NAME = REGION
        settings.AWS_S3_ENDPOINT_URL = None
        settings.AWS_DEFAULT_ACL = None
        settings.AWS_S3_FILE_OVERWRITE = False
        settings.STORAGES = {**settings.STORAGES, "default": S3_BACKEND}
        yield bucket


class S3Server:
    """An S3 API server shared by the processes of a test, with a bucket of the test's own."""

    def __init__(self, directory: Path):
        self.popen: subprocess.Popen | None = None
        endpoint = os.environ.get("AWS_S3_ENDPOINT_URL", "")
        if not endpoint:
            moto_server = shutil.which("moto_server", path=str(Path(sys.executable).parent))
            require(
                moto_server is not None, "moto_server (pip install 'moto[s3]' flask flask-cors)"
            )
            port = free_port()
            endpoint = f"http://127.0.0.1:{port}"
            self._log = open(directory / "s3.log", "w")  # noqa: SIM115 - until stop()
            self.popen = subprocess.Popen(
                [moto_server, "-H", "127.0.0.1", "-p", str(port)],
                stdout=self._log,
                stderr=subprocess.STDOUT,
            )
        self.endpoint = endpoint
        self.keys = {name: os.environ.get(name) or value for name, value in TEST_KEYS.items()}
        self.bucket = bucket_name()
        wait_for(self._answers, timeout=30, interval=0.2, what=f"the S3 server at {endpoint}")
        self.client().create_bucket(Bucket=self.bucket)

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=self.keys["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.keys["AWS_SECRET_ACCESS_KEY"],
        )

    def _answers(self) -> bool:
        from botocore.exceptions import BotoCoreError

        try:
            self.client().list_buckets()
        except BotoCoreError:
            return False
        return True

    def environment(self) -> dict[str, str]:
        """What a process needs to keep its files in the test's bucket."""
        return {
            "FIVESIGMA_STORAGE": "s3",
            "AWS_S3_ENDPOINT_URL": self.endpoint,
            "AWS_STORAGE_BUCKET_NAME": self.bucket,
            "AWS_S3_REGION_NAME": REGION,
            **self.keys,
        }

    def keys_stored(self) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=self.bucket).get("Contents", [])
        return sorted(entry["Key"] for entry in listed)

    def stop(self) -> None:
        client = self.client()
        for key in self.keys_stored():
            client.delete_object(Bucket=self.bucket, Key=key)
        client.delete_bucket(Bucket=self.bucket)
        if self.popen is not None:
            self.popen.terminate()
            self.popen.wait(timeout=10)
            self._log.close()
