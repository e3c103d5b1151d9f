"""A content-addressed cache of checked datasets as Parquet, so large rosters are parsed and checked once.

`attrition build` stores every canonical table (and the tables derived at the freeze date) under the
SHA-256 of the dataset's files; any later command on unchanged files opens those Parquet files
instead of re-reading the CSVs. Like git's index, a small stat record (size, modification and
change times, inode) per data folder avoids re-hashing files that have not changed; when it does not match, the files
are hashed again, so an edited file can never be served stale tables. The cache lives outside
the data folder: $ATTRITION_CACHE, else $XDG_CACHE_HOME/attrition, else ~/.cache/attrition.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from attrition.backends.duckdb import Engine
from attrition.schema import TABLES

FORMAT = "attrition-cache-2"
"""Part of the code version (see code_version): bumped when the cached tables change shape."""
LEDGER_FILE = "ledger.json"
CONFIG_FILE = "dataset.toml"


def root() -> Path:
    if os.environ.get("ATTRITION_CACHE"):
        return Path(os.environ["ATTRITION_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "attrition"


def _files(data_dir: Path) -> list[Path]:
    return [data_dir / CONFIG_FILE, *(data_dir / spec.file for spec in TABLES.values())]


def _stat(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def _index_path(data_dir: Path) -> Path:
    key = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:32]
    return root() / "folders" / f"{key}.json"


@functools.cache
def code_version() -> str:
    """SHA-256 of this package's Python source. Cached tables and results are made by the code, so an entry
    made by other code (a changed check, rule or reading) must never answer: the version is in every key."""
    digest = hashlib.sha256(FORMAT.encode())
    package = Path(__file__).parents[1]
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def fingerprint(data_dir: Path) -> str:
    """SHA-256 over the code version and the names and contents of the dataset's files (absent optional
    files count as absent)."""
    digest = hashlib.sha256(code_version().encode())
    for path in _files(data_dir):
        digest.update(path.name.encode() + b"\0")
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"absent")
    return digest.hexdigest()


def _current_fingerprint(data_dir: Path) -> tuple[str, dict]:
    """The fingerprint, taken from the folder's stat record when no file changed since it was written."""
    stats = {p.name: _stat(p) for p in _files(data_dir)}
    try:
        record = json.loads(_index_path(data_dir).read_text())
        if record.get("stats") == stats and record.get("code") == code_version():
            return record["fingerprint"], stats
    except (OSError, ValueError):
        pass
    return fingerprint(data_dir), stats


def entry(fp: str) -> Path:
    return root() / fp


def table_file(fp: str, name: str) -> Path:
    """Where the cache entry `fp` keeps table `name`, as Parquet (read by DuckDB, or by Spark)."""
    return entry(fp) / f"{name}.parquet"


def open_cached(data_dir: Path) -> tuple[Engine | None, dict, str | None]:
    """(engine with the cached tables as views, metadata, fingerprint) if this folder's files were built before.

    On a miss the engine is None, and the fingerprint (if it could be taken) is returned for reuse.
    """
    if not data_dir.is_dir():
        return None, {}, None
    try:
        fp, _ = _current_fingerprint(data_dir)
    except OSError:
        return None, {}, None
    try:
        meta = json.loads((entry(fp) / "meta.json").read_text())
    except (OSError, ValueError):
        return None, {}, fp
    engine = Engine()
    engine.keep_file_order(False)
    for name in meta["tables"]:
        engine.load_parquet(name, table_file(fp, name))
    return engine, meta, fp


def store(engine: Engine, data_dir: Path, fp: str, meta: dict, tables: list[str]) -> Path:
    """Write `tables` as Parquet under the fingerprint, atomically, and record the folder's file stats."""
    folder = entry(fp)
    if not (folder / "meta.json").exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=folder.parent))
        try:
            for name in tables:
                engine.write_parquet(name, staging / f"{name}.parquet")
            (staging / "meta.json").write_text(json.dumps({**meta, "tables": tables}, indent=1))
            try:
                os.rename(staging, folder)
            except OSError:
                if not (folder / "meta.json").exists():  # another build won the race with the same content
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    stats = {p.name: _stat(p) for p in _files(data_dir)}
    index = _index_path(data_dir)
    index.parent.mkdir(parents=True, exist_ok=True)
    tmp = index.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"fingerprint": fp, "stats": stats, "code": code_version()}))
    os.replace(tmp, index)
    return folder


def add_tables(engine: Engine, fp: str, tables: list[str]) -> bool:
    """Keep `tables` in the existing entry `fp` too, as derived tables (those `attrition build` made after
    `attrition validate` kept the checked ones), unless it has them; False if there is no entry. Each file is
    written beside the others and renamed into place before meta.json lists it, so a reader never sees a part."""
    folder = entry(fp)
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError):
        return False
    new = [name for name in tables if name not in meta["tables"]]
    if not new:
        return True
    for name in new:
        tmp = folder / f".{name}.{os.getpid()}.tmp"
        try:
            engine.write_parquet(name, tmp)
            os.replace(tmp, table_file(fp, name))
        finally:
            tmp.unlink(missing_ok=True)
    meta = {**meta, "tables": meta["tables"] + new, "derived": meta["derived"] + new}
    tmp = folder / f".meta.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(meta, indent=1))
    os.replace(tmp, folder / "meta.json")
    return True


def read_ledger(fp: str) -> dict | None:
    """The claims ledger kept in entry `fp` (columns and rows), if one was kept."""
    try:
        return json.loads((entry(fp) / LEDGER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def keep_ledger(fp: str, ledger: dict) -> None:
    """Keep the claims ledger in entry `fp`, atomically, if the entry exists (`attrition build` made it);
    a cache that cannot be written only means the next command computes it again."""
    folder = entry(fp)
    if not (folder / "meta.json").exists():
        return
    tmp = folder / f".{LEDGER_FILE}.{os.getpid()}.tmp"
    try:
        tmp.write_text(json.dumps(ledger), encoding="utf-8")
        os.replace(tmp, folder / LEDGER_FILE)
    except OSError:
        tmp.unlink(missing_ok=True)
