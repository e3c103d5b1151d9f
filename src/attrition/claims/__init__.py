"""Published claims checked against the measures: the ledger and its verdicts."""
