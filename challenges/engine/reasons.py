"""What a participant reads when their submission cannot go on."""

from __future__ import annotations

import errno


class Refused(Exception):
    """An action the engine refuses; the message says why, for the person who asked (both
    faces answer 400 with it, or show it on the page). ``field`` names what was wrong in
    the request, when one thing was."""

    field = "detail"


class ScoringFailure(Exception):
    """A reason, for the participant, why their submission could not be scored."""


# How a failure caused by an organiser's program starts (runner.programs.ProgramFailed):
# re-scoring runs the program again for these, as for finished submissions.
PROGRAM_FAILED = ("scoring program failed: ", "ingestion program failed: ")


def readable(message: str, line_chars: int = 300, total_chars: int = 2000) -> str:
    """A message short enough for a person: long lines cut (a 60 MB cell quoted back by a
    validator stays out of the page), at most ``total_chars`` characters in all."""
    lines = [
        line if len(line) <= line_chars else line[:line_chars] + " [...]"
        for line in message.splitlines()
    ]
    text = "\n".join(lines)
    return text if len(text) <= total_chars else text[:total_chars] + " [...]"


def failure_reason(error: Exception) -> str:
    """What the participant reads when handling their submission raised ``error``."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            "The platform ran out of disk space while handling this submission; this is not a "
            "fault of the submission, send it again later. The organisers have been told."
        )
    return f"The scorer failed on this submission ({type(error).__name__}: {error})."
