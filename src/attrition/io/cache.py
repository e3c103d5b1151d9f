"""A content-addressed cache of checked datasets as Parquet, so large rosters are parsed and checked once.

`attrition build` stores every canonical table (and the tables derived at the freeze date) under the
SHA-256 of the dataset's files; any later command on unchanged files opens those Parquet files
instead of re-reading the CSVs. Like git's index, a small stat record (size, modification and
change times, inode) per data folder avoids re-hashing files that have not changed; when it does not match, the files
are hashed again, so an edited file can never be served stale tables. Beside the tables, an entry keeps what was
computed from them: the claims ledger, and what `metric` and `check` printed for each question asked, so asking
again reads the answer back (a fit's second run loads no pandas). The cache lives outside
the data folder: $ATTRITION_CACHE, else $XDG_CACHE_HOME/attrition, else ~/.cache/attrition.

The cache verifies itself: every entry records the SHA-256 of each of its files, checked each time it is
opened. A damaged entry (a flipped byte, a cut file) is never used: it is discarded with a one-line
notice, and the tables are read again from the data files (and kept anew by the next build).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from attrition.backends.duckdb import Engine
from attrition.io.csvfiles import NotAFile, open_file
from attrition.io.outputs import OutputError, exclusive, replace_folder, write_atomic
from attrition.schema import TABLES

FORMAT = "attrition-cache-3"
"""Part of the code version (see code_version): bumped when the cached tables change shape."""
LEDGER_FILE = "ledger.json"
ANSWERS = "answers"
"""In every entry: what `metric` and `check` printed, one file per question asked (`answered`)."""
CONFIG_FILE = "dataset.toml"
SUMS_FILE = "checksums.json"
"""In every entry: the SHA-256 of each of its other files."""


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


def weight(paths: list[Path]) -> int:
    """What files weigh together (absent ones weigh nothing): how many threads the engine that reads them is
    given (`backends.duckdb.ONE_THREAD_BELOW`)."""
    return sum(stat[0] for stat in map(_stat, paths) if stat)


def input_bytes(data_dir: Path) -> int:
    """What a dataset folder's files weigh together."""
    return weight(_files(data_dir))


def _index_path(data_dir: Path) -> Path:
    key = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:32]
    return root() / "folders" / f"{key}.json"


COMPUTED_BY = ("duckdb", "numpy", "pandas", "scipy", "lifelines")
"""The libraries whose code computes the kept tables and answers: their installed versions are part of the code."""


@functools.cache
def code_version() -> str:
    """SHA-256 of this package's Python source and of the versions of the libraries it computes with. Cached tables
    and results are made by that code, so an entry made by other code (a changed check, rule or reading, another
    lifelines) must never answer: the version is in every key."""
    digest = hashlib.sha256(FORMAT.encode())
    package = Path(__file__).parents[1]
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    for name in COMPUTED_BY:
        installed = installed_version(name)
        digest.update((f"{name} absent" if installed is None else f"{name}=={installed}").encode() + b"\0")
    return digest.hexdigest()


def installed_version(name: str) -> str | None:
    """A library's installed version, from the Version line of its metadata (METADATA, or an egg's PKG-INFO); None
    when it is not installed. `importlib.metadata.version` parses every header: ten times as long, in every
    command, so it is asked only where no such line is found."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        found = distribution(name)
    except PackageNotFoundError:
        return None
    metadata = found.read_text("METADATA") or found.read_text("PKG-INFO") or ""
    line = re.search(r"^Version: *(\S+)", metadata, re.MULTILINE)
    return line.group(1) if line else found.version


def fingerprint(data_dir: Path) -> str:
    """SHA-256 over the code version and the names and contents of the dataset's files (absent optional
    files count as absent)."""
    digest = hashlib.sha256(code_version().encode())
    for path in _files(data_dir):
        digest.update(path.name.encode() + b"\0")
        try:
            digest.update(bytes.fromhex(file_sha256(path)))
        except NotAFile:
            digest.update(b"not a file")
        except OSError:
            digest.update(b"absent")
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a regular file's bytes (a FIFO or device is refused, never waited on)."""
    with open_file(path) as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def seal(folder: Path) -> None:
    """Record the SHA-256 of every file in `folder` (recursively) in its SUMS_FILE."""
    sums = {p.relative_to(folder).as_posix(): file_sha256(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != SUMS_FILE}
    (folder / SUMS_FILE).write_text(json.dumps(sums, indent=1, sort_keys=True), encoding="utf-8")


def damaged(folder: Path, files: list[str] | None = None) -> str | None:
    """Why `folder` does not match its recorded checksums (the first file that differs), or None if it does.
    `files` limits the check to those files (each must be recorded); by default every recorded file."""
    try:
        sums = json.loads((folder / SUMS_FILE).read_text(encoding="utf-8"))
        if not isinstance(sums, dict):
            raise ValueError
    except (OSError, ValueError):
        return f"{SUMS_FILE} is missing or unreadable"
    for name in sums if files is None else files:
        try:
            if sums.get(name) != file_sha256(folder / name):
                return f"{name} does not match its checksum"
        except OSError:
            return f"{name} is missing or unreadable"
    return None


def discard(folder: Path, why: str) -> None:
    """Remove a damaged cache folder, saying so in one line: it is rebuilt, never used."""
    print(f"note: the cache entry {folder} is damaged ({why}); it is discarded and rebuilt from the data files",
          file=sys.stderr)
    shutil.rmtree(folder, ignore_errors=True)


def _current_fingerprint(data_dir: Path) -> tuple[str, dict]:
    """The fingerprint, taken from the folder's stat record when no file changed since it was written."""
    stats = {p.name: _stat(p) for p in _files(data_dir)}
    try:
        record = json.loads(_index_path(data_dir).read_text())
        if record.get("stats") == stats and record.get("code") == code_version() and \
                record.get("check") == _record_check(record["fingerprint"], stats):
            return record["fingerprint"], stats
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return fingerprint(data_dir), stats


def _record_check(fp: str, stats: dict) -> str:
    """A checksum of a folder's stat record, so that a damaged record is never trusted."""
    return hashlib.sha256(json.dumps([fp, stats, code_version()], sort_keys=True).encode()).hexdigest()


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
    folder = entry(fp)
    if not folder.exists():
        return None, {}, fp
    try:
        meta = json.loads((folder / "meta.json").read_text())
        tables = [f"{name}.parquet" for name in meta["tables"]]
    except (OSError, ValueError, KeyError, TypeError):
        discard(folder, "meta.json is missing or unreadable")
        return None, {}, fp
    why = damaged(folder, ["meta.json", *tables])
    if why:
        discard(folder, why)
        return None, {}, fp
    engine = Engine(input_bytes=input_bytes(data_dir))
    engine.keep_file_order(False)
    for name in meta["tables"]:
        engine.load_parquet(name, table_file(fp, name))
    return engine, meta, fp


def store(engine: Engine, data_dir: Path, fp: str, meta: dict, tables: list[str], remember: bool = True) -> Path:
    """Write `tables` as Parquet under the fingerprint, sealed with their checksums and atomically, and (with
    `remember`) record the folder's file stats, so that the folder's files open this entry next time. An entry
    already there is kept if it verifies, with the tables it lacks added (`attrition build` adds the derived
    tables to the checked ones `attrition validate` kept), and replaced if it does not. Raises OSError
    (OutputError) when the cache cannot be written."""
    folder = entry(fp)
    why = damaged(folder) if folder.exists() else "absent"
    if why and why != "absent":
        discard(folder, why)
    kept = {} if why else _kept_meta(folder)
    if kept is None or [name for name in tables if name not in kept.get("tables", [])]:
        try:
            with exclusive(folder), replace_folder(folder) as staging:
                _write_entry(engine, folder, staging, meta, tables, kept or {})
        except OutputError as err:
            if damaged(folder):  # not another build that won the race with the same content
                raise OSError(str(err)) from None
    if not remember:
        return folder
    stats = {p.name: _stat(p) for p in _files(data_dir)}
    index = _index_path(data_dir)
    index.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(index, json.dumps({"fingerprint": fp, "stats": stats, "code": code_version(),
                                    "check": _record_check(fp, stats)}).encode())
    return folder


def _kept_meta(folder: Path) -> dict | None:
    """The metadata of a verified entry (None if it cannot be read after all: the entry is then written anew)."""
    try:
        kept = json.loads((folder / "meta.json").read_text())
        return kept if isinstance(kept.get("tables"), list) and isinstance(kept.get("derived"), list) else None
    except (OSError, ValueError, AttributeError):
        return None


def _write_entry(engine: Engine, folder: Path, staging: Path, meta: dict, tables: list[str], kept: dict) -> None:
    """Fill `staging` as the entry: the tables `kept` lists, linked from `folder` (readers of the old entry read the
    same files at the same paths), and the other `tables` written; sealed, with the kept ledger and answers (each
    carries its own checksum) beside it."""
    old = kept.get("tables", [])
    for name in old:
        _link(folder / f"{name}.parquet", staging / f"{name}.parquet")
    new = [name for name in tables if name not in old]
    for name in new:
        engine.write_parquet(name, staging / f"{name}.parquet")
    derived = [*kept.get("derived", []), *(name for name in meta.get("derived", []) if name in new)]
    (staging / "meta.json").write_text(json.dumps({**kept, **meta, "tables": old + new, "derived": derived}, indent=1))
    seal(staging)
    for result in [folder / LEDGER_FILE, *(folder / ANSWERS).glob("*.json")]:
        target = staging / result.relative_to(folder)
        try:
            if result.is_file():
                target.parent.mkdir(exist_ok=True)
                _link(result, target)
        except OSError:  # gone meanwhile, or not ours: it is computed again when asked
            pass


def _link(source: Path, target: Path) -> None:
    """The same file at another path: a hard link, or a copy where the file system has none."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def read_ledger(fp: str) -> dict | None:
    """The claims ledger kept in entry `fp` (columns and rows), if one was kept and is whole."""
    kept = _read_kept(entry(fp) / LEDGER_FILE, "claims ledger")
    return kept if isinstance(kept, dict) else None


def keep_ledger(fp: str, ledger: dict) -> None:
    """Keep the claims ledger in entry `fp` (see `_keep`)."""
    _keep(fp, LEDGER_FILE, ledger)


def answered(fp: str, question: list[str], answer: Callable[[], str]) -> str:
    """What a command prints in answer to `question` (its name and arguments) on the dataset of entry `fp`: read
    back where the same question was answered on the same files by the same code (both are in `fp`), else
    `answer()`, then kept in the entry (if it exists) for the next time. A damaged answer is computed again."""
    name = f"{ANSWERS}/{hashlib.sha256(json.dumps(question).encode()).hexdigest()}.json"
    kept = _read_kept(entry(fp) / name, "answer")
    if isinstance(kept, dict) and kept.get("question") == question and isinstance(kept.get("output"), str):
        return kept["output"]
    output = answer()
    _keep(fp, name, {"question": question, "output": output})
    return output


def _read_kept(path: Path, what: str) -> object | None:
    """A result kept at `path` with its checksum (`_keep`), if one was kept and is whole; a damaged one is removed,
    with a notice, so that it is computed again. Anything there but a file is not one (nothing is said)."""
    if not path.is_file():
        return None
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        if kept["sha256"] == _sum(kept["value"]):
            return kept["value"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        pass
    print(f"note: the {what} kept in {path} is damaged; it is discarded and computed again", file=sys.stderr)
    try:
        path.unlink(missing_ok=True)
    except OSError:  # a cache that cannot be written only means computing it again
        pass
    return None


def _sum(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def _keep(fp: str, name: str, value: object) -> None:
    """Keep `value` as `name` in entry `fp`, atomically and with its checksum, if the entry exists (`validate` or
    `build` made it); a cache that cannot be written only means the next command computes it again."""
    folder = entry(fp)
    if not (folder / "meta.json").exists():
        return
    try:
        (folder / name).parent.mkdir(exist_ok=True)
        write_atomic(folder / name, json.dumps({"sha256": _sum(value), "value": value}).encode())
    except OSError:
        pass
