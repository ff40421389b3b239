"""The citizens' files on S3-compatible object storage, as several nodes share them: uploads
and issued e-licences are written to a private bucket over the S3 protocol (a local S3
server, moto's), nothing on the local disk, and served only through the portal's own views to
those entitled."""

import uuid

import boto3
import pytest
from django.test import Client
from moto.server import ThreadedMotoServer

from portal import settings as portal_settings
from portal.embedded import _free_port
from services.records.models import Upload, WalletDocument
from tests.casework.helpers import approve_all
from tests.factories import MARRIAGE, SAMPLE_PDF, CitizenFactory
from tests.records.test_licences import _apply

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="session")
def s3_endpoint():
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch, tmp_path):
    name = f"portal-{uuid.uuid4().hex[:12]}"
    for variable, value in {
        "S3_ENDPOINT_URL": s3_endpoint,
        "S3_REGION": "cn-north-1",
        "S3_ACCESS_KEY_ID": "portal-test",
        "S3_SECRET_ACCESS_KEY": "portal-test-secret",
    }.items():
        monkeypatch.setenv(variable, value)
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="cn-north-1",
        aws_access_key_id="portal-test",
        aws_secret_access_key="portal-test-secret",
    )
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "cn-north-1"})
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": portal_settings.file_storage(name)}
    return client, name


def test_uploads_and_licences_live_in_the_private_bucket_and_reach_only_their_owner(
    demo, bucket, django_capture_on_commit_callbacks, settings
):
    s3, name = bucket
    citizen = demo["13800138001"]
    application = _apply(citizen, "marriage-registration", MARRIAGE, django_capture_on_commit_callbacks)
    approve_all(application, demo, django_capture_on_commit_callbacks)

    upload = Upload.objects.filter(application=application).first()
    licence = WalletDocument.objects.get(application=application)
    keys = {item["Key"] for item in s3.list_objects_v2(Bucket=name)["Contents"]}
    assert {upload.file.name, licence.file.name} <= keys
    assert s3.get_object(Bucket=name, Key=upload.file.name)["Body"].read() == SAMPLE_PDF
    stored = s3.get_object(Bucket=name, Key=licence.file.name)
    assert stored["Body"].read().startswith(b"%PDF")
    assert stored["ServerSideEncryption"] == "AES256"
    # Private: only the bucket's owner is granted anything; no grant to everyone.
    for key in (upload.file.name, licence.file.name):
        grants = s3.get_object_acl(Bucket=name, Key=key)["Grants"]
        assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]
        assert all("URI" not in grant["Grantee"] for grant in grants)
    assert not settings.MEDIA_ROOT.exists() or not any(settings.MEDIA_ROOT.rglob("*.*"))

    owner = Client()
    owner.force_login(citizen)
    download = owner.get(f"/files/{upload.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == SAMPLE_PDF
    wallet = owner.get(f"/my/wallet/{licence.pk}/file/")
    assert wallet.status_code == 200 and b"".join(wallet.streaming_content).startswith(b"%PDF")

    stranger = Client()
    stranger.force_login(CitizenFactory())
    assert stranger.get(f"/files/{upload.pk}/").status_code == 404
    assert stranger.get(f"/my/wallet/{licence.pk}/file/").status_code == 404
