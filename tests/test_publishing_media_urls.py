"""Where networks and feed readers fetch attached images from, on local and S3 storage."""

from __future__ import annotations

from django.test import override_settings

from cluetrain.publishing.media import public_url


@override_settings(BASE_URL="https://social.example.com")
def test_a_local_media_path_gets_the_public_base_address() -> None:
    assert (
        public_url("/media/posts/ab/cd.png") == "https://social.example.com/media/posts/ab/cd.png"
    )


@override_settings(BASE_URL="https://social.example.com")
def test_an_absolute_bucket_address_is_used_as_it_is() -> None:
    signed = "https://bucket.s3.example.net/posts/ab/cd.png?X-Amz-Signature=f00"
    assert public_url(signed) == signed
    assert public_url("http://minio:9000/media/cd.png") == "http://minio:9000/media/cd.png"
