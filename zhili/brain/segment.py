"""Chinese word segmentation with jieba, initialised once per process.

jieba builds a prefix dictionary from its bundled word list on first use (about a second) and caches it with
`marshal` in a temporary directory, by default the shared /tmp. We point the cache at a private directory instead:
`<var_dir>/cache/jieba` when `configure` was called with a writable var dir, else a per-user directory under the
system temp dir (mode 0700). A cache that cannot be written (read-only home, read-only var) only costs the rebuild:
jieba logs it and goes on. Nothing is downloaded: the dictionary ships inside the jieba package.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

_lock = threading.Lock()
_tokenizer: Any = None
_cache_dir: Path | None = None


def configure(var_dir: Path | str | None) -> None:
    """Use `<var_dir>/cache/jieba` for the dictionary cache (call before the first segmentation)."""
    global _cache_dir
    if var_dir is not None:
        _cache_dir = Path(var_dir) / "cache" / "jieba"


def _private_dir() -> str:
    for candidate in ([_cache_dir] if _cache_dir else []) + [Path(tempfile.gettempdir()) / f"zhili-jieba-{os.getuid()}"]:
        try:
            candidate.mkdir(mode=0o700, parents=True, exist_ok=True)
            if os.access(candidate, os.W_OK) and candidate.stat().st_uid == os.getuid():
                return str(candidate)
        except OSError:
            continue
    return tempfile.mkdtemp(prefix="zhili-jieba-")


def tokenizer() -> Any:
    """The process's one initialised jieba tokenizer."""
    global _tokenizer
    if _tokenizer is not None:
        return _tokenizer
    with _lock:
        if _tokenizer is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tok = jieba.Tokenizer()
            tok.tmp_dir = _private_dir()
            tok.initialize()
            _tokenizer = tok
    return _tokenizer


def words(text: str) -> list[str]:
    """Words of a run of Chinese text (HMM on, so unknown words are still grouped)."""
    return [w for w in tokenizer().lcut(text, HMM=True) if w.strip()]
