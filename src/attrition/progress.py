"""Progress bars for the steps that can take more than a couple of seconds (an import, a report, reading a
large dataset): drawn on a terminal's standard error by tqdm, silent when the output is not a terminal
(a pipe, a log, a test) or when ATTRITION_PROGRESS=0, so nothing a script reads ever changes."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


def enabled() -> bool:
    """Whether bars are drawn: standard error is a terminal and ATTRITION_PROGRESS is not 0."""
    return os.environ.get("ATTRITION_PROGRESS", "1") != "0" and sys.stderr.isatty()


class Steps:
    """A bar over named steps: `next(label)` finishes the step before and names the one starting."""

    def __init__(self, bar) -> None:
        self._bar, self._started = bar, False

    def next(self, label: str) -> None:
        if self._bar is None:
            return
        if self._started:
            self._bar.update(1)
        self._started = True
        self._bar.set_postfix_str(label, refresh=True)

    def finish(self) -> None:
        if self._bar is not None and self._started:
            self._bar.update(1)


@contextmanager
def steps(total: int, description: str, unit: str = "step") -> Iterator[Steps]:
    """A bar of `total` steps (or a silent stand-in), closed however the block ends."""
    if not enabled() or total <= 0:
        yield Steps(None)
        return
    from tqdm import tqdm

    bar = tqdm(total=total, desc=description, unit=f" {unit}", file=sys.stderr, leave=False, dynamic_ncols=True,
               bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt}{unit} [{elapsed}<{remaining}] {postfix}")
    counter = Steps(bar)
    try:
        yield counter
        counter.finish()
    finally:
        bar.close()
