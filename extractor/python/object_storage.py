"""Object storage: files copied to and from Google Cloud Storage and Amazon S3.

A pipeline that downloads a file, converts it and uploads it has a flow from the local file to the
object (``gs://bucket/name``, ``s3://bucket/key``) and back for a download; the file's columns are
not read, so every column flows (``*``).

- ``google.cloud.storage``: ``Client().bucket(b)`` / ``get_bucket(b)``, ``bucket.blob(name)``,
  ``Blob(name, bucket)``; ``blob.upload_from_filename(f)``, ``blob.upload_from_file(open(f, "rb"))``
  and ``blob.download_to_filename(f)``.
- ``boto3``: ``client("s3").upload_file(f, b, key)`` / ``download_file(b, key, f)``,
  ``resource("s3").Bucket(b).upload_file(f, key)`` / ``download_file(key, f)``.
"""

from __future__ import annotations

from ..model import DatasetKind
from .interpreter import REGISTRY, Args, Interpreter, Site
from .objects import FileHandle, Obj
from .values import NONE, Hole, Str, Unknown, Value

_GCS_CLIENT = "google.cloud.storage.Client"


@REGISTRY.function(_GCS_CLIENT, "google.cloud.storage.client.Client", "boto3.client", "boto3.resource",
                   "boto3.session.Session.client", "google.cloud.storage.Blob")  # fmt: skip
def _constructors(interp: Interpreter, site: Site) -> Value | None:
    if site.name == "google.cloud.storage.Blob":
        return _blob(site.args.get(0, "name"), site.args.get(1, "bucket"))
    if site.name.startswith("boto3."):
        service = site.args.get(0, "service_name")
        if isinstance(service, Str) and service.exact == "s3":
            return Obj("boto3.s3", "s3")
        return None
    return Obj(_GCS_CLIENT, "gcs")


def _bucket(scheme: str, name: Value | None) -> Obj:
    bucket = Obj(f"{scheme}.bucket", f"{scheme}_bucket")
    bucket.attrs["name"] = name if name is not None else Unknown("bucket", "bucket name not given")
    return bucket


def _blob(name: Value | None, bucket: Value | None) -> Obj:
    blob = Obj("gs.blob", "gs_blob")
    bucket_name = bucket.attrs.get("name") if isinstance(bucket, Obj) else bucket
    blob.attrs["uri"] = _uri("gs", bucket_name, name)
    return blob


def _uri(scheme: str, bucket: Value | None, key: Value | None) -> Value:
    """``<scheme>://<bucket>/<key>`` as a string value, with a hole where a part is not known
    (``gs://{GCP_GCS_BUCKET}/raw/trips.parquet`` for a bucket read from the environment)."""
    if not isinstance(bucket, Str) and not isinstance(key, Str):
        return Unknown(f"{scheme}://…", "bucket and object name not known statically")
    return Str((f"{scheme}://", *_parts(bucket, "bucket"), "/", *_parts(key, "key")))


def _parts(value: Value | None, role: str) -> tuple[str | Hole, ...]:
    if isinstance(value, Str):
        return value.parts
    return (Hole(value.name if isinstance(value, Unknown) and value.name else role),)


def _copy(interp: Interpreter, site: Site, source: Value | None, target: Value | None, operation: str) -> None:
    """The file at ``source`` copied to ``target``: a flow of all its columns."""
    sink = interp.sink
    sources = sink.path_names(interp, site.ctx, site.node, source)
    frame = sink.read(interp, site.ctx, site.node, sources, DatasetKind.FILE, "data")
    targets = sink.path_names(interp, site.ctx, site.node, target)
    sink.write(interp, site.ctx, site.node, frame, targets, DatasetKind.FILE, operation)


@REGISTRY.method(Obj)
def _storage_method(interp: Interpreter, receiver: Value, site: Site) -> Value | None:
    assert isinstance(receiver, Obj)
    name = site.name
    args: Args = site.args
    if receiver.kind == "gcs" and name in ("bucket", "get_bucket", "lookup_bucket", "create_bucket"):
        return _bucket("gs", args.get(0, "bucket_name"))
    if receiver.kind == "gs_bucket" and name in ("blob", "get_blob"):
        return _blob(args.get(0, "blob_name"), receiver)
    if receiver.kind == "gs_blob":
        uri = receiver.attrs.get("uri")
        if name == "upload_from_filename":
            _copy(interp, site, args.get(0, "filename"), uri, "gcs.upload_from_filename")
            return NONE
        if name == "upload_from_file":
            handle = args.get(0, "file_obj")
            source = handle.path if isinstance(handle, FileHandle) else handle
            _copy(interp, site, source, uri, "gcs.upload_from_file")
            return NONE
        if name == "download_to_filename":
            _copy(interp, site, uri, args.get(0, "filename"), "gcs.download_to_filename")
            return NONE
    if receiver.kind == "s3":
        if name == "Bucket":
            return _bucket("s3", args.get(0, "name"))
        if name == "upload_file":
            target = _uri("s3", args.get(1, "Bucket"), args.get(2, "Key"))
            _copy(interp, site, args.get(0, "Filename"), target, "s3.upload_file")
            return NONE
        if name == "download_file":
            source = _uri("s3", args.get(0, "Bucket"), args.get(1, "Key"))
            _copy(interp, site, source, args.get(2, "Filename"), "s3.download_file")
            return NONE
    if receiver.kind == "s3_bucket":
        bucket = receiver.attrs.get("name")
        if name == "upload_file":
            _copy(interp, site, args.get(0, "Filename"), _uri("s3", bucket, args.get(1, "Key")), "s3.upload_file")
            return NONE
        if name == "download_file":
            _copy(interp, site, _uri("s3", bucket, args.get(0, "Key")), args.get(1, "Filename"), "s3.download_file")
            return NONE
    return None
