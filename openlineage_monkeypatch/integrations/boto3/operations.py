"""S3 API requests as lineage: one place that knows what each operation reads, writes and needs.

Both botocore's BaseClient._make_api_call (boto3) and aiobotocore's (s3fs) go through here:

    request = begin(label, operation_name, api_params)    # before the call, cheap
    succeeded(request, response) / failed(request, error) # after it

Datasets follow the OpenLineage naming spec: namespace `s3://{bucket}`, name = key (a prefix without
its trailing slash for listings, `/` for the whole bucket). The monkeypatch_access facet gets the
IAM action each request needs (HeadObject needs s3:GetObject, a multipart upload s3:PutObject ...)
with the object type it applies to (OBJECT, or BUCKET for listings), so that a policy generator can
write statements from it.

When an outer call holds a claim on the dataset (a pandas reader on an s3:// path, a managed
transfer: lineage/table.py), a request only adds its action or error to the claim; the owner reports
the dataset once it knows how the whole thing ended. Otherwise each request is reported here:
reads as inputs, writes (PutObject, a completed multipart upload, a copy's destination) as outputs
with the lineage of what their body carried, deletes as outputs with lifecycleStateChange DROP,
metadata requests (head, list, tagging ...) through run.access, failures through run.failed.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from urllib.parse import unquote

from ... import naming, run
from ...lineage import seam, table
from ...redact import scrub_text

SYSTEM = "s3"
OBJECT = "OBJECT"
BUCKET = "BUCKET"

# operation -> IAM action (what the request needs); absent: "s3:" + operation
ACTIONS = {
    "GetObject": "s3:GetObject",
    "HeadObject": "s3:GetObject",
    "SelectObjectContent": "s3:GetObject",
    "GetObjectAttributes": "s3:GetObjectAttributes",
    "PutObject": "s3:PutObject",
    "CopyObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "UploadPartCopy": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "ListParts": "s3:ListMultipartUploadParts",
    "ListMultipartUploads": "s3:ListBucketMultipartUploads",
    "DeleteObject": "s3:DeleteObject",
    "DeleteObjects": "s3:DeleteObject",
    "ListObjects": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "HeadBucket": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions",
    "GetBucketLocation": "s3:GetBucketLocation",
    "CreateBucket": "s3:CreateBucket",
    "DeleteBucket": "s3:DeleteBucket",
}
# with a VersionId the request needs the *Version* variant
VERSIONED = {
    "GetObject": "s3:GetObjectVersion",
    "HeadObject": "s3:GetObjectVersion",
    "DeleteObject": "s3:DeleteObjectVersion",
    "GetObjectTagging": "s3:GetObjectVersionTagging",
    "PutObjectTagging": "s3:PutObjectVersionTagging",
    "DeleteObjectTagging": "s3:DeleteObjectVersionTagging",
    "GetObjectAcl": "s3:GetObjectVersionAcl",
    "PutObjectAcl": "s3:PutObjectVersionAcl",
}
KINDS = {
    "GetObject": "read",
    "SelectObjectContent": "read",
    "PutObject": "write",
    "CopyObject": "copy",
    "DeleteObject": "delete",
    "DeleteObjects": "deletes",
    "CreateMultipartUpload": "mpu_create",
    "UploadPart": "mpu_part",
    "UploadPartCopy": "mpu_part_copy",
    "CompleteMultipartUpload": "mpu_complete",
    "AbortMultipartUpload": "mpu_abort",
    "ListObjects": "list",
    "ListObjectsV2": "list",
    "ListObjectVersions": "list",
    "ListMultipartUploads": "list",
}
DROP = {"lifecycleStateChange": {"lifecycleStateChange": "DROP"}}
NOT_DROPPED = {"lifecycleStateChange": None}

_snake_cache: dict[str, str] = {}
# a key with one of these in it may hold a credential (a presigned URL pasted into a key ...)
_SUSPECT = ("=", "@", "AKIA", "ASIA", "BEGIN ")


def snake(operation: str) -> str:
    name = _snake_cache.get(operation)
    if name is None:
        name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", operation).lower()
        _snake_cache[operation] = name
    return name


def _bucket(bucket: str) -> str:
    """A bucket name as given, minus anything that looks like `key:secret@` (never a bucket's)."""
    return bucket.rsplit("@", 1)[-1] if "@" in bucket else bucket


def _split_userinfo(bucket: str, key: str) -> tuple[str, str]:
    """`s3://KEY:SE/CRET@bucket/key` split at the first "/" gives bucket `KEY:SE`: put it back together
    and drop the userinfo (bucket names never contain ":"; access point ARNs start with arn:)."""
    if ":" in bucket and not bucket.startswith("arn:") and "@" in key:
        return key.split("@", 1)[1].partition("/")[::2]
    return bucket, key


def object_dataset(bucket: str, key: str) -> naming.DatasetId:
    bucket, key = _split_userinfo(bucket, key or "")
    bucket = _bucket(bucket)
    if key and any(marker in key for marker in _SUSPECT):
        key = scrub_text(key)
    return naming.s3(bucket, key) if key and key.lstrip("/") else naming.DatasetId(f"s3://{bucket}", "/")


def prefix_dataset(bucket: str, prefix: str | None) -> naming.DatasetId:
    """A listing's dataset: the prefix as a directory (no trailing slash), `/` for the bucket."""
    bucket, prefix = _split_userinfo(bucket, prefix or "")
    name = prefix.lstrip("/").rstrip("/")
    if name and any(marker in name for marker in _SUSPECT):
        name = scrub_text(name)
    return naming.DatasetId(f"s3://{_bucket(bucket)}", name or "/")


def copy_source(source) -> tuple[str, str, str | None] | None:
    """(bucket, key, version) of CopyObject's CopySource: "bucket/key?versionId=v" or a dict."""
    if isinstance(source, dict):
        bucket, key = source.get("Bucket"), source.get("Key")
        return (bucket, key, source.get("VersionId")) if bucket and key else None
    if not isinstance(source, str):
        return None
    text, _, query = source.lstrip("/").partition("?")
    version = None
    if query.startswith("versionId="):
        version = query[len("versionId="):]
    if text.startswith("arn:") and "/object/" in text:
        bucket, _, key = text.partition("/object/")
    else:
        bucket, _, key = text.partition("/")
    return (bucket, unquote(key), version) if bucket and key else None


_CODE = re.compile(r"[^A-Za-z0-9_.\-]")


def error_code(error: BaseException) -> str:
    """A short, data-free name of what went wrong: the S3 error code, else the exception's class."""
    response = getattr(error, "response", None)
    code = None
    if isinstance(response, dict):
        code = (response.get("Error") or {}).get("Code")
    if not code:
        code = type(error).__name__
    return _CODE.sub("", str(code))[:64] or "error"


def action_for(operation: str, params: dict) -> str:
    if params.get("VersionId") and operation in VERSIONED:
        return VERSIONED[operation]
    return ACTIONS.get(operation) or f"s3:{operation}"


class Request:
    """One S3 request we understand: its kind, dataset(s), action, and the claims that own them."""

    __slots__ = ("label", "operation", "kind", "dataset", "action", "object_type", "claim", "params",
                 "source", "source_action", "source_claim", "carried")

    def __init__(self, label, operation, kind, dataset, action, object_type, claim, params) -> None:
        self.label = label
        self.operation = operation
        self.kind = kind
        self.dataset = dataset
        self.action = action
        self.object_type = object_type
        self.claim = claim
        self.params = params
        self.source = None
        self.source_action = None
        self.source_claim = None
        self.carried = None

    @property
    def api(self) -> str:
        return f"{self.label} {snake(self.operation)}"


def begin(label: str, operation: str, params) -> Request | None:
    """Describe a request before it is sent; None for what carries no dataset (ListBuckets ...)."""
    if not isinstance(params, dict):
        return None
    bucket = params.get("Bucket")
    if not isinstance(bucket, str) or not bucket:
        return None
    kind = KINDS.get(operation)
    key = params.get("Key")
    action = action_for(operation, params)
    if kind == "list":
        dataset = prefix_dataset(bucket, params.get("Prefix"))
        request = Request(label, operation, kind, dataset, action, BUCKET, table.claimed(dataset, True), params)
    elif kind == "deletes":
        dataset = object_dataset(bucket, "")
        request = Request(label, operation, kind, dataset, action, OBJECT, None, params)
    elif isinstance(key, str) and key:
        dataset = object_dataset(bucket, key)
        request = Request(label, operation, kind or "object", dataset, action, OBJECT, table.claimed(dataset), params)
    else:
        dataset = object_dataset(bucket, "")
        request = Request(label, operation, kind or "bucket", dataset, action, BUCKET,
                          table.claimed(dataset, True), params)
    if kind in ("copy", "mpu_part_copy"):
        source = copy_source(params.get("CopySource"))
        if source is not None:
            request.source = object_dataset(source[0], source[1])
            request.source_action = "s3:GetObjectVersion" if source[2] else "s3:GetObject"
            request.source_claim = table.claimed(request.source)
    elif kind in ("write", "mpu_part") and request.claim is None:
        # before the call: the body may be consumed or closed by it
        request.carried = table.take_expected(request.dataset) or seam.resolve(params.get("Body"))
    elif kind == "mpu_complete" and request.claim is None:
        request.carried = table.take_expected(request.dataset)
    return request


# -------------------------------------------------------------------------------------------------
# multipart uploads: one dataset, reported when complete


class Upload:
    __slots__ = ("dataset", "parts", "carried", "sources")

    def __init__(self, dataset) -> None:
        self.dataset = dataset
        self.parts = 0
        self.carried = None
        self.sources: list = []


_uploads: OrderedDict[str, Upload] = OrderedDict()
_uploads_lock = threading.Lock()
_MAX_UPLOADS = 1024


def _upload(upload_id, create: naming.DatasetId | None = None) -> Upload | None:
    if not isinstance(upload_id, str):
        return None
    with _uploads_lock:
        upload = _uploads.get(upload_id)
        if upload is None and create is not None:
            upload = _uploads[upload_id] = Upload(create)
            while len(_uploads) > _MAX_UPLOADS:
                _uploads.popitem(last=False)
        return upload


def _forget_upload(upload_id) -> Upload | None:
    with _uploads_lock:
        return _uploads.pop(upload_id, None) if isinstance(upload_id, str) else None


# -------------------------------------------------------------------------------------------------
# outcomes


def _access(request: Request, output: bool = False) -> None:
    run.access(request.dataset, request.action, system=SYSTEM, api=request.api, object_type=request.object_type,
               output=output)


def succeeded(request: Request, response) -> None:
    kind = request.kind
    if kind in ("copy", "mpu_part_copy") and request.source is not None:
        if request.source_claim is not None:
            request.source_claim.add(request.source_action, OBJECT)
        else:
            run.read(request.source, action=request.source_action, system=SYSTEM, api=request.api, object_type=OBJECT)
    if request.claim is not None:
        request.claim.add(request.action, request.object_type)
        if request.source is not None:
            request.claim.sources.append(request.source)
        return
    handler = _HANDLERS.get(kind)
    if handler is None:
        _access(request)
    else:
        handler(request, response)


def _on_read(request: Request, response) -> None:
    run.read(request.dataset, action=request.action, system=SYSTEM, api=request.api, object_type=OBJECT)
    body = response.get("Body") if isinstance(response, dict) else None
    if body is not None and request.kind == "read" and request.operation == "GetObject":
        table.objects.set(body, table.Carried(request.dataset))


def _wrote(request: Request, data: dict, extra_puts: int = 0) -> None:
    for _ in range(extra_puts):
        run.access(request.dataset, request.action, system=SYSTEM, api=request.api, object_type=OBJECT, output=True)
    run.wrote(request.dataset, action=request.action, system=SYSTEM, api=request.api, object_type=OBJECT,
              facets=NOT_DROPPED, **data)


def _on_write(request: Request, response) -> None:
    _wrote(request, seam.payload(request.carried))


def _on_copy(request: Request, response) -> None:
    _wrote(request, seam.identity_payload(request.source) if request.source is not None else {})


def _on_delete(request: Request, response) -> None:
    run.wrote(request.dataset, action=request.action, system=SYSTEM, api=request.api, object_type=OBJECT,
              facets=DROP, emit=False)


def _on_deletes(request: Request, response) -> None:
    bucket = request.params.get("Bucket")
    response = response if isinstance(response, dict) else {}
    deleted = response.get("Deleted")
    if deleted is None:  # Quiet mode lists only errors
        failed_keys = {e.get("Key") for e in response.get("Errors") or ()}
        asked = (request.params.get("Delete") or {}).get("Objects") or ()
        deleted = [o for o in asked if o.get("Key") not in failed_keys]
    for item in deleted or ():
        key = item.get("Key")
        if key:
            action = "s3:DeleteObjectVersion" if item.get("VersionId") else request.action
            run.wrote(object_dataset(bucket, key), action=action, system=SYSTEM, api=request.api,
                      object_type=OBJECT, facets=DROP, emit=False)
    for item in response.get("Errors") or ():
        key = item.get("Key")
        if key:
            code = _CODE.sub("", str(item.get("Code") or "error"))[:64]
            run.failed(object_dataset(bucket, key), request.action, code)


def _on_mpu_create(request: Request, response) -> None:
    upload = _upload(response.get("UploadId") if isinstance(response, dict) else None, request.dataset)
    if upload is None:
        _access(request, output=True)


def _on_mpu_part(request: Request, response) -> None:
    upload = _upload(request.params.get("UploadId"))
    if upload is None:
        _access(request, output=True)
        return
    upload.parts += 1
    if request.source is not None:
        upload.sources.append(request.source)
    elif upload.carried is None and request.carried is not None:
        upload.carried = request.carried


def _on_mpu_complete(request: Request, response) -> None:
    upload = _forget_upload(request.params.get("UploadId"))
    if upload is None:
        _wrote(request, {})
        return
    carried = request.carried or upload.carried
    if carried is not None:
        data = seam.payload(carried)
    elif len(set(upload.sources)) == 1:
        data = seam.identity_payload(upload.sources[0])
    else:
        data = {"inputs": list(dict.fromkeys(upload.sources))} if upload.sources else {}
    _wrote(request, data, extra_puts=1 + upload.parts)


def _on_mpu_abort(request: Request, response) -> None:
    _forget_upload(request.params.get("UploadId"))
    _access(request)


_HANDLERS = {
    "read": _on_read,
    "write": _on_write,
    "copy": _on_copy,
    "delete": _on_delete,
    "deletes": _on_deletes,
    "mpu_create": _on_mpu_create,
    "mpu_part": _on_mpu_part,
    "mpu_part_copy": _on_mpu_part,
    "mpu_complete": _on_mpu_complete,
    "mpu_abort": _on_mpu_abort,
}


def failed(request: Request, error: BaseException) -> None:
    code = error_code(error)
    if request.kind in ("copy", "mpu_part_copy") and request.source is not None:
        if request.source_claim is not None:
            request.source_claim.add_error(request.source_action, code)
        else:
            run.failed(request.source, request.source_action, code)
        if code in ("NoSuchKey", "404", "NotFound"):
            return  # the source is what is missing
    if request.claim is not None:
        request.claim.add_error(request.action, code)
        return
    if request.kind == "deletes":
        bucket = request.params.get("Bucket")
        for item in (request.params.get("Delete") or {}).get("Objects") or ():
            if item.get("Key"):
                run.failed(object_dataset(bucket, item["Key"]), request.action, code)
        return
    if request.kind in ("mpu_complete", "mpu_abort"):
        _forget_upload(request.params.get("UploadId"))
    run.failed(request.dataset, request.action, code)


# -------------------------------------------------------------------------------------------------
# claims of outer calls (managed transfers, pandas readers and writers, s3fs get/put)


def flush(held: table.Claim, *, output: bool) -> bool:
    """Report the actions a claim collected on its dataset; False when it saw no request."""
    with table._lock:
        actions = dict(held.actions)
    for (action, object_type), count in actions.items():
        for _ in range(count):
            run.access(held.dataset, action, system=SYSTEM, api=held.api, object_type=object_type, output=output)
    return bool(actions)


def fail(held: table.Claim, error: BaseException, action: str) -> None:
    """Report a failed outer call: the request errors it saw, else its own error."""
    with table._lock:
        errors = list(dict.fromkeys(held.errors))
    if errors:
        for failed_action, code in errors:
            run.failed(held.dataset, failed_action, code)
    else:
        run.failed(held.dataset, action, error_code(error))
