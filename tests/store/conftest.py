"""Store tests: migrations, bulk load, scope and the reporting views, on a real PostgreSQL."""
