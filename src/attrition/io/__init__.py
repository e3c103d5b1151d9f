"""Reading and checking data folders, the cache, importers and atomic outputs: nothing here knows a measure."""
