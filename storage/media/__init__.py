"""Media stores (a directory under DATA_DIR, or S3) and the image fetcher."""

from adapters.media_fetch import HttpImageFetcher
from storage.media.directory import DirectoryMediaStore
from storage.media.s3 import S3MediaStore

__all__ = ["DirectoryMediaStore", "HttpImageFetcher", "S3MediaStore"]
