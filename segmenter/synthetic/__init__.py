"""Synthetic customers in the CC GENERAL schema, from a copula calibrated on the real file."""
