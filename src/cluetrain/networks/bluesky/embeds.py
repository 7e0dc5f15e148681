"""What a Bluesky post can carry besides its text: images, a quoted post, a link card.

Every check here runs before any network call, so content Bluesky would refuse is refused
without uploading anything. Building the embeds themselves is left to the connector, which
holds the uploaded blobs and the quoted post's content hash.
"""

from __future__ import annotations

from typing import Any

from cluetrain.networks.base import ContentRejected, LinkCard, Media

MAX_IMAGES = 4
# The app.bsky.embed.images lexicon's maxSize for one image.
MAX_IMAGE_BYTES = 1_000_000
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")

IMAGES = "app.bsky.embed.images"
RECORD = "app.bsky.embed.record"
RECORD_WITH_MEDIA = "app.bsky.embed.recordWithMedia"
EXTERNAL = "app.bsky.embed.external"


def check_media(media: tuple[Media, ...]) -> None:
    """Refuse images that Bluesky would refuse, saying which and why."""
    if len(media) > MAX_IMAGES:
        raise ContentRejected(
            f"A Bluesky post holds at most {MAX_IMAGES} images; this one has {len(media)}."
        )
    for number, image in enumerate(media, start=1):
        name = image.filename or f"image {number}"
        if image.content_type not in IMAGE_TYPES:
            raise ContentRejected(
                f"Bluesky takes JPEG, PNG, WebP and GIF images; {name} is "
                f"{image.content_type or 'of an unknown type'}."
            )
        if len(image.data) > MAX_IMAGE_BYTES:
            raise ContentRejected(
                f"Bluesky takes images of at most 1 MB; {name} is "
                f"{len(image.data) / 1_000_000:.1f} MB. Make it smaller and try again."
            )


def strong_ref(uri: str, cid: str) -> dict[str, str]:
    return {"uri": uri, "cid": cid}


def images_embed(media: tuple[Media, ...], blobs: list[dict[str, Any]]) -> dict[str, Any]:
    """The images embed for ``media``, whose uploaded blobs are ``blobs`` in the same order."""
    images = []
    for image, blob in zip(media, blobs, strict=True):
        entry: dict[str, Any] = {"image": blob, "alt": image.alt_text}
        if image.width and image.height:
            # Lets apps lay the post out before the image has loaded.
            entry["aspectRatio"] = {"width": image.width, "height": image.height}
        images.append(entry)
    return {"$type": IMAGES, "images": images}


def quote_embed(quoted: dict[str, str], images: dict[str, Any] | None) -> dict[str, Any]:
    """The embed quoting the post ``quoted`` (a strong ref), with ``images`` when there are."""
    record = {"$type": RECORD, "record": quoted}
    if images is None:
        return record
    return {"$type": RECORD_WITH_MEDIA, "record": record, "media": images}


def link_embed(link: LinkCard) -> dict[str, Any]:
    return {
        "$type": EXTERNAL,
        "external": {"uri": link.url, "title": link.title, "description": link.description},
    }
