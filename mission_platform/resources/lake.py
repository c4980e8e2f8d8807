"""The data lake: a local folder or S3, behind one resource.

Retries (one layer): every S3 call goes through ``with_retries`` (``MISSION_RETRY_ATTEMPTS``
attempts, backoff 0.5 s, 1 s, 2 s, ...); the boto3 client itself makes a single attempt
(``total_max_attempts=1``) with a 10 s connect and 60 s read timeout, so one call takes at most
attempts x 70 s plus the backoff, and never retries twice over. A local folder is not retried: its
faults (a full disk, a missing mount) do not pass by waiting.
"""

from __future__ import annotations

import io
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, TypeVar
from urllib.parse import urlsplit

import dagster as dg
import pandas as pd
from pydantic import Field, PrivateAttr

from mission_platform.retry import with_retries

T = TypeVar("T")


PARQUET_ROW_GROUP_ROWS = 200_000
_FOOTER_GUESS = 64 * 1024   # bytes: the footer of a frame of a few dozen columns is a few KiB


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """The Parquet file of ``frame``, as the lake stores frames (no index).

    Written a row group at a time: only that group is ever converted to Arrow, not a second copy of the
    whole frame (250 MB less at the write of a million parsed missions). The frame's dtypes round-trip as
    with ``to_parquet``.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    schema = pa.Schema.from_pandas(frame.iloc[:0], preserve_index=False)
    with pq.ParquetWriter(buffer, schema) as writer:
        for start in range(0, max(len(frame), 1), PARQUET_ROW_GROUP_ROWS):
            part = frame.iloc[start:start + PARQUET_ROW_GROUP_ROWS]
            writer.write_table(pa.Table.from_pandas(part, schema=schema, preserve_index=False))
    return buffer.getvalue()


@dataclass(frozen=True)
class LakeObject:
    key: str       # path relative to the lake root, '/'-separated
    size: int
    version: str   # changes whenever the content may have changed (ETag on S3, size+mtime locally)


class LakeError(RuntimeError):
    """A lake object is missing, unreadable or unwritable; the message names it and why."""


def _missing(exc) -> bool:
    return exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}


class LakeResource(dg.ConfigurableResource):
    """The data lake: ``./data/lake`` by default, or ``s3://bucket/prefix``.

    Layout (see ARCHITECTURE.md): ``raw/notion/<export_id>/`` (what people drop),
    ``parsed/<export_id>/`` (private typed frames), ``anonymised/<export_id>/``
    (the shareable data set).
    """

    url: str = Field(default="./data/lake", description="MISSION_LAKE_URL: a folder or s3://bucket/prefix")
    s3_endpoint_url: Optional[str] = Field(default=None, description="MISSION_S3_ENDPOINT_URL (unset: AWS)")
    s3_region: Optional[str] = Field(default=None, description="AWS_REGION or AWS_DEFAULT_REGION")

    _client = PrivateAttr(default=None)

    # -- addressing -------------------------------------------------------------------
    @property
    def is_s3(self) -> bool:
        return self.url.startswith("s3://")

    def _bucket_prefix(self) -> tuple[str, str]:
        parts = urlsplit(self.url)
        return parts.netloc, parts.path.strip("/")

    def _s3_key(self, key: str) -> str:
        prefix = self._bucket_prefix()[1]
        return f"{prefix}/{key}" if prefix else key

    def _local_root(self) -> Path:
        return Path(self.url.removeprefix("file://")).expanduser().resolve()

    def location(self, key: str = "") -> str:
        """A human-readable address of ``key``, for messages."""
        if self.is_s3:
            bucket, _ = self._bucket_prefix()
            return f"s3://{bucket}/{self._s3_key(key)}"
        return str(self._local_root() / key)

    def _s3(self):
        if self._client is None:
            from dagster_aws.s3 import S3Resource

            from mission_platform import settings

            # dagster-aws's client, making one attempt per call (no retry of its own): the retries are ours (one layer).
            # Unset fields fall back to the environment, so a lake built from a URL alone reaches the same S3.
            self._client = S3Resource(
                endpoint_url=self.s3_endpoint_url or settings.s3_endpoint_url(),
                region_name=self.s3_region or settings.s3_region(),
                max_attempts=0,   # botocore: retries after the first attempt
            ).get_client()
        return self._client

    def _call_s3(self, fn: Callable[[], T], what: str, key: str) -> T:
        """``fn`` with retries; a refusal that waiting will not cure (access denied, no such bucket) is a LakeError."""
        from botocore.exceptions import ClientError

        try:
            return with_retries(fn, f"the lake: {what} {self.location(key)}")
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise LakeError(f"the lake: {what} {self.location(key)} was refused: "
                            f"{error.get('Code', '?')}: {error.get('Message', exc)}") from exc

    def _local(self, fn: Callable[[], T], what: str, path: Path) -> T:
        try:
            return fn()
        except OSError as exc:
            raise LakeError(f"the lake: {what} {path} failed: {exc.strerror or exc}") from exc

    # -- operations -------------------------------------------------------------------
    def list(self, prefix: str) -> list[LakeObject]:
        """Every object under ``prefix`` (recursively), sorted by key."""
        prefix = prefix.strip("/")
        if self.is_s3:
            return self._call_s3(lambda: self._s3_list(prefix), "listing", prefix)
        root = self._local_root()
        base = root / prefix
        if not base.exists():
            return []

        def listing() -> list[LakeObject]:
            out = []
            for path in sorted(p for p in base.rglob("*") if p.is_file()):
                stat = path.stat()
                out.append(LakeObject(path.relative_to(root).as_posix(), stat.st_size, f"{stat.st_size}-{stat.st_mtime_ns}"))
            return out

        return self._local(listing, "listing", base)

    def _s3_list(self, prefix: str) -> list[LakeObject]:
        bucket, root = self._bucket_prefix()
        full = self._s3_key(prefix) + "/" if prefix else (root + "/" if root else "")
        strip = len(root) + 1 if root else 0
        out = []
        for page in self._s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=full):
            for item in page.get("Contents", []):
                out.append(LakeObject(item["Key"][strip:], int(item["Size"]), item["ETag"].strip('"')))
        return sorted(out, key=lambda o: o.key)

    def exists(self, key: str) -> bool:
        if self.is_s3:
            from botocore.exceptions import ClientError

            bucket, _ = self._bucket_prefix()

            def head() -> bool:
                try:
                    self._s3().head_object(Bucket=bucket, Key=self._s3_key(key))
                    return True
                except ClientError as exc:
                    if _missing(exc):
                        return False
                    raise

            return self._call_s3(head, "looking up", key)
        return (self._local_root() / key).is_file()

    def read_bytes(self, key: str) -> bytes:
        return self._read(key)

    def read_tail(self, key: str, size: int) -> bytes:
        """The last ``size`` bytes of the object at ``key`` (all of it when it is shorter): one ranged read."""
        return self._read(key, tail=size)

    def _read(self, key: str, tail: int | None = None) -> bytes:
        if self.is_s3:
            from botocore.exceptions import ClientError

            bucket, _ = self._bucket_prefix()
            ranged = {} if tail is None else {"Range": f"bytes=-{tail}"}

            def get() -> bytes:
                try:
                    return self._s3().get_object(Bucket=bucket, Key=self._s3_key(key), **ranged)["Body"].read()
                except ClientError as exc:
                    if _missing(exc):
                        raise LakeError(f"the lake: {self.location(key)} does not exist") from None
                    raise

            return self._call_s3(get, "reading", key)
        path = self._local_root() / key
        if not path.is_file():
            raise LakeError(f"the lake: {path} does not exist")

        def read() -> bytes:
            with path.open("rb") as handle:
                if tail is not None:
                    handle.seek(max(0, handle.seek(0, io.SEEK_END) - tail))
                return handle.read()

        return self._local(read, "reading", path)

    def write_bytes(self, key: str, data: bytes) -> None:
        """Write ``data`` at ``key``; readers see the old or the new object, never a part."""
        if self.is_s3:
            bucket, _ = self._bucket_prefix()
            self._call_s3(lambda: self._s3().put_object(Bucket=bucket, Key=self._s3_key(key), Body=data), "writing", key)
            return
        path = self._local_root() / key
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")

        def write() -> None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp.write_bytes(data)
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)

        self._local(write, "writing", path)

    def delete(self, key: str) -> None:
        if self.is_s3:
            bucket, _ = self._bucket_prefix()
            self._call_s3(lambda: self._s3().delete_object(Bucket=bucket, Key=self._s3_key(key)), "deleting", key)
            return
        path = self._local_root() / key
        self._local(lambda: path.unlink(missing_ok=True), "deleting", path)

    def delete_earlier_versions(self, prefix: str) -> int:
        """On a versioned S3 bucket, delete every version under ``prefix`` but the current ones, and delete markers.

        What an erasure rewrites or retention deleted must not survive as an
        older version. A local folder and an unversioned bucket keep none: 0.
        Returns the versions deleted.
        """
        if not self.is_s3:
            return 0
        bucket, _ = self._bucket_prefix()
        full = self._s3_key(prefix.strip("/"))

        def purge() -> int:
            earlier = []
            for page in self._s3().get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=full):
                earlier += [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", [])
                            if not v["IsLatest"] and v["VersionId"] != "null"]
                # A marker hides the versions of a deleted object: with them gone, it hides nothing.
                earlier += [{"Key": m["Key"], "VersionId": m["VersionId"]} for m in page.get("DeleteMarkers", [])]
            for start in range(0, len(earlier), 1000):
                self._s3().delete_objects(Bucket=bucket, Delete={"Objects": earlier[start: start + 1000], "Quiet": True})
            return len(earlier)

        return self._call_s3(purge, "deleting the earlier versions under", prefix)

    def read_parquet(self, key: str, *, arrow_strings: bool = False) -> pd.DataFrame:
        """The frame stored at ``key``. ``arrow_strings``: string columns stay in Arrow memory (``string[pyarrow]``,
        which compares equal to ``"string"``) instead of one Python object per cell: a third of the memory
        (1M parsed missions: 408 MB instead of 1.3 GB), for readers that take their strings as Arrow arrays."""
        if not arrow_strings:
            return pd.read_parquet(io.BytesIO(self.read_bytes(key)))
        import pyarrow as pa
        import pyarrow.parquet as pq

        arrow = pd.StringDtype("pyarrow")
        table = pq.read_table(io.BytesIO(self.read_bytes(key)))
        return table.to_pandas(types_mapper={pa.string(): arrow, pa.large_string(): arrow}.get)

    def read_parquet_row_count(self, key: str) -> int:
        """Rows in a Parquet object, from its footer alone: the data is neither downloaded nor decoded.

        A Parquet file ends with its metadata, the metadata's length (4 bytes) and ``PAR1``;
        one ranged read of the last 64 KiB holds a footer that small, a second one a larger footer.
        """
        import pyarrow.parquet as pq

        tail = self.read_tail(key, _FOOTER_GUESS)
        if len(tail) < 12 or tail[-4:] != b"PAR1":
            raise LakeError(f"the lake: {self.location(key)} is not a Parquet file (no footer)")
        footer = int.from_bytes(tail[-8:-4], "little") + 8
        if footer > len(tail):
            tail = self.read_tail(key, footer)
            if footer > len(tail):
                raise LakeError(f"the lake: {self.location(key)} is not a whole Parquet file (its footer claims "
                                f"{footer:,} bytes of {len(tail):,})")
        # The footer alone, behind the leading magic bytes, reads as a Parquet file without row groups' data.
        return pq.read_metadata(io.BytesIO(b"PAR1" + tail[-footer:])).num_rows

    def write_parquet(self, key: str, frame: pd.DataFrame) -> None:
        self.write_bytes(key, parquet_bytes(frame))
