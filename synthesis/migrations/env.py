"""Alembic environment of the workspace store.

:func:`synthesis.store.open_workspace` runs the migrations itself on a
connection that already holds the write lock (SQLite ``BEGIN IMMEDIATE``,
a PostgreSQL advisory lock), so two sessions opening a new database at the
same moment cannot both create the tables. That connection arrives in
``config.attributes["connection"]``; no ``alembic.ini`` is involved.
"""

from alembic import context

connection = context.config.attributes["connection"]
# Batch mode lets later revisions alter SQLite tables (which lack most ALTER).
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
