"""Explaining segments: profiles against the book, rules, names, facts and the run's verdict."""
