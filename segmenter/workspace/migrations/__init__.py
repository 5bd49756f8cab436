"""The workspace's schema migrations (Alembic), shipped in the package and run on open.

Revisions are written by hand in versions/, numbered 0001, 0002...; each freezes the tables as
they were then (never importing schema.py), and a test checks that the last one gives exactly
schema.py's tables. `db.migrate` runs them over its own connection through env.py.
"""
