"""Charts, tables, notebooks and the static site that readers see."""
