"""Altair charts of a run, and the small tables they are drawn from."""
