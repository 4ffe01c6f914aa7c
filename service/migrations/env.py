"""Alembic's entry point for the run store: the caller hands over an open connection.

`service.store._upgrade` runs it when a store is opened; there is no alembic.ini to edit.
"""
from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
