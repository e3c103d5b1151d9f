"""Execute the notebooks in order, in place, so the committed outputs match the data and the code.

Progress is printed per notebook; a failing cell stops the run with the notebook and cell named.
Metadata that varies between machines (cell timings, the Python patch version) is not written.
"""

from __future__ import annotations

import time
from pathlib import Path

from attrition.dataset import REPO_ROOT

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


class NotebookError(RuntimeError):
    """A notebook cell raised; the message names the notebook and the cell."""


def notebook_paths(folder: Path) -> list[Path]:
    """Numbered notebooks (`01_...ipynb`) in reading order."""
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))


def execute_notebook(path: Path, timeout: int = 600) -> None:
    """Run every cell of one notebook with the standard `python3` kernel and save it in place."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError as err:
        index = next((i for i, c in enumerate(nb.cells) if c.get("outputs") and
                      any(o.get("output_type") == "error" for o in c["outputs"])), None)
        raise NotebookError(f"{path.name}, cell {index}: {str(err).splitlines()[-1] if str(err) else err}") from None
    nb.metadata["language_info"] = {"name": "python", "file_extension": ".py", "mimetype": "text/x-python"}
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)


def execute_notebooks(folder: Path) -> list[Path]:
    """Execute every numbered notebook in `folder`, printing which one runs and how long it took."""
    paths = notebook_paths(folder)
    if not paths:
        raise NotebookError(f"no numbered notebooks (NN_name.ipynb) in {folder}")
    for i, path in enumerate(paths, 1):
        print(f"[{i}/{len(paths)}] executing {path.name} ...", flush=True)
        started = time.perf_counter()
        execute_notebook(path)
        print(f"[{i}/{len(paths)}] {path.name} done in {time.perf_counter() - started:.1f} s", flush=True)
    return paths
