"""Safe output folders: never the data folder, never half-written, never two writers at once.

Every command that writes (build, report, import) goes through here. A folder is replaced whole:
files are written into a staging folder beside it, which is then renamed into place, so a reader
or a killed run sees the old set or the new set, never a mix. A folder that exists and was not
made by attrition is refused rather than overwritten, and so is the data folder itself, a folder
inside it or one that contains it, also when reached through a symbolic link.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MARKER = ".attrition-output"
"""A file in every folder attrition writes, so it only ever replaces its own folders."""


class OutputError(RuntimeError):
    """An output folder cannot be used; the message says which and why."""


class NotebookError(RuntimeError):
    """A report notebook cell raised; the message names the notebook and the cell."""


def check_target(out: Path, data_dir: Path | None) -> Path:
    """Refuse to write into (or over) the data folder or a folder attrition did not make."""
    target = out.resolve()
    if data_dir is not None:
        data = data_dir.resolve()
        if target == data or data in target.parents or target in data.parents:
            raise OutputError(f"{out}: refusing to write here, it is (or contains, or is inside) the data folder "
                              f"{data_dir}; choose an output folder outside it")
    if target.exists() and not target.is_dir():
        raise OutputError(f"{out}: exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).exists():
        raise OutputError(f"{out}: the folder is not empty and was not made by attrition; choose a new or empty folder")
    return target


@contextmanager
def exclusive(out: Path) -> Iterator[None]:
    """Hold a lock beside `out` while writing it; a second writer is told to wait, not let in."""
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        handle = open(parent / f".{out.resolve().name}.lock", "w")
    except OSError as err:
        raise OutputError(f"{out}: cannot write here: {err.strerror or err}") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise OutputError(f"{out}: another attrition run is writing this folder; try again when it has finished") \
                from None
        yield


@contextmanager
def replace_folder(out: Path) -> Iterator[Path]:
    """Yield an empty staging folder; on success it becomes `out` (the previous `out` is removed)."""
    target = out.resolve()
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    except OSError as err:
        raise OutputError(f"{out}: cannot write here: {err.strerror or err}") from None
    try:
        yield staging
        (staging / MARKER).write_text("written by attrition; the whole folder is replaced on the next run\n")
        os.chmod(staging, 0o755)
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.rename(target, old / "previous")
        os.rename(staging, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as err:
        raise OutputError(f"{out}: cannot write here: {err.strerror or err}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace one file atomically: write a temporary file beside it, then rename it over."""
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


FORMULA_START = ("=", "+", "-", "@")
"""A cell starting like this is a formula to a spreadsheet (CSV injection)."""


def formula_safe(frame):
    """A copy of a pandas frame whose text cells that a spreadsheet would run as a formula get a leading apostrophe."""
    out = frame.copy()
    for column in out.columns[out.dtypes == object]:
        risky = out[column].map(lambda v: isinstance(v, str) and v.startswith(FORMULA_START))
        out.loc[risky, column] = "'" + out.loc[risky, column]
    return out
