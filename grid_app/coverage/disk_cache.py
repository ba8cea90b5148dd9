"""Named sets of arrays kept on disk per database and data version (the prepared network's cold start).

A set is one uncompressed .npz under the instance folder's cache/, named by a hash of the database and of
the data versions it was computed from, and carrying both inside with the format and a digest of the code
that computed it: a file of another database, version, code or format, a short or corrupt one (zip CRC),
or one that cannot be read is ignored, and the caller rebuilds and writes it again. Writes go to a temporary
file renamed over the name (os.replace), so a reader, or two writers at once, only ever see a whole file.
Nothing here touches the database.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
import zipfile
from dataclasses import dataclass

import numpy as np

from grid_app.config import PROJECT_ROOT

FORMAT = 1  # bump when what a set holds, or how, changes: files of another format are ignored and replaced
UNUSED_AFTER_S = 7 * 24 * 3600  # files of any database not read or written for this long are removed
_META = "__meta__"
log = logging.getLogger(__name__)


def default_dir() -> str | None:
    """cache/ in the app's instance folder (GRID_APP_INSTANCE, else the checkout's instance/, as create_app);
    GRID_APP_NETWORK_CACHE names another folder, or 'off' for none."""
    setting = os.environ.get("GRID_APP_NETWORK_CACHE", "")
    if setting.lower() == "off":
        return None
    if setting:
        return setting
    return os.path.join(os.environ.get("GRID_APP_INSTANCE", os.path.join(PROJECT_ROOT, "instance")), "cache")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Slot:
    """Where the sets of one database at one data version live: a folder, the database and the stamp."""

    directory: str
    database: str  # the connection URL without its password: which database the arrays come from
    stamp: str     # the data versions they were computed from

    def path(self, kind: str) -> str:
        """The file of one set, e.g. network-<database>-<stamp>.npz."""
        return os.path.join(self.directory, f"{kind}-{_digest(self.database)}-{_digest(self.stamp)}.npz")

    def _meta(self, kind: str, code: str) -> dict:
        return {"format": FORMAT, "kind": kind, "code": code, "database": self.database, "stamp": self.stamp}


def code_version(*modules) -> str:
    """A digest of the source files of the modules that compute a set: other code, other arrays."""
    return _digest("".join(_digest(open(m.__file__, encoding="utf-8").read()) for m in modules))


def read(slot: Slot, kind: str, code: str = "") -> dict[str, np.ndarray] | None:
    """The arrays of a set, or None without a whole file of this database, version, kind, code and format."""
    path = slot.path(kind)
    try:
        with np.load(path, allow_pickle=False) as found:
            if json.loads(found[_META].tobytes().decode("utf-8")) != slot._meta(kind, code):
                log.info("ignoring %s: another database, version, code or format", path)
                return None
            # Reading each member to its end checks its CRC: a damaged file raises here.
            arrays = {name: found[name] for name in found.files if name != _META}
        os.utime(path)  # in use: keep it past UNUSED_AFTER_S
        return arrays
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, EOFError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        log.warning("ignoring unreadable cache file %s: %s", path, exc)
        return None


def write(slot: Slot, kind: str, arrays: dict[str, np.ndarray], code: str = "") -> bool:
    """Store a set atomically (temporary file, fsync, rename); False, logged, when the folder refuses it."""
    path = slot.path(kind)
    meta = np.frombuffer(json.dumps(slot._meta(kind, code)).encode("utf-8"), dtype=np.uint8)
    tmp = None
    try:
        os.makedirs(slot.directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=slot.directory, prefix=os.path.basename(path) + ".", suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            np.savez(out, **{_META: meta}, **arrays)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
        tmp = None
        return True
    except OSError as exc:
        # The cache only saves time: a read-only or full disk must not fail the request that built the arrays.
        log.warning("could not write cache file %s: %s", path, exc)
        return False
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def prune(slot: Slot) -> None:
    """Remove this database's sets of other versions, and any file unused for UNUSED_AFTER_S."""
    try:
        names = os.listdir(slot.directory)
    except OSError:
        return
    database, stamp = _digest(slot.database), _digest(slot.stamp)
    now = time.time()
    for name in names:
        if not (name.endswith(".npz") or name.endswith(".tmp")):
            continue
        path = os.path.join(slot.directory, name)
        parts = name[:-len(".npz")].rsplit("-", 2) if name.endswith(".npz") else []
        other_version = len(parts) == 3 and parts[1] == database and parts[2] != stamp
        try:
            # A .tmp file an hour old belongs to a writer that died; a younger one may be being written.
            unused = now - os.path.getmtime(path) > (3600 if name.endswith(".tmp") else UNUSED_AFTER_S)
            if other_version or unused:
                os.unlink(path)
        except OSError:
            pass  # removed meanwhile by another process
