"""File storage for the fake server: ids, ``getFile`` paths and downloadable bytes.

Everything a user "sends" (photos, documents, voice...) and everything the bot uploads is
registered here so ``getFile`` + ``GET /file/bot<token>/<path>`` work end to end, and so the
bot can re-send a ``file_id`` it received, exactly like on Telegram.
"""

from __future__ import annotations

import io
import itertools
import secrets
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image  # installed with matplotlib, a project dependency

__all__ = ["MAX_DOWNLOAD_SIZE", "FileStore", "StoredFile", "image_size", "jpeg_bytes"]

#: Bots may only download files up to 20 MB through the public Bot API.
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024

_COLORS = [
    (200, 60, 60),
    (60, 160, 60),
    (60, 90, 200),
    (220, 180, 40),
    (150, 60, 170),
    (40, 170, 170),
    (230, 120, 30),
    (120, 120, 120),
]


@lru_cache(maxsize=64)
def jpeg_bytes(width: int, height: int, color_index: int = 0) -> bytes:
    """A real JPEG of the given size (cached: solid colours compress to a few KB).

    A *valid* image matters because bots commonly open downloaded photos with Pillow.
    """
    img = Image.new("RGB", (max(width, 1), max(height, 1)), _COLORS[color_index % len(_COLORS)])
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=60)
    return buf.getvalue()


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of an uploaded image, or ``None`` if it is not one Pillow can read."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.size
    except Exception:
        return None


@dataclass(slots=True)
class StoredFile:
    """A file known to the server.  ``file_size`` may be faked larger than ``content``."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    file_size: int
    mime_type: str | None = None
    file_name: str | None = None
    width: int | None = None
    height: int | None = None

    def get_file_result(self) -> dict[str, object]:
        """The ``File`` object returned by getFile."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }


# Telegram file_id prefixes differ per type; mimic them loosely so ids "look right" in logs.
_ID_PREFIX = {
    "photos": "AgACAgUAAxkBAAI",
    "documents": "BQACAgUAAxkBAAI",
    "voice": "AwACAgUAAxkBAAI",
    "stickers": "CAACAgUAAxkBAAI",
    "videos": "BAACAgUAAxkBAAI",
}


class FileStore:
    """Registry of files by ``file_id`` and by download path."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._photo_groups: dict[str, list[dict[str, object]]] = {}
        self._counter = itertools.count(1)
        self._salt = secrets.token_hex(3)

    def add(
        self,
        content: bytes,
        *,
        folder: str,
        ext: str,
        mime_type: str | None = None,
        file_name: str | None = None,
        file_size: int | None = None,
        width: int | None = None,
        height: int | None = None,
    ) -> StoredFile:
        """Register bytes and return the new :class:`StoredFile` with unique ids."""
        n = next(self._counter)
        prefix = _ID_PREFIX.get(folder, "BQACAgUAAxkBAAI")
        stored = StoredFile(
            file_id=f"{prefix}{self._salt}{n:06d}{secrets.token_urlsafe(12)}",
            file_unique_id=f"AQAD{self._salt}{n:06d}",
            file_path=f"{folder}/file_{n}.{ext}",
            content=content,
            file_size=len(content) if file_size is None else file_size,
            mime_type=mime_type,
            file_name=file_name,
            width=width,
            height=height,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        """Look a file up by ``file_id``."""
        return self._by_id.get(file_id)

    def photo_group(self, file_id: str) -> list[dict[str, object]] | None:
        """All ``PhotoSize`` dicts of the photo one of whose sizes has ``file_id``."""
        return self._photo_groups.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        """Look a file up by the ``file_path`` handed out by getFile."""
        return self._by_path.get(file_path)

    def photo_sizes(
        self,
        width: int,
        height: int,
        *,
        content: bytes | None = None,
        file_size: int | None = None,
    ) -> list[dict[str, object]]:
        """Three ``PhotoSize`` dicts (thumbnail, medium, full) like Telegram sends.

        With ``content`` (a bot upload) every size serves those bytes; otherwise a JPEG of
        each size is generated.  ``file_size`` overrides the *largest* size's reported size so
        tests can fake a photo too big to download.
        """
        color = next(self._counter) % len(_COLORS)
        sizes = []
        long_side = max(width, height, 1)
        for i, target in enumerate((90, 320, long_side)):
            scale = min(1.0, target / long_side)
            w, h = max(1, round(width * scale)), max(1, round(height * scale))
            data = content if content is not None else jpeg_bytes(w, h, color)
            is_last = i == 2
            stored = self.add(
                data,
                folder="photos",
                ext="jpg",
                mime_type="image/jpeg",
                file_size=file_size if (is_last and file_size is not None) else None,
                width=w,
                height=h,
            )
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": w,
                    "height": h,
                    "file_size": stored.file_size,
                }
            )
        for size in sizes:
            self._photo_groups[str(size["file_id"])] = sizes
        return sizes
