"""Alembic environment of the workspace store.

:func:`synthesis.store.open_workspace` runs the migrations itself on a
connection that already holds the write lock (SQLite ``BEGIN IMMEDIATE``,
a PostgreSQL advisory lock), so two sessions opening a new database at the
same moment cannot both create the tables. That connection arrives in
``config.attributes["connection"]``; no ``alembic.ini`` is involved.

To change the schema, edit the tables in :mod:`synthesis.store` and add a
revision beside ``versions/0001_initial.py`` (never edit a released one)::

    python -c "from alembic import command; from alembic.config import Config; \
    c = Config(); c.set_main_option('script_location', 'synthesis/migrations'); \
    command.revision(c, message='what changes', rev_id='0002')"

then fill in its ``upgrade()`` with ``op.add_column``/``op.batch_alter_table``
and let ``tests/test_store.py`` run it on SQLite and PostgreSQL.
"""

from alembic import context

connection = context.config.attributes["connection"]
# Batch mode lets later revisions alter SQLite tables (which lack most ALTER).
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
