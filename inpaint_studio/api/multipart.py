"""A streaming multipart/form-data body: text fields plus one file read from disk in blocks.

The body's length is known up front (so it is sent with a Content-Length), the file is never held
in memory, progress is reported in bytes as the transport reads, and a cancel request stops the
upload at the next block (the server then sees a broken request and creates no job)."""

from __future__ import annotations

import mimetypes
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

from inpaint_studio.core.cancel import NEVER, CancelToken

BLOCK = 64 * 1024


def _quote(value: str) -> str:
    # RFC 7578 §4.2: field and file names are quoted strings; escape what would end them.
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class MultipartBody:
    """A file-like, iterable body (what requests streams) for `fields` and an optional file."""

    def __init__(self, fields: list[tuple[str, str]], file_field: str | None = None,
                 file_path: str | os.PathLike[str] | None = None, *,
                 progress: Callable[[int, int], None] | None = None,
                 token: CancelToken = NEVER) -> None:
        self.boundary = "inpaint-studio-" + secrets.token_hex(16)
        self._progress = progress
        self._token = token
        self._parts: list[bytes | Path] = []
        for name, value in fields:
            self._parts.append(
                f"--{self.boundary}\r\nContent-Disposition: form-data; name=\"{_quote(name)}\""
                f"\r\n\r\n".encode() + value.encode("utf-8") + b"\r\n")
        if file_path is not None and file_field:
            path = Path(file_path)
            ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            self._parts.append(
                f"--{self.boundary}\r\nContent-Disposition: form-data; "
                f"name=\"{_quote(file_field)}\"; filename=\"{_quote(path.name)}\"\r\n"
                f"Content-Type: {ctype}\r\n\r\n".encode())
            self._parts.append(path)
            self._parts.append(b"\r\n")
        self._parts.append(f"--{self.boundary}--\r\n".encode())
        self.length = sum(p.stat().st_size if isinstance(p, Path) else len(p)
                          for p in self._parts)
        self.sent = 0
        self._blocks = self._generate()
        self._pending = b""

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return self.length

    def _generate(self) -> Iterator[bytes]:
        for part in self._parts:
            if isinstance(part, bytes):
                yield part
                continue
            with open(part, "rb") as fh:
                while True:
                    self._token.raise_if_cancelled()
                    block = fh.read(BLOCK)
                    if not block:
                        break
                    yield block

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes (all that is left for -1); b"" at the end."""
        want = BLOCK if size is None or size < 0 else size
        out = bytearray(self._pending)
        while len(out) < want:
            block = next(self._blocks, None)
            if block is None:
                break
            out += block
        data, self._pending = bytes(out[:want]), bytes(out[want:])
        self._report(len(data))
        return data

    def __iter__(self) -> Iterator[bytes]:
        while True:
            data = self.read(BLOCK)
            if not data:
                return
            yield data

    def _report(self, n: int) -> None:
        self.sent += n
        if n and self._progress is not None:
            self._progress(self.sent, self.length)
