"""Uploaded images are judged by their bytes, never by the name or type the browser claims."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from cluetrain.core.errors import ServiceError
from cluetrain.publishing.media import MAX_UPLOAD_BYTES, prepare_image


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 200, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        b"<html><script>alert(1)</script></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"%PDF-1.4 not an image",
        png_bytes()[:40],  # a PNG cut short
    ],
)
def test_a_file_that_is_not_a_whole_image_is_refused_whatever_its_name(data: bytes) -> None:
    with pytest.raises(ServiceError) as refused:
        prepare_image(data, "holiday.png")
    assert refused.value.code == "media_type"


def test_an_image_is_stored_with_the_type_its_bytes_say_not_the_name() -> None:
    prepared = prepare_image(png_bytes(), "page.html")
    with Image.open(io.BytesIO(prepared.data)) as stored:
        assert prepared.content_type == f"image/{stored.format.lower()}"
    assert prepared.suffix in ("png", "jpg")


def test_an_image_with_html_appended_is_re_encoded_without_it() -> None:
    prepared = prepare_image(png_bytes() + b"<script>alert(1)</script>", "x.png")
    assert b"<script>" not in prepared.data


def test_an_upload_over_the_size_limit_is_refused_before_decoding() -> None:
    with pytest.raises(ServiceError) as refused:
        prepare_image(b"\x89PNG" + b"\0" * MAX_UPLOAD_BYTES, "big.png")
    assert refused.value.code == "media_too_big"


def test_a_small_file_that_decodes_to_too_many_pixels_is_refused_before_decoding() -> None:
    # A decompression bomb: a few kilobytes on disk, 48 million pixels once decoded.
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, "PNG")
    assert len(out.getvalue()) < MAX_UPLOAD_BYTES // 100
    with pytest.raises(ServiceError) as refused:
        prepare_image(out.getvalue(), "tiny.png")
    assert refused.value.code == "media_big"
    assert "8000 x 6000" in refused.value.message
