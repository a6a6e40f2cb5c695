"""The aiobotocore and s3fs wrappers: coroutines in, coroutines out, originals awaited once."""

from __future__ import annotations

import os

from ... import _guard, naming, run
from ...lineage import seam, table
from ..boto3 import operations
from ..boto3.patch import _is_s3

NAME = "s3fs"
LABEL = "s3fs"


def _begin_request(args, kwargs):
    operation = args[0] if args else kwargs.get("operation_name")
    params = args[1] if len(args) > 1 else kwargs.get("api_params")
    return operations.begin(LABEL, operation, params)


async def _request(wrapped, args, kwargs, request):
    try:
        response = await wrapped(*args, **kwargs)
    except Exception as error:
        _guard.call(NAME, operations.failed, request, error)
        raise
    _guard.call(NAME, operations.succeeded, request, response)
    return response


def make_api_call(wrapped, instance, args, kwargs):
    if not _is_s3(instance):
        return wrapped(*args, **kwargs)
    request = _guard.call(NAME, _begin_request, args, kwargs)
    if request is None:
        return wrapped(*args, **kwargs)
    return _request(wrapped, args, kwargs, request)


def instrument_aiobotocore(integration, client_module) -> None:
    integration.patcher.wrap(client_module.AioBaseClient, "_make_api_call", make_api_call)


# -------------------------------------------------------------------------------------------------
# fs.get / fs.put


class FileTransfer:
    __slots__ = ("kind", "dataset", "local", "claim")

    def __init__(self, kind: str, dataset: naming.DatasetId, local) -> None:
        self.kind = kind
        self.dataset = dataset
        self.local = local
        self.claim = table.claim(dataset, f"s3fs {kind}", write=kind == "put_file")


def begin_file(holder: list, kind: str, fs, args, kwargs) -> None:
    if kind == "get_file":
        rpath = args[0] if args else kwargs.get("rpath")
        lpath = args[1] if len(args) > 1 else kwargs.get("lpath")
    else:
        lpath = args[0] if args else kwargs.get("lpath")
        rpath = args[1] if len(args) > 1 else kwargs.get("rpath")
    if not isinstance(rpath, str) or not isinstance(lpath, (str, os.PathLike)):
        return
    if kind == "put_file" and os.path.isdir(lpath):
        return
    bucket, key, _version = fs.split_path(rpath)
    if not bucket or not key:
        return
    holder.append(FileTransfer(kind, operations.object_dataset(bucket, key), os.fspath(lpath)))


def end_file(holder: list, error: BaseException | None) -> None:
    if not holder:
        return
    transfer: FileTransfer = holder[0]
    api = f"s3fs {transfer.kind}"
    try:
        if error is not None:
            if isinstance(error, Exception):
                action = "s3:GetObject" if transfer.kind == "get_file" else "s3:PutObject"
                operations.fail(transfer.claim, error, action)
            return
        if transfer.kind == "get_file":
            flushed = operations.flush(transfer.claim, output=False)
            run.read(transfer.dataset, action=None if flushed else "s3:GetObject", system=operations.SYSTEM, api=api,
                     object_type=operations.OBJECT)
            table.remember_path(transfer.local, table.Carried(transfer.dataset))
            return
        data, local = seam.local_payload(transfer.local)
        if local is not None:
            run.read(local, data.get("fields"), action="read", system="file", api=api)
        flushed = operations.flush(transfer.claim, output=True)
        run.wrote(transfer.dataset, action=None if flushed else "s3:PutObject", system=operations.SYSTEM, api=api,
                  object_type=operations.OBJECT, facets=operations.NOT_DROPPED, **data)
    finally:
        table.release(transfer.claim)


async def _file(wrapped, args, kwargs, holder):
    try:
        result = await wrapped(*args, **kwargs)
    except BaseException as error:  # claims are released even on KeyboardInterrupt
        _guard.call(NAME, end_file, holder, error)
        raise
    _guard.call(NAME, end_file, holder, None)
    return result


def _file_wrapper(kind: str):
    def wrapper(wrapped, instance, args, kwargs):
        holder: list = []
        _guard.call(NAME, begin_file, holder, kind, instance, args, kwargs)
        if not holder:
            return wrapped(*args, **kwargs)
        return _file(wrapped, args, kwargs, holder)

    return wrapper


def instrument_s3fs(integration, core) -> None:
    cls = getattr(core, "S3FileSystem", None)
    if cls is None:
        return
    for kind in ("get_file", "put_file"):
        if f"_{kind}" in cls.__dict__:
            integration.patcher.wrap(cls, f"_{kind}", _file_wrapper(kind))
