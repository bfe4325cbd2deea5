"""Photo storage: accepted by content (JPEG, PNG, WEBP), stored once by digest with a thumbnail; everything else
is a ValidationFailed naming the file and the problem."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from tests.factories import TEST_KEY
from zhili.config import Settings
from zhili.files import store
from zhili.kit.errors import NotFound, ValidationFailed


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path, secret_key=TEST_KEY)


def image_bytes(fmt: str, size: tuple[int, int] = (640, 480), mode: str = "RGB", exif_orientation: int | None = None,
                noise: bool = False) -> bytes:
    image = Image.effect_noise(size, 80).convert(mode) if noise else Image.new(mode, size, "orange")
    out = io.BytesIO()
    kwargs = {}
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        kwargs["exif"] = exif.tobytes()
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize(("fmt", "mime", "ext", "mode"), [
    ("JPEG", "image/jpeg", "jpg", "RGB"), ("PNG", "image/png", "png", "RGBA"), ("WEBP", "image/webp", "webp", "RGB"),
])
def test_real_images_are_stored_once_with_a_thumbnail(settings, fmt, mime, ext, mode) -> None:
    data = image_bytes(fmt, (1200, 900), mode)
    first = store.save_photo(data, f"现场.{ext}", settings)
    again = store.save_photo(data, "another-name.bin", settings)
    assert first == again
    assert (first.mime, first.ext, first.width, first.height, first.size) == (mime, ext, 1200, 900, len(data))
    original = store.photo_path(settings, first.sha256, ext)
    assert original.read_bytes() == data
    thumb = store.thumb_path(settings, first.sha256)
    with Image.open(thumb) as t:
        assert t.format == "JPEG" and t.mode == "RGB" and max(t.size) == 320 and t.size == (320, 240)
    stored = files_under(Path(settings.var_dir) / "files")
    assert stored == sorted([original, thumb])  # one original, one thumbnail, no temporary leftovers
    assert original.parent.name == first.sha256[:2]


def test_thumbnail_applies_exif_orientation_and_dimensions_are_as_displayed(settings) -> None:
    data = image_bytes("JPEG", (600, 300), exif_orientation=6)  # stored landscape, displayed portrait
    photo = store.save_photo(data, "rotated.jpg", settings)
    assert (photo.width, photo.height) == (300, 600)
    with Image.open(store.thumb_path(settings, photo.sha256)) as t:
        assert t.size == (160, 320)


def test_small_images_keep_their_size_in_the_thumbnail(settings) -> None:
    photo = store.save_photo(image_bytes("PNG", (100, 40)), "tiny.png", settings)
    with Image.open(store.thumb_path(settings, photo.sha256)) as t:
        assert t.size == (100, 40)


def png_with_declared_size(width: int, height: int) -> bytes:
    """A tiny valid PNG whose header claims a huge canvas (a decompression bomb's shape)."""
    raw = image_bytes("PNG", (4, 4))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return raw[:8] + chunk + raw[8 + 25:]


def truncated_jpeg() -> bytes:
    data = image_bytes("JPEG", (400, 400), noise=True)
    return data[: len(data) // 2]


@pytest.mark.parametrize(("name", "make", "problem"), [
    ("x.jpg", lambda: "这不是图片，只是改了扩展名的文本".encode() * 20, "不是有效的图片"),
    ("cut.jpg", truncated_jpeg, "已损坏或不完整"),
    ("anim.gif", lambda: image_bytes("GIF", (50, 50), "P"), "GIF 不受支持"),
    ("scan.bmp", lambda: image_bytes("BMP", (50, 50)), "BMP 不受支持"),
    ("big.jpg", lambda: b"\xff\xd8" + b"\0" * (11 * 1024 * 1024), "超过 10 MB"),
    ("bomb.png", lambda: png_with_declared_size(100_000, 100_000), "像素过多"),
    ("wide.png", lambda: png_with_declared_size(10_000, 6_000), "像素过多"),
    ("empty.jpg", lambda: b"", "空文件"),
])
def test_bad_files_are_rejected_naming_file_and_problem(settings, name, make, problem) -> None:
    with pytest.raises(ValidationFailed) as err:
        store.save_photo(make(), name, settings)
    assert err.value.field == "photos"
    assert name in err.value.message and problem in err.value.message, err.value.message
    assert files_under(Path(settings.var_dir)) == []  # nothing half-stored


def test_size_limit_follows_settings(tmp_path) -> None:
    small_limit = Settings(var_dir=tmp_path, secret_key=TEST_KEY, max_photo_bytes=1024 * 1024)
    data = image_bytes("PNG", (1500, 1500), noise=True)
    assert len(data) > 1024 * 1024
    with pytest.raises(ValidationFailed, match="超过 1 MB"):
        store.save_photo(data, "a.png", small_limit)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_damaged_bytes_never_raise_anything_but_validation_failed(settings, fmt) -> None:
    good = image_bytes(fmt, (64, 64), noise=True)
    rejected = 0
    for cut in range(0, len(good), max(1, len(good) // 40)):
        for mangled in (good[:cut] + bytes([good[cut] ^ 0xFF]) + good[cut + 1:], good[:cut]):
            try:
                photo = store.save_photo(mangled, "m.img", settings)
            except ValidationFailed as exc:
                assert "m.img" in exc.message
                rejected += 1
            else:  # a flipped pixel byte may still decode: then it is a whole, stored image
                assert store.photo_path(settings, photo.sha256, photo.ext).read_bytes() == mangled
    assert rejected > 20


@pytest.mark.parametrize("sha", ["../" * 10 + "etc/passwd", "a" * 63, "A" * 64, "g" * 64, "", "../" + "a" * 61])
def test_paths_only_from_a_hex_digest(settings, sha) -> None:
    with pytest.raises(NotFound):
        store.photo_path(settings, sha, "jpg")
    with pytest.raises(NotFound):
        store.thumb_path(settings, sha)


def test_unknown_extension_is_not_a_path(settings) -> None:
    with pytest.raises(NotFound):
        store.photo_path(settings, "a" * 64, "../../x")
    assert store.photo_path(settings, "a" * 64, "webp") == Path(settings.var_dir) / "files" / "aa" / f"{'a' * 64}.webp"
