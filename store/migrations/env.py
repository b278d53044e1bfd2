"""Alembic environment: the migrations are plain SQL, one transaction each.

An advisory lock serialises concurrent `migrate` calls (several pods or hook retries)."""

from alembic import context
from sqlalchemy import create_engine, pool, text

MIGRATION_LOCK = 7_411_001  # any constant shared by every migrator of this database

engine = create_engine(context.config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
with engine.connect() as connection:
    connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
    connection.commit()
    try:
        context.configure(connection=connection, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
        connection.commit()
