"""Safe output folders: never the data folder, never a dataset, never half-written, never two writers at once.

Every command that writes (build, report, import) goes through here. A folder is replaced whole:
files are written into a staging folder, which is then swapped with the old folder in one step
(Linux's RENAME_EXCHANGE), so a reader or a killed run sees the old set or the new set, never a
mix and never nothing. Staging folders and temporary files live under one work folder beside the
output (`.attrition-work/<name>/`), which the next run clears while it holds the output's lock,
so a killed run leaves nothing behind for long. A folder that exists and was not made by
attrition is refused rather than overwritten, and so are a dataset folder (an import's output is
data, not a build) and the data folder itself, a folder inside it or one that contains it, also
when reached through a symbolic link. Lock files are opened without following links and never
truncated, so a link planted in their place cannot make a run overwrite another file.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MARKER = ".attrition-output"
"""A file in every folder attrition writes, so it only ever replaces its own folders."""
WORK = ".attrition-work"
"""Beside an output: the folder that holds its staging folders and temporary files while it is written."""
DATASET_FILE = "dataset.toml"
"""What makes a folder a dataset (data, never replaced by a build or a report)."""


class OutputError(RuntimeError):
    """An output folder cannot be used; the message says which and why."""


class NotebookError(RuntimeError):
    """A report notebook cell raised; the message names the notebook and the cell."""


def check_target(out: Path, data_dir: Path | None, replaces_dataset: bool = False) -> Path:
    """Refuse to write into (or over) the data folder, a dataset, or a folder attrition did not make.

    Only an importer (`replaces_dataset`) may replace a dataset folder, and only one it wrote itself.
    """
    target = out.resolve()
    if data_dir is not None:
        data = data_dir.resolve()
        if target == data or data in target.parents or target in data.parents:
            raise OutputError(f"{out}: refusing to write here, it is (or contains, or is inside) the data folder "
                              f"{data_dir}; choose an output folder outside it")
    if target.exists() and not target.is_dir():
        raise OutputError(f"{out}: exists and is not a folder")
    if target.is_dir() and (target / DATASET_FILE).exists() and not replaces_dataset:
        raise OutputError(f"{out}: refusing to write here, the folder holds a dataset ({DATASET_FILE}), which is data "
                          "to read, not an output to replace; choose another folder")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).exists():
        raise OutputError(f"{out}: the folder is not empty and was not made by attrition; choose a new or empty folder")
    return target


def inside(folder: Path, relative: str) -> Path:
    """`folder / relative`, refused when it would land outside `folder` (a name with `..` or a link out)."""
    path = folder / relative
    base = folder.resolve()
    if base != path.resolve() and base not in path.resolve().parents:
        raise OutputError(f"{relative}: refusing to write outside the output folder {folder}")
    return path


def work_folder(target: Path) -> Path:
    """Where the staging folders and temporary files of `target` go (cleared by the next run holding its lock)."""
    target = target.resolve()
    return target.parent / WORK / target.name


@contextmanager
def exclusive(out: Path) -> Iterator[None]:
    """Hold a lock beside `out` while writing it; a second writer is told to wait, not let in.

    While the lock is held, what a killed earlier run left in `out`'s work folder is cleared.
    """
    target = out.resolve()
    lock = target.parent / f".{target.name}.lock"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
    except OSError as err:
        why = "a link is in the place of its lock file " + str(lock) if os.path.islink(lock) else err.strerror or err
        raise OutputError(f"{out}: cannot write here: {why}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OutputError(f"{out}: cannot write here: its lock file {lock} is not a regular file")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise OutputError(f"{out}: another attrition run is writing this folder; try again when it has finished") \
                from None
        try:
            _clear(work_folder(target))
            yield
        finally:
            _clear(work_folder(target))
    finally:
        os.close(fd)


def _clear(work: Path) -> None:
    """Remove a work folder (and the shared one above it when nothing else is in it)."""
    shutil.rmtree(work, ignore_errors=True)
    try:
        work.parent.rmdir()
    except OSError:
        pass


def scratch(target: Path, prefix: str) -> Path:
    """A new empty folder in `target`'s work folder (call it while holding `exclusive(target)`)."""
    work = work_folder(target)
    try:
        work.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=prefix, dir=work))
    except OSError as err:
        raise OutputError(f"{target}: cannot write here: {err.strerror or err}") from None


@contextmanager
def replace_folder(out: Path) -> Iterator[Path]:
    """Yield an empty staging folder; on success it takes the place of `out` in one step. Hold `exclusive(out)`."""
    target = out.resolve()
    staging = scratch(target, "staging-")
    try:
        yield staging
        (staging / MARKER).write_text("written by attrition; the whole folder is replaced on the next run\n")
        os.chmod(staging, 0o755)
        if target.exists():
            _exchange(staging, target)  # staging now holds the old folder
        else:
            os.rename(staging, target)
    except OSError as err:
        raise OutputError(f"{out}: cannot write here: {err.strerror or err}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


RENAME_EXCHANGE = 2


def _exchange(new: Path, old: Path) -> None:
    """Swap two folders atomically (renameat2 with RENAME_EXCHANGE); where the system cannot, move the old one
    aside and the new one in, the only moment without a folder being between those two renames."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
        renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        at_cwd = -100
        if renameat2(at_cwd, os.fsencode(new), at_cwd, os.fsencode(old), RENAME_EXCHANGE) == 0:
            return
    except (AttributeError, OSError):  # no renameat2 here (not Linux, or an old C library)
        pass
    aside = Path(tempfile.mkdtemp(prefix="old-", dir=new.parent))
    os.rename(old, aside / "previous")
    os.rename(new, old)
    os.rename(aside / "previous", new)
    os.rmdir(aside)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace one file atomically: write a temporary file in its folder's work folder, then rename it over.
    Under `exclusive(path.parent)` the next run clears what a killed one left there."""
    work = work_folder(path.parent)
    for attempt in (1, 2):  # another writer may remove the (empty) work folder between these two steps
        work.mkdir(parents=True, exist_ok=True)
        try:
            handle, tmp = tempfile.mkstemp(prefix=f"{path.name}.", dir=work)
            break
        except FileNotFoundError:
            if attempt == 2:
                raise
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
        for folder in (work, work.parent):
            try:
                folder.rmdir()
            except OSError:
                break


FORMULA_START = ("=", "+", "-", "@")
"""A cell starting like this is a formula to a spreadsheet (CSV injection)."""


def formula_safe(frame):
    """A copy of a pandas frame whose text cells that a spreadsheet would run as a formula get a leading apostrophe.

    Every column that can hold text is guarded, whatever its dtype (object, string, categorical...): only
    numbers, booleans and dates, which cannot start like a formula, are left as they are.
    """
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
            continue
        values = values.astype(object)
        risky = values.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_START)).astype(bool)
        out[column] = values.where(~risky, "'" + values[risky].astype(str))
    return out
