"""Reading a bundle's files safely: its YAML manifests and its zips.

Both are cheap to refuse. A manifest is at most MAX_MANIFEST_BYTES (PyYAML reads about 300 KB
a second, so a 28 MB one once took 8 minutes) and may use anchors and aliases only while the
document they expand to stays under MAX_EXPANDED_NODES (an alias bomb of nine levels expands
a 500-byte file to 400 million values). A zip is checked member by member before anything is
written, its declared sizes are summed, and the bytes actually written are counted against
the same cap, so a member that lies about its size stops at the cap.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import yaml

from fivesigma.challenges.engine.bundles.problems import BundleError

MAX_MANIFEST_BYTES = 256 * 1024
MAX_EXPANDED_NODES = 100_000
# What a bundle may unpack to: from the command line, and through the site's upload page
# (where it is written inside the web request, so the cap bounds its time: ~1 s a GB).
MAX_BUNDLE_BYTES = 20 * 1024**3
MAX_UPLOADED_BUNDLE_BYTES = 512 * 1024**2
MANIFESTS = ("challenge.yaml", "competition.yaml")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path, name: str | None = None, max_bytes: int = MAX_MANIFEST_BYTES):
    """The YAML document in ``path``; raise BundleError naming ``name`` (the file's name in
    the bundle) when it is too large, not YAML, or expands too far through aliases."""
    name = name or path.name
    size = path.stat().st_size
    if size > max_bytes:
        raise BundleError(
            [f"{name}: is {size / 1024:.0f} KiB; a manifest is at most {max_bytes // 1024} KiB"]
        )
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise BundleError(
            [f"{name}: not valid YAML (not UTF-8 text: {error.reason} at byte {error.start})"]
        ) from None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        expanded = _expanded_size(node, {}, set())
        if expanded > MAX_EXPANDED_NODES:
            raise BundleError(
                [
                    f"{name}: its aliases expand to more than {MAX_EXPANDED_NODES:,} values; "
                    "write the values out or use fewer aliases"
                ]
            )
        return loader.construct_document(node)
    except _SelfReference:
        raise BundleError([f"{name}: an alias is used inside the value it names"]) from None
    except RecursionError:
        raise BundleError([f"{name}: nested too deeply"]) from None
    except yaml.YAMLError as error:
        if "maximum nesting depth" in str(error):  # libyaml's own depth limit
            raise BundleError([f"{name}: nested too deeply"]) from None
        raise BundleError([f"{name}: not valid YAML ({error})"]) from None
    except ValueError as error:  # a date that does not exist, e.g. 2026-13-01
        raise BundleError([f"{name}: a value is not valid ({error})"]) from None
    finally:
        loader.dispose()


class _SelfReference(Exception):
    pass


def _expanded_size(node: yaml.Node, sizes: dict[int, int], open_nodes: set[int]) -> int:
    """How many values ``node`` stands for once every alias is written out (an alias counts
    as many times as it is used); an alias inside the node it names is refused."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_nodes:
        raise _SelfReference
    open_nodes.add(key)
    size = 1
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            size += _expanded_size(item, sizes, open_nodes)
            if size > MAX_EXPANDED_NODES:
                break
    elif isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            size += _expanded_size(key_node, sizes, open_nodes)
            size += _expanded_size(value_node, sizes, open_nodes)
            if size > MAX_EXPANDED_NODES:
                break
    open_nodes.discard(key)
    sizes[key] = size
    return size


def unpack_zip(archive: Path, target: Path, max_bytes: int = MAX_BUNDLE_BYTES) -> Path:
    """Unpack a bundle zip safely; return the folder holding its manifest (the zip's top, or
    its one top-level folder)."""
    unpack_archive(archive, target, max_bytes, archive.name)
    if any((target / manifest).is_file() for manifest in MANIFESTS):
        return target
    folders = sorted(
        p for p in target.iterdir() if any((p / m).is_file() for m in MANIFESTS) and p.is_dir()
    )
    if len(folders) > 1:
        raise BundleError(
            [
                f"{archive.name}: holds {len(folders)} bundles ("
                + ", ".join(p.name + "/" for p in folders)
                + "); a zip holds one"
            ]
        )
    if folders:
        return folders[0]
    raise BundleError([f"{archive.name}: no challenge.yaml at the top of the zip"])


def unpack_archive(archive: Path, target: Path, max_bytes: int, name: str) -> int:
    """Unpack ``archive`` into ``target`` (no absolute or ``..`` paths, no links; a damaged
    member, a name used twice or a name too long is refused); the bytes written. The sizes
    the members declare are summed first, and what is written is counted against
    ``max_bytes`` as it streams, so a zip bomb stops at the cap."""
    from fivesigma.runner.unpack import (
        DAMAGED_ZIP,
        SubmissionRejected,
        extract_member,
        member_parts,
    )

    try:
        zf = zipfile.ZipFile(archive)
    except DAMAGED_ZIP as error:
        raise BundleError([f"{name}: not a zip file"]) from error
    problems, declared, members = [], 0, []
    with zf:
        for info in zf.infolist():
            try:
                members.append((info, member_parts(info)))
            except SubmissionRejected as rejected:
                problems.append(f"{name}: {rejected}")
            declared += info.file_size
        if declared > max_bytes:
            problems.append(
                f"{name}: unpacks to {_size(declared)}, over the {_size(max_bytes)} limit"
            )
        if problems:
            raise BundleError(problems)
        target.mkdir(parents=True, exist_ok=True)
        written = 0
        try:
            for info, parts in members:
                written = extract_member(zf, info, target.joinpath(*parts), written, max_bytes)
        except SubmissionRejected as rejected:
            message = str(rejected)
            if "unpacks to more than" in message:
                message = (
                    f"unpacks to more than the {_size(max_bytes)} limit "
                    "(its entries declare smaller sizes than they hold)"
                )
            raise BundleError([f"{name}: {message}"]) from None
    return written


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1024**3:.1f} GiB" if n_bytes >= 1024**3 else f"{n_bytes / 1024**2:.0f} MiB"
