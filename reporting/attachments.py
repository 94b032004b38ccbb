"""The annual report's attachments are checked by the shared upload checks (core/attachments.py),
which the staff records use too; the names stay importable from here."""

from __future__ import annotations

from core.attachments import (
    COMPRESS_PIXELS,
    IMAGE_TYPES,
    MAGIC,
    MIN_SIDE,
    ONLINE_LIMIT,
    QUALITIES,
    SHRINK,
    SIZE_LIMIT,
    AttachmentRefused,
    Checked,
    check,
    clean_name,
    compress,
    sniff,
    too_large,
)

__all__ = [
    "COMPRESS_PIXELS",
    "IMAGE_TYPES",
    "MAGIC",
    "MIN_SIDE",
    "ONLINE_LIMIT",
    "QUALITIES",
    "SHRINK",
    "SIZE_LIMIT",
    "AttachmentRefused",
    "Checked",
    "check",
    "clean_name",
    "compress",
    "sniff",
    "too_large",
]
