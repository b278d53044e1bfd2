"""Stored rows in the shapes of the API's schemas, one module per resource, shared by the
JSON endpoints and the reports."""
