"""s3fs integration: the S3 requests fsspec/s3fs make (pandas with s3:// paths, dask, direct use).

s3fs talks to S3 through aiobotocore, not boto3: the patch point is aiobotocore's
AioBaseClient._make_api_call (a coroutine), which goes through the same S3 operation semantics as
boto3's (integrations/boto3/operations.py). S3FileSystem._get_file / _put_file (fs.get, fs.put)
are patched too: like boto3's download_file and upload_file, they link a local file to its object.
Neither aiobotocore nor s3fs is imported by us; each is patched when the job imports it.
"""

from __future__ import annotations

from .. import Integration


class S3fsIntegration(Integration):
    name = "s3fs"
    modules = ("aiobotocore.client", "s3fs.core")
    distribution = "aiobotocore"
    min_version = "2.5"
    max_version = "4"

    def instrument(self, module) -> None:
        from . import patch

        if module.__name__ == "aiobotocore.client":
            patch.instrument_aiobotocore(self, module)
        elif module.__name__ == "s3fs.core":
            patch.instrument_s3fs(self, module)


integration = S3fsIntegration()
