"""Images attached to posts: checked by their content, re-encoded, and fitted for every network.

An upload is never trusted by its name or its declared type: Pillow must recognise it as one of
the accepted formats. It is then re-encoded, which drops metadata a person rarely means to
share (a phone photo's GPS position) and fits it under Bluesky's 1 MB blob limit.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from cluetrain.core.errors import ServiceError

ACCEPTED = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
MAX_UPLOAD_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding them
MAX_SIDE = 2000  # what Bluesky shows at full size
MAX_OUTPUT_BYTES = 1_000_000  # Bluesky's blob limit for images, the strictest network
MAX_ALT = 1500  # Mastodon's limit for a description, the strictest network
MAX_ATTACHED = 4


@dataclass(frozen=True)
class PreparedImage:
    data: bytes
    content_type: str
    width: int
    height: int
    suffix: str


def check_alt(alt_text: str) -> str:
    alt_text = " ".join((alt_text or "").split())
    if not alt_text:
        raise ServiceError(
            "Every image needs a description (alt text) for people who cannot see it.",
            code="alt_missing",
        )
    if len(alt_text) > MAX_ALT:
        raise ServiceError(
            f"An image description can be at most {MAX_ALT} characters.", code="alt_too_long"
        )
    return alt_text


def prepare_image(data: bytes, filename: str = "") -> PreparedImage:
    """Check an uploaded image and re-encode it; raise ``ServiceError`` saying what is wrong."""
    name = filename or "The file"
    if not data:
        raise ServiceError(f"{name} is empty.", code="media_empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ServiceError(
            f"{name} is {len(data) / 1e6:.1f} MB; images can be at most "
            f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB.",
            code="media_too_big",
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format or ""
            width, height = probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ServiceError(
            f"{name} is not an image Cluetrain can publish (JPEG, PNG, WebP or GIF).",
            code="media_type",
        ) from exc
    if kind not in ACCEPTED:
        raise ServiceError(
            f"{name} is a {kind or 'file of unknown type'}; use JPEG, PNG, WebP or GIF.",
            code="media_type",
        )
    if width * height > MAX_PIXELS:
        raise ServiceError(f"{name} has too many pixels ({width} x {height}).", code="media_big")
    if kind == "GIF":
        # Animated GIFs are kept as they are (re-encoding would lose the animation).
        if len(data) > MAX_OUTPUT_BYTES:
            raise ServiceError(f"{name}: a GIF can be at most 1 MB.", code="media_too_big")
        return PreparedImage(data, ACCEPTED[kind], width, height, "gif")
    with Image.open(io.BytesIO(data)) as opened:
        image: Image.Image = ImageOps.exif_transpose(opened)
        image.thumbnail((MAX_SIDE, MAX_SIDE))
        keep_png = kind == "PNG" and image.mode in ("RGBA", "LA", "P")
        encoded = _fit(image, keep_png)
        if encoded is None:
            raise ServiceError(f"{name} cannot be made small enough to publish.", code="media_big")
        data, keep_png, image = encoded
        content_type, suffix = ("image/png", "png") if keep_png else ("image/jpeg", "jpg")
        return PreparedImage(data, content_type, image.width, image.height, suffix)


def _fit(image: Image.Image, keep_png: bool) -> tuple[bytes, bool, Image.Image] | None:
    """Encode under ``MAX_OUTPUT_BYTES``: lower JPEG quality first, then smaller sizes."""
    for _ in range(6):
        if keep_png:
            out = io.BytesIO()
            image.save(out, "PNG", optimize=True)
            if out.tell() <= MAX_OUTPUT_BYTES:
                return out.getvalue(), True, image
            keep_png = False  # PNG cannot trade quality for size: fall back to JPEG
        rgb = image.convert("RGB")
        for quality in (88, 78, 68, 58):
            out = io.BytesIO()
            rgb.save(out, "JPEG", quality=quality, optimize=True)
            if out.tell() <= MAX_OUTPUT_BYTES:
                return out.getvalue(), False, rgb
        image = image.resize((max(1, image.width * 3 // 4), max(1, image.height * 3 // 4)))
    return None


def public_url(stored_url: str) -> str:
    """The address a network or a feed reader fetches an attached image from.

    Local storage gives a path under the media URL, which needs the public base address in
    front; S3-compatible storage gives an absolute address (the bucket's public URL or a
    signed link), used as it is.
    """
    from django.conf import settings

    if stored_url.startswith(("http://", "https://")):
        return stored_url
    return settings.BASE_URL + stored_url
