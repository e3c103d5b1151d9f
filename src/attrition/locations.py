"""Where things are by default: the repository's data, notebooks and example folders."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = Path(os.environ.get("ATTRITION_DATA", REPO_ROOT / "data"))
"""The repository's data/, unless ATTRITION_DATA names another folder (the report sets it for its notebooks)."""
KNOWN_AS_OF = os.environ.get("ATTRITION_KNOWN_AS_OF") or None
"""The day `attrition.load()` takes the data as known on unless told otherwise: set by `attrition report --known-as-of`
for its notebooks; unset, the data is taken whole."""
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
