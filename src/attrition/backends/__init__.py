"""Where the relational core runs: DuckDB on one machine, Apache Spark on a cluster."""
