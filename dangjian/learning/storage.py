"""Where uploaded learning media live: outside MEDIA_ROOT, so that only the scope-checked view serves them."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def private_root() -> Path:
    """``LEARNING_MEDIA_ROOT`` if set, else ``<VAR_DIR>/private/learning`` (never under the public /media/)."""
    configured = getattr(settings, "LEARNING_MEDIA_ROOT", "")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "private" / "learning"


class PrivateStorage(FileSystemStorage):
    """A file system storage without a public URL whose root is read from settings on every use."""

    @property  # type: ignore[override]
    def base_location(self) -> str:
        return os.fspath(private_root())

    @property  # type: ignore[override]
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @property  # type: ignore[override]
    def base_url(self) -> str:
        return ""


private_storage = PrivateStorage()


def get_private_storage() -> PrivateStorage:
    """The storage of Resource.file (a callable, so migrations do not serialise the instance)."""
    return private_storage
