"""Media storage settings: the data folder by default, an S3-compatible bucket when configured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

SHOW = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "from django.core.files.storage import storages; "
    "print(json.dumps({'backend': s.STORAGES['default']['BACKEND'], "
    "'options': s.STORAGES['default'].get('OPTIONS', {}), "
    "'class': type(storages['default']).__name__}))"
)


def start(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CLUETRAIN_", "DATABASE_", "REDIS_", "AWS_"))
    }
    clean["CLUETRAIN_DATA_DIR"] = str(tmp_path / "data")
    clean["DJANGO_SETTINGS_MODULE"] = "cluetrain.settings"
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", SHOW], env=clean, capture_output=True, text=True, timeout=60
    )


def shown(tmp_path: Path, **env: str) -> dict[str, Any]:
    result = start(tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_media_stays_in_the_data_folder_by_default(tmp_path: Path) -> None:
    storage = shown(tmp_path)
    assert storage["backend"] == "django.core.files.storage.FileSystemStorage"


def test_a_bucket_puts_media_on_s3_compatible_storage(tmp_path: Path) -> None:
    storage = shown(
        tmp_path,
        CLUETRAIN_MEDIA_S3_BUCKET="cluetrain-media",
        CLUETRAIN_MEDIA_S3_ENDPOINT="http://minio:9000",
        CLUETRAIN_MEDIA_S3_ACCESS_KEY="cluetrain",
        CLUETRAIN_MEDIA_S3_SECRET_KEY="very-secret",
        CLUETRAIN_MEDIA_S3_PREFIX="/media/",
    )
    assert storage["backend"] == "storages.backends.s3.S3Storage"
    assert storage["class"] == "S3Storage"
    options = storage["options"]
    assert options["bucket_name"] == "cluetrain-media"
    assert options["endpoint_url"] == "http://minio:9000"
    assert options["location"] == "media"
    # A self-hosted store wants the bucket in the path; links are signed without a public URL.
    assert options["addressing_style"] == "path"
    assert options["querystring_auth"] is True
    assert options["custom_domain"] is None


def test_a_public_url_gives_lasting_unsigned_links(tmp_path: Path) -> None:
    options = shown(
        tmp_path,
        CLUETRAIN_MEDIA_S3_BUCKET="media.example.com",
        CLUETRAIN_MEDIA_S3_PUBLIC_URL="https://cdn.example.com/social/",
    )["options"]
    assert options["custom_domain"] == "cdn.example.com/social"
    assert options["url_protocol"] == "https:"
    assert options["querystring_auth"] is False
    assert options["endpoint_url"] is None  # AWS itself
    assert options["addressing_style"] == "auto"
    assert options["access_key"] is None  # boto3's own chain (instance role, AWS_*)


def test_the_secret_key_may_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "s3-secret"
    secret.write_text("from-a-file\n")
    options = shown(
        tmp_path,
        CLUETRAIN_MEDIA_S3_BUCKET="cluetrain-media",
        CLUETRAIN_MEDIA_S3_ACCESS_KEY="cluetrain",
        CLUETRAIN_MEDIA_S3_SECRET_KEY_FILE=str(secret),
    )["options"]
    assert options["secret_key"] == "from-a-file"


def refused(tmp_path: Path, **env: str) -> str:
    result = start(tmp_path, **env)
    assert result.returncode != 0
    return result.stderr.strip().splitlines()[-1]


def test_bad_storage_values_stop_start_up_naming_the_variable(tmp_path: Path) -> None:
    bucket = {"CLUETRAIN_MEDIA_S3_BUCKET": "cluetrain-media"}
    cases = [
        ({"CLUETRAIN_MEDIA_S3_BUCKET": "Not_A_Bucket"}, "CLUETRAIN_MEDIA_S3_BUCKET: a bucket"),
        ({"CLUETRAIN_MEDIA_S3_BUCKET": "ab"}, "CLUETRAIN_MEDIA_S3_BUCKET: a bucket"),
        (
            {"CLUETRAIN_MEDIA_S3_ENDPOINT": "http://minio:9000"},
            "CLUETRAIN_MEDIA_S3_BUCKET: required when CLUETRAIN_MEDIA_S3_ENDPOINT",
        ),
        (
            {**bucket, "CLUETRAIN_MEDIA_S3_ENDPOINT": "minio:9000"},
            "CLUETRAIN_MEDIA_S3_ENDPOINT: expected http(s)://",
        ),
        (
            {**bucket, "CLUETRAIN_MEDIA_S3_PUBLIC_URL": "ftp://cdn.example.com"},
            "CLUETRAIN_MEDIA_S3_PUBLIC_URL: expected http(s)://",
        ),
        (
            {**bucket, "CLUETRAIN_MEDIA_S3_ACCESS_KEY": "only-half"},
            "set both or neither",
        ),
        ({**bucket, "CLUETRAIN_MEDIA_S3_PREFIX": "media/../etc"}, "CLUETRAIN_MEDIA_S3_PREFIX"),
        (
            {**bucket, "CLUETRAIN_MEDIA_S3_ADDRESSING": "sideways"},
            "CLUETRAIN_MEDIA_S3_ADDRESSING: expected one of",
        ),
    ]
    for env, message in cases:
        line = refused(tmp_path, **env)
        assert "ImproperlyConfigured" in line, env
        assert message in line, (env, line)
