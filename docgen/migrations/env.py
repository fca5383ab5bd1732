"""Alembic environment: runs docgen's migrations on the connection the register hands over."""

from alembic import context

from docgen.register import Base

connection = context.config.attributes.get("connection")
if connection is None:  # run from the alembic command line: the URL as the register finds it
    from sqlalchemy import create_engine

    from docgen.register import database_url

    connection = create_engine(database_url(context.config.get_main_option("sqlalchemy.url"))).connect()

context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
