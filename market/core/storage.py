"""Where uploaded documents live: one interface, the instance folder by default, S3-compatible
object storage when several app servers must see the same files.

Keys are relative paths such as `deals/12/<random>.pdf`; the database records them, never a
machine's path. `UPLOAD_STORAGE=local` (the embedded default) keeps them under
<instance>/uploads/; `UPLOAD_STORAGE=s3` puts them in `S3_BUCKET` at `S3_ENDPOINT_URL` (any
S3-compatible store; the tests run an S3 server over HTTP). A store that cannot be reached raises
StorageUnavailable, which pages answer with 503; a missing object raises FileNotFoundError.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import IO, Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from flask import Flask, current_app

# What an S3-compatible store answers to a request signed with a key pair it does not accept.
REFUSED_CREDENTIALS = ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken")


class StorageUnavailable(RuntimeError):
    """The object store could not be reached, failed on its side or refused the app's credentials; worth retrying later."""


class Storage(Protocol):
    def save(self, key: str, data: IO[bytes], *, content_type: str) -> None: ...

    def open(self, key: str) -> IO[bytes]: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...


def _checked(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in key:
        raise FileNotFoundError(key)  # a key that would leave the store's folder names nothing in it
    return key


class LocalStorage:
    """Files under one folder of this machine (the embedded default; one app server)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        root = self.root.resolve()
        path = (root / _checked(key)).resolve()
        if root not in path.parents:
            raise FileNotFoundError(key)
        return path

    def save(self, key: str, data: IO[bytes], *, content_type: str) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(path, "xb") as out:  # a random key: an existing file is never overwritten
                shutil.copyfileobj(data, out)
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    def open(self, key: str) -> IO[bytes]:
        path = self.path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        return open(path, "rb")

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        try:
            return self.path(key).is_file()
        except FileNotFoundError:
            return False


class S3Storage:
    """Objects in one bucket of an S3-compatible store (several app servers)."""

    def __init__(self, bucket: str, *, endpoint_url: str | None = None, region: str | None = None,
                 access_key: str | None = None, secret_key: str | None = None, prefix: str = "",
                 timeout: float = 10.0) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.client = boto3.client(
            "s3", endpoint_url=endpoint_url, region_name=region or "us-east-1",
            aws_access_key_id=access_key, aws_secret_access_key=secret_key,
            config=Config(connect_timeout=min(timeout, 3.0), read_timeout=timeout,
                          retries={"max_attempts": 2, "mode": "standard"}, s3={"addressing_style": "path"}))

    def __repr__(self) -> str:  # never the credentials
        return f"S3Storage({self.bucket!r})"

    def _call(self, name: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, name)(Bucket=self.bucket, **kwargs)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if code in ("NoSuchKey", "404", "NotFound") or status == 404:
                raise FileNotFoundError(kwargs.get("Key", "")) from err
            if status >= 500 or status == 0:
                raise StorageUnavailable(f"object storage failed on {name}: {code or status}") from err
            if code in REFUSED_CREDENTIALS or status == 403:
                # A wrong, revoked or expired key: the operator's to fix (the log says what), and to
                # the user the same as an outage — nothing is written, nothing is shown broken.
                raise StorageUnavailable(f"object storage refused the credentials on {name}: {code or status}") from err
            raise
        except BotoCoreError as err:  # connection refused, timeouts, DNS
            raise StorageUnavailable(f"object storage unreachable on {name}: {err}") from err

    def save(self, key: str, data: IO[bytes], *, content_type: str) -> None:
        self._call("put_object", Key=self.prefix + _checked(key), Body=data, ContentType=content_type)

    def open(self, key: str) -> IO[bytes]:
        return self._call("get_object", Key=self.prefix + _checked(key))["Body"]

    def delete(self, key: str) -> None:
        self._call("delete_object", Key=self.prefix + _checked(key))

    def exists(self, key: str) -> bool:
        try:
            self._call("head_object", Key=self.prefix + _checked(key))
        except FileNotFoundError:
            return False
        return True

    def ensure_bucket(self) -> None:
        """Create the bucket unless it exists (tests and first deployment)."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self._call("create_bucket")
        except BotoCoreError as err:
            raise StorageUnavailable(f"object storage unreachable: {err}") from err


def storage_from_config(app: Flask) -> Storage:
    kind = app.config.get("UPLOAD_STORAGE", "local")
    if kind == "local":
        return LocalStorage(Path(app.instance_path) / "uploads")
    if kind == "s3" and app.config.get("S3_BUCKET"):
        return S3Storage(app.config["S3_BUCKET"], endpoint_url=app.config.get("S3_ENDPOINT_URL"),
                         region=app.config.get("S3_REGION"), access_key=app.config.get("S3_ACCESS_KEY_ID"),
                         secret_key=app.config.get("S3_SECRET_ACCESS_KEY"), prefix=app.config.get("S3_PREFIX", ""))
    raise RuntimeError(f"UPLOAD_STORAGE {kind!r}: the stores are 'local' and 's3' (with S3_BUCKET)")


def init_storage(app: Flask) -> None:
    app.extensions["storage"] = storage_from_config(app)


def storage() -> Storage:
    return current_app.extensions["storage"]
