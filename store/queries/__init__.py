"""Read queries behind the API, one module per resource. Every read is an index lookup on
the current run: nothing here recomputes a model. Every read of employee data takes the
caller's `Scope` and applies it in its SQL."""
