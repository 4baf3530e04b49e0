"""Objects in an S3 bucket under a prefix, through boto3 (calls run in a worker thread).

Works with AWS and any S3-compatible endpoint (MinIO, Ceph, R2) via `endpoint_url`.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from stockflow.adapters.objectstore.keys import check_key


class S3ObjectStore:
    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _get(self, key: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None

    def _list(self, prefix: str) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix)
        keys = [o["Key"][len(self.prefix):] for page in pages for o in page.get("Contents", [])]
        return sorted(keys)

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self.client.put_object, Bucket=self.bucket,
                                Key=self._key(key), Body=bytes(data))

    async def get(self, key: str) -> bytes | None:
        return await asyncio.to_thread(self._get, key)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=self._key(key))

    async def list(self, prefix: str = "") -> list[str]:
        return await asyncio.to_thread(self._list, prefix)


def make_object_store(url: str, *, endpoint_url: str | None = None, region: str = "us-east-1",
                      access_key_id: str | None = None, secret_access_key: str | None = None,
                      **_: object) -> S3ObjectStore:
    """s3://bucket/prefix; credentials fall back to boto3's usual chain when not given."""
    import boto3

    parts = urlsplit(url)
    client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region,
                          aws_access_key_id=access_key_id,
                          aws_secret_access_key=secret_access_key)
    return S3ObjectStore(client, parts.netloc, parts.path)
