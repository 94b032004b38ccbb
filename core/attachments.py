"""What an uploaded attachment really is, whatever its name says: a PDF, a PNG or a JPEG, within
the size limit, and for an image, not a decompression bomb; an image may be made small enough
for 事业单位在线 (about 100 KB a file).

Shared by every app that keeps uploaded files (a filing's attachments, a training certificate):
one set of checks, in core so that staff and reporting both reach it.

Everything here reads bytes and raises AttachmentRefused with a message for the page; nothing
is stored.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, ImageFile, UnidentifiedImageError

from core.errors import DomainError
from core.text import strip_control_chars

SIZE_LIMIT = 10 * 1024 * 1024  # what one upload may be, before any compression
ONLINE_LIMIT = 100 * 1024  # what 事业单位在线 accepts for an image
# (content type, the bytes it starts with); a name's extension is never trusted.
MAGIC = (
    ("application/pdf", b"%PDF-"),
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", b"\xff\xd8\xff"),
)
IMAGE_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG"}
# Compression tries these JPEG qualities, then shrinks the picture, until the file fits.
QUALITIES = (85, 70, 55, 40)
SHRINK = 0.75
MIN_SIDE = 400  # a page scan smaller than this is no longer legible


# Pixels an image may have to be compressed here: an A4 page scanned at 600 dpi is 35 Mpx;
# decoding more would cost a worker hundreds of MB (Pillow decodes the whole image).
COMPRESS_PIXELS = 36_000_000
JPEG_SIDE = 65_500  # the longest side a JPEG can have


class AttachmentRefused(DomainError):
    """The upload is not a file we accept; the message says why, in words."""


@dataclass(frozen=True)
class Checked:
    content: bytes
    content_type: str
    compressed: bool

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def sniff(head: bytes) -> str | None:
    """The content type the first bytes prove, or None."""
    return next((kind for kind, magic in MAGIC if head.startswith(magic)), None)


@contextmanager
def _strict_decoding() -> Iterator[None]:
    """Pillow as it is by default: WeasyPrint, once imported, sets LOAD_TRUNCATED_IMAGES for the
    whole process, and a damaged upload then decodes to black instead of being refused.
    (Workers are single-threaded: gunicorn's sync workers, Celery's prefork pool.)"""
    before, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before


def _open_image(content: bytes) -> Image.Image:
    """The image, opened with Pillow's decompression-bomb check made an error at its first level
    (MAX_IMAGE_PIXELS), not a warning, and decoded if it is small enough to be compressed here
    (verify() checks the chunks, not the picture data); a file Pillow cannot read is refused."""
    with warnings.catch_warnings(), _strict_decoding():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(content))
            image.verify()  # a truncated or corrupt file fails here
            image = Image.open(io.BytesIO(content))  # verify() leaves the image unusable
            if image.width * image.height <= COMPRESS_PIXELS:
                image.load()  # damaged picture data fails here
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise AttachmentRefused(
                _(
                    "The image is too large in pixels to be opened safely; scan it at a lower "
                    "resolution."
                )
            ) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise AttachmentRefused(_("The image is damaged and cannot be read.")) from None
    return image


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: JPEG has no transparency, and a palette image cannot be saved as JPEG."""
    image = image.convert("RGBA") if image.mode in ("P", "LA", "RGBA", "PA") else image
    if image.mode == "RGBA":
        page = Image.new("RGB", image.size, "white")
        page.paste(image, mask=image.getchannel("A"))
        return page
    return image.convert("RGB")


def compress(content: bytes) -> bytes:
    """The image as a JPEG of at most ONLINE_LIMIT bytes: lower quality first, then smaller."""
    image = _open_image(content)
    if max(image.size) > JPEG_SIDE:
        raise AttachmentRefused(
            _("The image is %(side)s pixels long; a compressed image is at most %(most)s.")
            % {"side": max(image.size), "most": JPEG_SIDE}
        )
    if image.width * image.height > COMPRESS_PIXELS:
        raise AttachmentRefused(
            _(
                "The image has too many pixels to be compressed here (at most %(mpx)s million); "
                "scan it at a lower resolution."
            )
            % {"mpx": COMPRESS_PIXELS // 1_000_000}
        )
    image = _flatten(image)
    while True:
        for quality in QUALITIES:
            out = io.BytesIO()
            try:
                image.save(out, "JPEG", quality=quality, optimize=True)
            except (OSError, ValueError):  # a shape JPEG cannot hold: said, never a 500
                raise AttachmentRefused(_("The image cannot be compressed.")) from None
            if out.tell() <= ONLINE_LIMIT:
                return out.getvalue()
        width, height = image.size
        if min(width, height) * SHRINK < MIN_SIDE:
            raise AttachmentRefused(
                _(
                    "The image cannot be made as small as 100 KB and stay legible; crop it or "
                    "scan it in black and white."
                )
            )
        image = image.resize((int(width * SHRINK), int(height * SHRINK)), Image.LANCZOS)


EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}


def clean_name(name: str, content_type: str, limit: int) -> str:
    """The uploader's file name for display: no folders, no control characters, at most `limit`
    characters, and ending in the extension of what the file really is ("report.html" that is
    a PDF is "report.html.pdf"; a compressed PNG is a JPEG now; 事业单位在线 goes by it)."""
    base = strip_control_chars(name.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    base = base or _("attachment")
    extension = EXTENSIONS.get(content_type, "")
    if extension:
        stem, dot, old = base.rpartition(".")
        if dot and old.lower() in ("pdf", "png", "jpg", "jpeg", "exe", "bin", "tif", "tiff"):
            base = stem or base
        if extension == ".jpg" and base.lower().endswith((".jpg", ".jpeg")):
            extension = ""
    return base[: limit - len(extension)] + extension


def too_large() -> AttachmentRefused:
    return AttachmentRefused(
        _("The file is larger than %(mb)s MB; scan it at a lower resolution.")
        % {"mb": SIZE_LIMIT // (1024 * 1024)}
    )


def check(content: bytes, *, compress_image: bool = False) -> Checked:
    """The upload's bytes as we keep them, or AttachmentRefused saying what is wrong."""
    if len(content) > SIZE_LIMIT:
        raise too_large()
    if not content:
        raise AttachmentRefused(_("The file is empty."))
    kind = sniff(content[:16])
    if kind is None:
        raise AttachmentRefused(
            _(
                "Only PDF files and PNG or JPEG images can be attached; this file is neither, "
                "whatever its name says."
            )
        )
    if kind == "application/pdf":
        if compress_image:
            raise AttachmentRefused(
                _("Only images can be compressed; attach the PDF without compression.")
            )
        return Checked(content, kind, False)
    _open_image(content)
    if compress_image and len(content) > ONLINE_LIMIT:
        return Checked(compress(content), "image/jpeg", True)
    return Checked(content, kind, False)
