"""Fitting segments: preprocessing, the seven algorithms, their measures, and choosing k."""
