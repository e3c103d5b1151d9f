"""Metrics and estimators over the core's tables: each returns numbers with their uncertainty."""
