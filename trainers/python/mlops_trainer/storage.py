"""Reads the splits and writes the model through S3; the credentials come from this process's environment."""

import os
from urllib.parse import urlparse

import pyarrow.parquet as pq
from pyarrow import fs


def s3_filesystem(endpoint: str) -> fs.S3FileSystem:
    access_key = os.environ.get("MLOPS_S3_ACCESS_KEY")
    secret_key = os.environ.get("MLOPS_S3_SECRET_KEY")
    if not access_key or not secret_key:
        raise RuntimeError("MLOPS_S3_ACCESS_KEY and MLOPS_S3_SECRET_KEY must be set in the trainer's environment")
    url = urlparse(endpoint)
    return fs.S3FileSystem(
        access_key=access_key,
        secret_key=secret_key,
        endpoint_override=url.netloc,
        scheme=url.scheme or "http",
        region=os.environ.get("MLOPS_S3_REGION", "us-east-1"),
    )


def object_path(uri: str, bucket: str) -> str:
    """s3://bucket/key → bucket/key, refusing a URI outside the bucket the trainer was given."""
    url = urlparse(uri)
    if url.scheme != "s3" or url.netloc != bucket:
        raise ValueError(f"{uri} is not an s3:// URI in bucket {bucket}")
    return f"{url.netloc}/{url.path.lstrip('/')}"


def read_parquet(filesystem: fs.S3FileSystem, uri: str, bucket: str):
    return pq.read_table(object_path(uri, bucket), filesystem=filesystem).to_pandas()


def write_bytes(filesystem: fs.S3FileSystem, uri: str, bucket: str, data: bytes) -> None:
    with filesystem.open_output_stream(object_path(uri, bucket)) as out:
        out.write(data)
