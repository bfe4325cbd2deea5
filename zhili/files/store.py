"""Photo storage for cases: checked by content, stored once by SHA-256, with a small JPEG thumbnail.

Invariants: a stored file is complete (written to a temporary file in the same folder, then renamed); a stored
photo decoded fully as JPEG, PNG or WEBP within the byte and pixel limits; identical bytes are stored once. Bad
bytes are always a ValidationFailed(field="photos") naming the file and the problem, never another exception.
Paths are only built from a 64-hex-digit digest, so no caller can reach outside `var/files`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from zhili.config import Settings
from zhili.kit.errors import NotFound, ValidationFailed

FIELD = "photos"
MAX_PIXELS = 50_000_000  # 50 MP: larger than any phone photo, small enough to decode safely
THUMB_SIZE = 320
# Pillow format -> (mime, extension). MPO is the multi-picture JPEG many phone cameras write.
FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "MPO": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
EXTENSIONS = frozenset(ext for _, ext in FORMATS.values())
_SHA = re.compile(r"^[0-9a-f]{64}$")
_ROTATED = {5, 6, 7, 8}  # EXIF orientations that swap width and height


@dataclass(frozen=True)
class StoredPhoto:
    sha256: str
    mime: str
    size: int
    width: int  # as displayed (EXIF orientation applied)
    height: int
    ext: str


def _label(filename: str) -> str:
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    return (name[:80] + "…") if len(name) > 80 else (name or "未命名文件")


def _invalid(filename: str, problem: str) -> ValidationFailed:
    return ValidationFailed(f"照片“{_label(filename)}”{problem}", field=FIELD)


def _limit_text(limit: int) -> str:
    mb = limit / (1024 * 1024)
    return f"{mb:.1f}".removesuffix(".0") + " MB" if mb >= 1 else f"{max(1, limit // 1024)} KB"


def _open(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def _inspect(data: bytes, filename: str) -> tuple[str, int, int]:
    """Decode the whole image; return (pillow format, displayed width, displayed height)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with _open(data) as probe:
                fmt = probe.format or ""
                width, height = probe.size
                if fmt not in FORMATS:
                    raise _invalid(filename, f"的格式 {fmt or '未知'} 不受支持，仅支持 JPEG、PNG、WEBP")
                if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
                    raise _invalid(filename, f"像素过多（{width}×{height}），超过 {MAX_PIXELS // 10_000} 万像素上限")
                probe.verify()
            with _open(data) as image:
                image.load()
                orientation = image.getexif().get(0x0112, 1)
        except ValidationFailed:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _invalid(filename, f"像素过多，超过 {MAX_PIXELS // 10_000} 万像素上限") from None
        except Image.UnidentifiedImageError:
            raise _invalid(filename, "不是有效的图片文件（内容无法识别为 JPEG、PNG 或 WEBP）") from None
        except Exception:  # truncated or corrupt data: OSError, SyntaxError, ValueError, struct.error, ...
            raise _invalid(filename, "已损坏或不完整，无法读取") from None
    if orientation in _ROTATED:
        width, height = height, width
    return fmt, width, height


def _write_atomically(target: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder and rename: readers never see half a file."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _thumbnail(data: bytes) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # already bounded by MAX_PIXELS
        with _open(data) as image:
            image.draft("RGB", (THUMB_SIZE * 2, THUMB_SIZE * 2))  # JPEG: decode at a reduced scale
            oriented = ImageOps.exif_transpose(image)
            if oriented.mode in ("RGBA", "LA", "PA") or (oriented.mode == "P" and "transparency" in oriented.info):
                rgba = oriented.convert("RGBA")
                flat = Image.new("RGB", rgba.size, (255, 255, 255))
                flat.paste(rgba, mask=rgba.getchannel("A"))
                oriented = flat
            else:
                oriented = oriented.convert("RGB")
            oriented.thumbnail((THUMB_SIZE, THUMB_SIZE), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            oriented.save(out, "JPEG", quality=80, optimize=True)
            return out.getvalue()


def _check_sha(sha: str) -> str:
    if not isinstance(sha, str) or not _SHA.match(sha):
        raise NotFound("照片不存在")
    return sha


def photo_path(settings: Settings, sha: str, ext: str) -> Path:
    """Where the photo with this digest lives; NotFound for anything but 64 hex digits and a known extension."""
    _check_sha(sha)
    if ext not in EXTENSIONS:
        raise NotFound("照片不存在")
    return Path(settings.var_dir) / "files" / sha[:2] / f"{sha}.{ext}"


def thumb_path(settings: Settings, sha: str) -> Path:
    _check_sha(sha)
    return Path(settings.var_dir) / "files" / "thumbs" / sha[:2] / f"{sha}.jpg"


def save_photo(data: bytes, filename: str, settings: Settings) -> StoredPhoto:
    """Check the bytes are a whole JPEG, PNG or WEBP within the limits, then store them (once) and a thumbnail."""
    limit = settings.max_photo_bytes
    if len(data) > limit:
        raise _invalid(filename, f"超过 {_limit_text(limit)} 的大小上限（{_limit_text(len(data))}）")
    if not data:
        raise _invalid(filename, "是空文件")
    fmt, width, height = _inspect(data, filename)
    mime, ext = FORMATS[fmt]
    sha = hashlib.sha256(data).hexdigest()
    target, thumb = photo_path(settings, sha, ext), thumb_path(settings, sha)
    small: bytes | None = None
    if not thumb.exists():  # made before anything is written: a photo that cannot be shrunk is not stored
        try:
            small = _thumbnail(data)
        except Exception:
            raise _invalid(filename, "已损坏或不完整，无法生成缩略图") from None
    _write_atomically(target, data)
    if small is not None:
        _write_atomically(thumb, small)
    return StoredPhoto(sha256=sha, mime=mime, size=len(data), width=width, height=height, ext=ext)
