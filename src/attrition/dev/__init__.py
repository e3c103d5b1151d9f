"""Tools for developers: the benchmark and synthetic rosters (not used by any command)."""
