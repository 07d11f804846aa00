"""Media stores: a directory under DATA_DIR, or S3 (the image fetcher is in adapters/)."""

from storage.media.directory import DirectoryMediaStore
from storage.media.s3 import S3MediaStore

__all__ = ["DirectoryMediaStore", "S3MediaStore"]
