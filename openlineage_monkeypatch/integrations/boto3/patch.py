"""The boto3/botocore wrappers. Each calls the original once, with the original arguments, and
returns its result (or re-raises its exception) untouched; all our work runs under _guard."""

from __future__ import annotations

import io
import os
import sys

from ... import _guard, naming, run
from ...lineage import seam, table
from . import operations

NAME = "boto3"
LABEL = "boto3"

def _is_s3(client) -> bool:
    # not cached per class: botocore makes a new client class for every client it creates
    try:
        return client.meta.service_model.service_name == "s3"
    except Exception:  # noqa: BLE001
        return False


def _begin_request(args, kwargs):
    operation = args[0] if args else kwargs.get("operation_name")
    params = args[1] if len(args) > 1 else kwargs.get("api_params")
    return operations.begin(LABEL, operation, params)


def make_api_call(wrapped, instance, args, kwargs):
    if not _is_s3(instance):
        return wrapped(*args, **kwargs)
    request = _guard.call(NAME, _begin_request, args, kwargs)
    if request is None:
        return wrapped(*args, **kwargs)
    try:
        response = wrapped(*args, **kwargs)
    except Exception as error:
        _guard.call(NAME, operations.failed, request, error)
        raise
    _guard.call(NAME, operations.succeeded, request, response)
    return response


def _remember_body(body, data) -> None:
    carried = table.objects.get(body)
    if carried is not None:
        table.remember_content(data, carried)


def body_read(wrapped, instance, args, kwargs):
    data = wrapped(*args, **kwargs)
    if (args[0] if args else kwargs.get("amt")) is None and table.objects.get(instance) is not None:
        _guard.call(NAME, _remember_body, instance, data)
    return data


def _presigned(args, kwargs) -> None:
    method = args[0] if args else kwargs.get("ClientMethod")
    params = args[1] if len(args) > 1 else kwargs.get("Params")
    if not isinstance(method, str) or not isinstance(params, dict):
        return
    operation = "".join(part.capitalize() for part in method.split("_"))
    request = operations.begin(LABEL, operation, params)
    if request is not None:
        run.access(request.dataset, request.action, system=operations.SYSTEM, api="boto3 generate_presigned_url",
                   object_type=request.object_type)


def generate_presigned_url(wrapped, instance, args, kwargs):
    url = wrapped(*args, **kwargs)
    if _is_s3(instance):
        _guard.call(NAME, _presigned, args, kwargs)
    return url


def instrument_botocore(integration, client_module) -> None:
    integration.patcher.wrap(client_module.BaseClient, "_make_api_call", make_api_call)
    response = sys.modules.get("botocore.response")
    if response is not None and hasattr(response, "StreamingBody"):
        integration.patcher.wrap(response.StreamingBody, "read", body_read)
    signers = sys.modules.get("botocore.signers")
    if signers is not None and hasattr(signers, "generate_presigned_url"):
        integration.patcher.wrap(signers, "generate_presigned_url", generate_presigned_url)


# -------------------------------------------------------------------------------------------------
# managed transfers

# function -> its parameters after self
SIGNATURES = {
    "upload_file": ("Filename", "Bucket", "Key", "ExtraArgs"),
    "download_file": ("Bucket", "Key", "Filename", "ExtraArgs"),
    "upload_fileobj": ("Fileobj", "Bucket", "Key", "ExtraArgs"),
    "download_fileobj": ("Bucket", "Key", "Fileobj", "ExtraArgs"),
    "copy": ("CopySource", "Bucket", "Key", "ExtraArgs"),
}


class Transfer:
    __slots__ = ("kind", "api", "values", "target", "source", "target_claim", "source_claim", "carried")

    def __init__(self, kind: str, values: dict) -> None:
        self.kind = kind
        self.api = f"boto3 {kind}"
        self.values = values
        self.target = operations.object_dataset(values["Bucket"], values["Key"])
        self.source = None
        self.target_claim = table.claim(self.target, self.api, write=kind in ("upload_file", "upload_fileobj", "copy"))
        self.source_claim = None
        self.carried = None

    def release(self) -> None:
        table.release(self.target_claim)
        if self.source_claim is not None:
            table.release(self.source_claim)


def begin_transfer(holder: list, kind: str, args, kwargs) -> None:
    names = SIGNATURES[kind]
    values = dict(zip(names, args))
    for name in names:
        if name in kwargs:
            values[name] = kwargs[name]
    if not isinstance(values.get("Bucket"), str) or not isinstance(values.get("Key"), str):
        return
    transfer = Transfer(kind, values)
    holder.append(transfer)
    if kind == "upload_fileobj":  # before the call: s3transfer closes the file object
        transfer.carried = seam.resolve(values.get("Fileobj"))
    if kind == "copy":
        source = operations.copy_source(values.get("CopySource"))
        if source is not None:
            transfer.source = operations.object_dataset(source[0], source[1])
            transfer.source_claim = table.claim(transfer.source, transfer.api)


def _version_action(transfer: Transfer) -> str:
    extra = transfer.values.get("ExtraArgs")
    return "s3:GetObjectVersion" if isinstance(extra, dict) and extra.get("VersionId") else "s3:GetObject"


def _read_local(dataset: naming.DatasetId | None, api: str, fields=None) -> None:
    if dataset is not None:
        run.read(dataset, fields, action="read", system="file", api=api)


def end_transfer(holder: list, error: BaseException | None) -> None:
    if not holder:
        return
    transfer: Transfer = holder[0]
    try:
        if error is not None:
            if isinstance(error, Exception):
                _transfer_failed(transfer, error)
            return
        kind, values, api = transfer.kind, transfer.values, transfer.api
        if kind in ("download_file", "download_fileobj"):
            flushed = operations.flush(transfer.target_claim, output=False)
            run.read(transfer.target, action=None if flushed else _version_action(transfer),
                     system=operations.SYSTEM, api=api, object_type=operations.OBJECT)
            carried = table.Carried(transfer.target)
            if kind == "download_file":
                if isinstance(values.get("Filename"), (str, os.PathLike)):
                    table.remember_path(values["Filename"], carried)
            else:
                fileobj = values.get("Fileobj")
                table.objects.set(fileobj, carried)
                if isinstance(fileobj, io.BytesIO):
                    with fileobj.getbuffer() as view:
                        table.remember_content(view, carried)
            return
        if kind == "copy":
            if transfer.source is not None:
                flushed = operations.flush(transfer.source_claim, output=False)
                run.read(transfer.source, action=None if flushed else "s3:GetObject", system=operations.SYSTEM,
                         api=api, object_type=operations.OBJECT)
                data = seam.identity_payload(transfer.source)
            else:
                data = {}
        elif kind == "upload_file":
            data, local = seam.local_payload(values.get("Filename"))
            _read_local(local, api, data.get("fields"))
        else:
            data = seam.payload(transfer.carried)
            for dataset in data.get("inputs") or ():
                if dataset.namespace == "file":
                    _read_local(dataset, api, data.get("fields"))
        flushed = operations.flush(transfer.target_claim, output=True)
        run.wrote(transfer.target, action=None if flushed else "s3:PutObject", system=operations.SYSTEM, api=api,
                  object_type=operations.OBJECT, facets=operations.NOT_DROPPED, **data)
    finally:
        transfer.release()


def _transfer_failed(transfer: Transfer, error: BaseException) -> None:
    kind = transfer.kind
    source_errors = transfer.source_claim is not None and transfer.source_claim.errors
    if source_errors:
        operations.fail(transfer.source_claim, error, "s3:GetObject")
    if transfer.target_claim.errors:
        action = _version_action(transfer) if kind.startswith("download") else "s3:PutObject"
        operations.fail(transfer.target_claim, error, action)
        return
    if source_errors:
        return
    if kind == "upload_file" and isinstance(error, OSError) and not hasattr(error, "response"):
        filename = transfer.values.get("Filename")
        if isinstance(filename, (str, os.PathLike)):
            run.failed(naming.local_file(filename), "read", operations.error_code(error))
            return
    if kind.startswith("download"):
        run.failed(transfer.target, _version_action(transfer), operations.error_code(error))
    elif kind == "copy" and transfer.source is not None:
        run.failed(transfer.source, "s3:GetObject", operations.error_code(error))
    else:
        run.failed(transfer.target, "s3:PutObject", operations.error_code(error))


def _transfer_wrapper(kind: str):
    def wrapper(wrapped, instance, args, kwargs):
        holder: list = []
        _guard.call(NAME, begin_transfer, holder, kind, args, kwargs)
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as error:  # claims are released even on KeyboardInterrupt
            _guard.call(NAME, end_transfer, holder, error)
            raise
        _guard.call(NAME, end_transfer, holder, None)
        return result

    return wrapper


def instrument_transfers(integration, inject) -> None:
    for kind in SIGNATURES:
        if hasattr(inject, kind):
            integration.patcher.wrap(inject, kind, _transfer_wrapper(kind))
