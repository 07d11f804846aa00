"""Media objects as files under a directory (the embedded default: DATA_DIR/media)."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path, PurePosixPath


class DirectoryMediaStore:
    """Keys are relative paths below the root; writes are atomic (temp file, then rename)."""

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()

    @property
    def root(self) -> Path:
        """The directory holding every object."""
        return self._root

    def _path(self, key: str) -> Path:
        parts = PurePosixPath(key).parts
        if not parts or key.startswith("/") or any(part in ("..", ".") for part in parts):
            raise ValueError(f"invalid media key: {key!r}")
        return self._root.joinpath(*parts)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Write an object (replacing one with the same key)."""
        await asyncio.to_thread(self._write, self._path(key), data)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    async def get(self, key: str) -> bytes:
        """Read an object; FileNotFoundError when it is not there."""
        return await asyncio.to_thread(self._path(key).read_bytes)

    async def exists(self, key: str) -> bool:
        """Whether an object is stored under the key."""
        return await asyncio.to_thread(self._path(key).is_file)

    async def delete(self, key: str) -> None:
        """Remove an object (no error when it is already gone)."""
        await asyncio.to_thread(self._path(key).unlink, True)

    async def usage(self, prefix: str) -> tuple[int, int]:
        """(bytes, objects) of the files whose key starts with the prefix."""
        return await asyncio.to_thread(self._usage, prefix)

    def _usage(self, prefix: str) -> tuple[int, int]:
        # Prefixes end at a directory boundary ("t12/"), so only that subtree is walked.
        directory = self._path(prefix.rstrip("/")) if prefix.strip("/") else self._root
        total = count = 0
        if not directory.is_dir():
            return 0, 0
        for folder, _dirs, files in os.walk(directory):
            for name in files:
                if name.startswith(".tmp-"):
                    continue
                total += (Path(folder) / name).stat().st_size
                count += 1
        return total, count

    async def close(self) -> None:
        """Nothing to release."""
