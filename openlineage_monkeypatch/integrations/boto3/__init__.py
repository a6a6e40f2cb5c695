"""boto3 integration: S3 requests of boto3/botocore clients and resources as datasets and actions.

Patch points (botocore and boto3 are never imported by us; each is patched when the job imports it):
- botocore.client.BaseClient._make_api_call: every request of every client, including those the
  managed transfers make from their worker threads; only S3 clients are looked at.
- botocore.response.StreamingBody.read: the bytes of a get_object body carry its object.
- botocore.signers.generate_presigned_url: the action a presigned URL lends out (the URL itself,
  with its signature, is never recorded).
- boto3.s3.inject upload_file / download_file / upload_fileobj / download_fileobj / copy: the
  managed transfers, which know the local file or buffer. boto3 injects these functions into each
  S3 client class when the class is created, so they are replaced as soon as the module is imported.
  The Bucket and Object resource variants call them.
"""

from __future__ import annotations

from .. import Integration


class Boto3Integration(Integration):
    name = "boto3"
    modules = ("botocore.client", "boto3.s3.inject")
    distribution = "botocore"
    min_version = "1.29"
    max_version = "2"

    def instrument(self, module) -> None:
        from . import patch

        if module.__name__ == "botocore.client":
            patch.instrument_botocore(self, module)
        elif module.__name__ == "boto3.s3.inject":
            patch.instrument_transfers(self, module)


integration = Boto3Integration()
