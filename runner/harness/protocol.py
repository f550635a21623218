"""Frames exchanged over the pipes between the runner and the harness in the sandbox.

A frame is a little-endian header ``(header_bytes: u32, payload_bytes: u32)`` followed by a
UTF-8 JSON object and a raw payload (for TrackML the track ids as little-endian int64, for
HiggsML the scores as little-endian float64). This module is imported on both sides: by the
harness inside the sandbox (as ``harness.protocol``) and by the runner outside (as
``runner.harness.protocol``), so it uses only the standard library.
"""

from __future__ import annotations

import json
import os
import struct

PREFIX = struct.Struct("<II")
MAX_HEADER_BYTES = 1 << 20
MAX_PAYLOAD_BYTES = 1 << 31


class ProtocolError(Exception):
    """The other side sent something that is not a frame."""


def encode_head(header: dict, payload_bytes: int) -> bytes:
    """The length prefix and the JSON header of a frame carrying payload_bytes of payload."""
    text = json.dumps(header, separators=(",", ":")).encode()
    return PREFIX.pack(len(text), payload_bytes) + text


def encode_frame(header: dict, payload: bytes = b"") -> bytes:
    """One whole frame: the length prefix, the JSON header, then the payload."""
    return encode_head(header, len(payload)) + payload


def decode_prefix(prefix: bytes | bytearray) -> tuple[int, int]:
    """Header and payload sizes (bytes) from the 8-byte prefix; refuses absurd sizes."""
    header_bytes, payload_bytes = PREFIX.unpack(prefix)
    if header_bytes > MAX_HEADER_BYTES or payload_bytes > MAX_PAYLOAD_BYTES:
        raise ProtocolError(f"frame sizes out of range ({header_bytes}, {payload_bytes} bytes)")
    return header_bytes, payload_bytes


def decode_header(text: bytes | bytearray) -> dict:
    try:
        header = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(f"frame header is not JSON ({exc})") from None
    if not isinstance(header, dict):
        raise ProtocolError("frame header is not a JSON object")
    return header


def write_frame(fd: int, header: dict, payload: bytes | bytearray | memoryview = b"") -> None:
    """Write one frame to a blocking file descriptor (the payload is not copied)."""
    body = memoryview(payload).cast("B")
    parts = [memoryview(encode_head(header, len(body))), body]
    while parts:
        written = os.writev(fd, parts)
        while parts and written >= len(parts[0]):
            written -= len(parts.pop(0))
        if parts:
            parts[0] = parts[0][written:]


def read_exactly(fd: int, n: int) -> bytearray:
    """Read n bytes from a blocking file descriptor; EOFError when the pipe closes first."""
    buffer = bytearray(n)
    view = memoryview(buffer)
    got = 0
    while got < n:
        k = os.readv(fd, [view[got:]])
        if k == 0:
            raise EOFError("pipe closed")
        got += k
    return buffer


def read_frame(fd: int) -> tuple[dict, bytearray]:
    """Read one frame from a blocking file descriptor: (header, payload)."""
    header_bytes, payload_bytes = decode_prefix(read_exactly(fd, PREFIX.size))
    header = decode_header(read_exactly(fd, header_bytes))
    return header, read_exactly(fd, payload_bytes)
