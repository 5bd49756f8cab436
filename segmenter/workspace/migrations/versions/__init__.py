"""The revisions: Alembic reads every file here and orders them by their `down_revision`."""
