"""Refreshing a run with identity: matching new segments to the last run's, migration, drift."""
