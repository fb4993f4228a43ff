"""A cache of compiled rule packs, so a cold ``endodecide run`` does not re-read every rule file.

The key covers everything the compiled pack depends on: the bytes of every rule-pack file, the
source of this package, the Python version, and the folder and working directory (messages
name files relative to it). Any change means a miss and a fresh, fully checked load. Only
packs that loaded without a problem are cached. ``ENDODECIDE_CACHE_DIR`` moves the cache
(default ``$XDG_CACHE_HOME/endodecide`` or ``~/.cache/endodecide``); ``ENDODECIDE_NO_CACHE=1``
turns it off. A cache that cannot be read or written is ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
from functools import cache
from pathlib import Path

from endodecide.rulepack.model import RulePack

__all__ = ["cache_dir", "cache_key", "load_cached", "store"]

_PACKAGE = Path(__file__).resolve().parents[1]


def cache_dir() -> Path | None:
    if os.environ.get("ENDODECIDE_NO_CACHE") == "1":
        return None
    if override := os.environ.get("ENDODECIDE_CACHE_DIR"):
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "endodecide"


@cache
def _code_digest() -> str:
    digest = hashlib.sha256(sys.version.encode())
    for path in sorted(_PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def cache_key(root: Path, files: list[Path]) -> str:
    digest = hashlib.sha256(_code_digest().encode())
    digest.update(f"{root}\0{root.resolve()}\0{Path.cwd()}".encode())
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:32]


def load_cached(key: str) -> RulePack | None:
    folder = cache_dir()
    if folder is None:
        return None
    try:
        with (folder / f"{key}.pickle").open("rb") as handle:
            pack = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        return None
    return pack if isinstance(pack, RulePack) else None


def store(key: str, pack: RulePack) -> None:
    folder = cache_dir()
    if folder is None:
        return
    with contextlib.suppress(OSError, pickle.PicklingError):
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(pack, handle, protocol=pickle.HIGHEST_PROTOCOL)
            Path(tmp).replace(folder / f"{key}.pickle")
        finally:
            Path(tmp).unlink(missing_ok=True)
