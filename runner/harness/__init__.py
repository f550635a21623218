"""The half of the runner that lives inside the sandbox, and the built-in harnesses.

Mounted read-only into the sandbox as the package ``harness``; ``python -m harness.serve``
is the sandboxed process. A harness module (``trackml``, ``higgsml``) defines two halves:

outside the sandbox, in the worker (trusted):
    PER_EVENT_TIMING: bool
        True: every task is an event, timed one by one, and the first one is run once more
        beforehand as an untimed warm-up. False: tasks are stages, timed as a whole.
    list_tasks(input_dir) -> list[str]
    task_files(task, input_dir) -> dict[str, Path]   the files the sandbox receives for a task
    check_result(task, payload: bytes, meta: dict, input_dir) -> object
        Raises ValueError with a participant-readable message when the output is wrong.
    write_submission(results: dict[str, object], path) -> int   (returns the number of events)

inside the sandbox, in the participant's process (untrusted once the submission is imported):
    load_task(task, files: dict[str, bytes]) -> object   untimed; the files' contents by name
    call(model, loaded) -> object                  timed: the participant's method
    encode(output, loaded, model) -> (bytes, dict) timed: the output as raw bytes (or a
        memoryview of them), plus JSON-able metadata
        Raises ValueError with a participant-readable message when the output is malformed.

Only the standard library, numpy and pandas are imported here.
"""
