"""Media stores: a directory under DATA_DIR, or S3 (the image fetcher is in adapters/)."""

from typing import Any

from storage.media.directory import DirectoryMediaStore

__all__ = ["DirectoryMediaStore", "S3MediaStore"]


def __getattr__(name: str) -> Any:
    """S3MediaStore on first use: boto3 is the optional 's3' extra."""
    if name == "S3MediaStore":
        from storage.media.s3 import S3MediaStore

        return S3MediaStore
    raise AttributeError(name)
