"""HTTP API tests: the Flask app on a real PostgreSQL, through its test client.

`app`/`client` (a fresh database per test) and `scored_app`/`scored_client` (the
module's scored demo) come from tests/conftest.py; a module changes the app's
configuration by overriding `app_config`."""
