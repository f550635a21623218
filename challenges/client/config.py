"""Where the client keeps the site's address and the API token.

``~/.config/fivesigma/config.json`` (or ``$XDG_CONFIG_HOME/fivesigma/config.json``, or the
path in ``$FIVESIGMA_CONFIG``), readable by its owner only. ``$FIVESIGMA_URL`` and
``$FIVESIGMA_TOKEN`` override it, e.g. in a batch job.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path


class NotLoggedIn(Exception):
    """No site address or token is configured."""


@dataclass(frozen=True)
class Config:
    url: str
    token: str


def config_path() -> Path:
    if os.environ.get("FIVESIGMA_CONFIG"):
        return Path(os.environ["FIVESIGMA_CONFIG"])
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "fivesigma" / "config.json"


def load() -> Config:
    """The configured site and token; raise NotLoggedIn when there is none."""
    stored: dict = {}
    path = config_path()
    if path.exists():
        try:
            stored = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise NotLoggedIn(
                f"{path} is not valid JSON ({error}); run `fivesigma login` again."
            ) from None
    url = os.environ.get("FIVESIGMA_URL") or stored.get("url")
    token = os.environ.get("FIVESIGMA_TOKEN") or stored.get("token")
    if not url or not token:
        raise NotLoggedIn("Not logged in: run `fivesigma login --url URL --token TOKEN` first.")
    return Config(url=url.rstrip("/"), token=token)


def save(config: Config) -> Path:
    """Write the config with permissions 0600 (directory 0700); return its path."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as stream:
        json.dump({"url": config.url, "token": config.token}, stream, indent=2)
        stream.write("\n")
    return path
