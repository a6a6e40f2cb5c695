"""boto3 client and resource calls against the moto server: datasets, actions, copies, seams."""

from __future__ import annotations

import pytest

from tests.conftest import assert_valid, marquez_gaps
from tests.s3.support import actions, identity, lineage, run_job, schema

B = "s3://bkt"

JOB = """
import io, boto3, pandas as pd
s3 = boto3.client("s3")
s3.create_bucket(Bucket="bkt")
src = pd.read_csv("orders.csv")

# put_object with the str, bytes and buffer pandas produced
s3.put_object(Bucket="bkt", Key="raw/str.csv", Body=src.to_csv(index=False))
s3.put_object(Bucket="bkt", Key="raw/bytes.parquet", Body=src.to_parquet(index=False))
buf = io.BytesIO(); src.to_parquet(buf, index=False)
s3.put_object(Bucket="bkt", Key="raw/buf.parquet", Body=buf.getvalue())
text = io.StringIO(); src.to_json(text, orient="records", lines=True)
s3.put_object(Bucket="bkt", Key="raw/text.jsonl", Body=text.getvalue().encode())
s3.put_object(Bucket="bkt", Key="raw/returned.json", Body=src.to_json(orient="records"))
s3.put_object(Bucket="bkt", Key="raw/unknown.bin", Body=b"opaque bytes")

# get_object: the body, and bytes read from it, carry the object
body = s3.get_object(Bucket="bkt", Key="raw/str.csv")["Body"]
pd.read_csv(body).to_parquet("from_body.parquet")
raw = s3.get_object(Bucket="bkt", Key="raw/buf.parquet")["Body"].read()
pd.read_parquet(io.BytesIO(raw)).to_csv("from_bytes.csv", index=False)

# managed transfers
src.to_parquet("staging.parquet", index=False)
s3.upload_file("staging.parquet", "bkt", "up/staging.parquet")
s3.upload_file("orders.csv", "bkt", "up/orders.csv")
fileobj = io.BytesIO(); src.to_csv(fileobj, index=False); fileobj.seek(0)
s3.upload_fileobj(fileobj, "bkt", "up/fileobj.csv")
s3.download_file("bkt", "up/staging.parquet", "downloaded.parquet")
pd.read_parquet("downloaded.parquet").to_csv("from_download.csv", index=False)
s3.upload_file("downloaded.parquet", "bkt", "up/reuploaded.parquet")
target = io.BytesIO()
s3.download_fileobj("bkt", "raw/str.csv", target)
target.seek(0)
pd.read_csv(target).to_csv("from_fileobj.csv", index=False)

# copies
s3.copy_object(Bucket="bkt", Key="copies/copy.csv", CopySource="bkt/raw/str.csv")
s3.copy({"Bucket": "bkt", "Key": "raw/bytes.parquet"}, "bkt", "copies/managed.parquet")

# multipart upload by hand: one dataset when complete
part = io.BytesIO(); src.to_parquet(part, index=False)
mpu = s3.create_multipart_upload(Bucket="bkt", Key="mpu/out.parquet")
etag = s3.upload_part(Bucket="bkt", Key="mpu/out.parquet", UploadId=mpu["UploadId"], PartNumber=1,
                      Body=part.getvalue())["ETag"]
s3.complete_multipart_upload(Bucket="bkt", Key="mpu/out.parquet", UploadId=mpu["UploadId"],
                             MultipartUpload={"Parts": [{"ETag": etag, "PartNumber": 1}]})
aborted = s3.create_multipart_upload(Bucket="bkt", Key="mpu/aborted")
s3.abort_multipart_upload(Bucket="bkt", Key="mpu/aborted", UploadId=aborted["UploadId"])

# metadata, select, deletes
s3.head_object(Bucket="bkt", Key="raw/str.csv")
s3.list_objects_v2(Bucket="bkt", Prefix="raw/")
response = s3.select_object_content(
    Bucket="bkt", Key="raw/str.csv", Expression="select * from s3object", ExpressionType="SQL",
    InputSerialization={"CSV": {"FileHeaderInfo": "USE"}}, OutputSerialization={"CSV": {}})
for event in response["Payload"]:
    pass
s3.delete_object(Bucket="bkt", Key="raw/unknown.bin")
s3.delete_objects(Bucket="bkt", Delete={"Objects": [{"Key": "copies/copy.csv"}, {"Key": "mpu/aborted"}]})

# the resource API goes through the same calls
res = boto3.resource("s3")
res.Object("bkt", "res/obj.csv").put(Body=src.to_csv(index=False))
pd.read_csv(res.Object("bkt", "res/obj.csv").get()["Body"]).to_csv("from_resource.csv", index=False)
res.Bucket("bkt").upload_file("staging.parquet", "res/staging.parquet")
res.Object("bkt", "res/copied.csv").copy_from(CopySource={"Bucket": "bkt", "Key": "res/obj.csv"})
list(res.Bucket("bkt").objects.filter(Prefix="res/"))
url = s3.generate_presigned_url("get_object", Params={"Bucket": "bkt", "Key": "res/obj.csv"})
print("done")
"""


@pytest.fixture(scope="module")
def job(s3_server, tmp_path_factory):
    s3_server.reset()
    workdir = tmp_path_factory.mktemp("boto3")
    (workdir / "orders.csv").write_text("id,customer,amount\n1,ann,1.5\n2,bob,2.5\n3,cid,3.5\n")
    result = run_job(JOB, workdir, s3_server, label="boto3")
    assert result.proc.returncode == 0, result.proc.stderr
    assert "done" in result.stdout
    return result


COLS = ["id", "customer", "amount"]
SCHEMA = [("id", "int64"), ("customer", "str"), ("amount", "float64")]


def orders(job):
    return job.path("orders.csv")


@pytest.mark.parametrize("key", ["raw/str.csv", "raw/bytes.parquet", "raw/buf.parquet", "raw/text.jsonl",
                                 "raw/returned.json",
                                 "up/fileobj.csv", "res/obj.csv", "mpu/out.parquet"])
def test_bytes_written_by_pandas_carry_the_frame(job, key):
    out = job.output(key, B)
    assert schema(out) == SCHEMA
    assert lineage(out) == identity("file", orders(job), COLS)


def test_put_object_actions(job):
    assert actions(job.output("raw/str.csv", B)) == {("s3:PutObject", "boto3 put_object", "OBJECT"): 1}
    assert actions(job.output("mpu/out.parquet", B)) == {
        ("s3:PutObject", "boto3 complete_multipart_upload", "OBJECT"): 3}
    assert len(job.running("mpu/out.parquet")) == 1


def test_unknown_bytes_are_a_dataset_without_columns(job):
    out = job.output("raw/unknown.bin", B)
    assert schema(out) == [] and lineage(out) == {}


def test_get_object_body_and_bytes_read_as_the_object(job):
    assert lineage(job.output(job.path("from_body.parquet"), "file")) == identity(B, "raw/str.csv", COLS)
    assert lineage(job.output(job.path("from_bytes.csv"), "file")) == identity(B, "raw/buf.parquet", COLS)
    read = job.input("raw/str.csv", B)
    assert schema(read) == SCHEMA
    assert ("s3:GetObject", "boto3 get_object", "OBJECT") in actions(read)


def test_upload_file_of_a_staging_file_passes_its_lineage_on(job):
    out = job.output("up/staging.parquet", B)
    assert lineage(out) == identity("file", orders(job), COLS)
    assert job.dataset("inputs", job.path("staging.parquet")) is None
    assert actions(out) == {("s3:PutObject", "boto3 upload_file", "OBJECT"): 1}


def test_upload_file_of_an_input_file_copies_it(job):
    out = job.output("up/orders.csv", B)
    assert lineage(out) == identity("file", orders(job), COLS)
    local = job.input(orders(job), "file")
    assert ("read", "boto3 upload_file", None) in actions(local)


def test_downloaded_copies_read_as_the_s3_object(job):
    assert lineage(job.output(job.path("from_download.csv"), "file")) == identity(B, "up/staging.parquet", COLS)
    assert lineage(job.output(job.path("from_fileobj.csv"), "file")) == identity(B, "raw/str.csv", COLS)
    read = job.input("up/staging.parquet", B)
    assert ("s3:GetObject", "boto3 download_file", "OBJECT") in actions(read)
    assert job.dataset("inputs", job.path("downloaded.parquet")) is None
    assert lineage(job.output("up/reuploaded.parquet", B)) == identity(B, "up/staging.parquet", COLS)


def test_copies_are_dataset_lineage_with_identity_columns(job):
    copy = job.output("copies/copy.csv", B)
    assert lineage(copy) == identity(B, "raw/str.csv", COLS)
    assert ("s3:PutObject", "boto3 copy_object", "OBJECT") in actions(copy)
    managed = job.output("copies/managed.parquet", B)
    assert lineage(managed) == identity(B, "raw/bytes.parquet", COLS)
    source = job.input("raw/bytes.parquet", B)
    assert ("s3:GetObject", "boto3 copy", "OBJECT") in actions(source)
    event = job.running("copies/copy.csv")[0]
    assert [d["name"] for d in event["inputs"]] == ["raw/str.csv"]
    assert lineage(job.output("res/copied.csv", B)) == identity(B, "res/obj.csv", COLS)


def test_metadata_accesses(job):
    # on datasets the job also reads, the privilege joins the input's access facet
    assert ("s3:GetObject", "boto3 head_object", "OBJECT") in actions(job.input("raw/str.csv", B))
    assert ("s3:GetObject", "boto3 select_object_content", "OBJECT") in actions(job.input("raw/str.csv", B))
    assert ("s3:GetObject", "boto3 generate_presigned_url", "OBJECT") in actions(job.input("res/obj.csv", B))
    # listings and an aborted upload are metadata accesses (a run facet), never inputs or outputs
    assert job.metadata("raw", B) == {("s3:ListBucket", "boto3 list_objects_v2", "BUCKET"): 1}
    assert job.metadata("res", B) == {("s3:ListBucket", "boto3 list_objects", "BUCKET"): 1}
    assert job.metadata("mpu/aborted", B) == {("s3:AbortMultipartUpload", "boto3 abort_multipart_upload",
                                                "OBJECT"): 1}
    for name in ("raw", "res"):
        assert job.dataset("inputs", name, B) is None and job.dataset("outputs", name, B) is None
    assert job.dataset("inputs", "mpu/aborted", B) is None


def test_deletes_are_outputs_dropped(job):
    for key, api in (("raw/unknown.bin", "boto3 delete_object"), ("copies/copy.csv", "boto3 delete_objects"),
                     ("mpu/aborted", "boto3 delete_objects")):
        out = job.output(key, B)
        assert out["facets"]["lifecycleStateChange"]["lifecycleStateChange"] == "DROP", key
        assert ("s3:DeleteObject", api, "OBJECT") in actions(out), key


def test_resource_api(job):
    assert lineage(job.output(job.path("from_resource.csv"), "file")) == identity(B, "res/obj.csv", COLS)
    assert lineage(job.output("res/staging.parquet", B)) == identity("file", orders(job), COLS)


def test_events_valid(job, spec_checker):
    assert job.internal_errors() == {}
    assert job.failed() == set()
    assert_valid(job.events, spec_checker)
    for event in job.events:
        assert marquez_gaps(event) == []
