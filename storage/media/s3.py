"""Media objects in an S3 bucket (AWS, MinIO or any S3-compatible server) through boto3.

boto3 is synchronous: every call runs in a worker thread so the event loop never blocks.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from core.extras import require

if TYPE_CHECKING:
    from botocore.exceptions import ClientError


class S3MediaStore:
    """Keys are object keys in one bucket; usage sums a prefix with paginated list_objects_v2."""

    def __init__(self, client: Any, bucket: str, *, page_size: int = 1000) -> None:
        self._client = client
        self._bucket = bucket
        self._client_error: type[ClientError] = require("botocore.exceptions", "s3").ClientError
        self._page_size = page_size  # list_objects_v2 returns at most 1000 keys a page

    @classmethod
    def from_settings(
        cls,
        bucket: str,
        *,
        endpoint_url: str | None,
        region: str | None,
        access_key_id: str | None,
        secret_access_key: str | None,
    ) -> S3MediaStore:
        """A store with its own boto3 client (credentials fall back to boto3's usual chain)."""
        boto3 = require("boto3", "s3")
        config = require("botocore.config", "s3").Config
        client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            config=config(retries={"max_attempts": 3, "mode": "standard"}),
        )
        return cls(client, bucket)

    @property
    def bucket(self) -> str:
        """The bucket holding every object."""
        return self._bucket

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Upload an object."""
        await asyncio.to_thread(
            self._client.put_object,
            Bucket=self._bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
        )

    async def get(self, key: str) -> bytes:
        """Download an object; FileNotFoundError when it is not there."""

        def read() -> bytes:
            try:
                response = self._client.get_object(Bucket=self._bucket, Key=key)
            except self._client_error as error:
                if _missing(error):
                    raise FileNotFoundError(key) from error
                raise
            return bytes(response["Body"].read())

        return await asyncio.to_thread(read)

    async def exists(self, key: str) -> bool:
        """Whether an object is stored under the key (HEAD)."""

        def head() -> bool:
            try:
                self._client.head_object(Bucket=self._bucket, Key=key)
            except self._client_error as error:
                if _missing(error):
                    return False
                raise
            return True

        return await asyncio.to_thread(head)

    async def delete(self, key: str) -> None:
        """Remove an object."""
        await asyncio.to_thread(self._client.delete_object, Bucket=self._bucket, Key=key)

    async def usage(self, prefix: str) -> tuple[int, int]:
        """(bytes, objects) under a prefix, over every page of list_objects_v2."""

        def total() -> tuple[int, int]:
            size = count = 0
            paginator = self._client.get_paginator("list_objects_v2")
            pages = paginator.paginate(
                Bucket=self._bucket, Prefix=prefix, PaginationConfig={"PageSize": self._page_size}
            )
            for page in pages:
                for item in page.get("Contents", []):
                    size += int(item["Size"])
                    count += 1
            return size, count

        return await asyncio.to_thread(total)

    async def close(self) -> None:
        """Close the client's connection pool."""
        close = getattr(self._client, "close", None)
        if close is not None:
            await asyncio.to_thread(close)


def _missing(error: ClientError) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NotFound"}
