"""API tokens (hashed, expiring, revocable, one role each) and the append-only audit log.

The audit log refuses UPDATE, DELETE and TRUNCATE through triggers. The one way to remove
rows is `audit_prune(keep_days)`, which the worker calls (`python -m worker audit-prune`,
and at the end of `worker run`): it deletes only rows older than the retention period.
The triggers stop the application's own code and mistakes; a database owner can still
drop a trigger, which is what separate database roles are for.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE api_tokens (
        token_id     text PRIMARY KEY CHECK (token_id ~ '^[0-9a-f]{16}$'),
        name         text NOT NULL DEFAULT '',
        role         text NOT NULL
                          CHECK (role IN ('admin', 'hr', 'manager', 'employee', 'ingest')),
        -- A manager or employee token is bound to that person's record; no other role is.
        employee_id  text REFERENCES employees,
        -- SHA-256 of the secret part: the secret itself is shown once and never stored.
        secret_hash  bytea NOT NULL CHECK (length(secret_hash) = 32),
        created_at   timestamptz NOT NULL DEFAULT now(),
        expires_at   timestamptz,
        revoked_at   timestamptz,
        last_used_at timestamptz,
        CHECK ((role IN ('manager', 'employee')) = (employee_id IS NOT NULL)),
        CHECK (expires_at IS NULL OR expires_at > created_at)
    );

    CREATE TABLE audit_log (
        id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at         timestamptz NOT NULL DEFAULT clock_timestamp(),
        request_id text,
        -- No foreign key: the log outlives anything it mentions. Null for the CLI.
        token_id   text,
        role       text,
        action     text NOT NULL CHECK (action ~ '^[a-z_]+$'),
        target     text,
        details    jsonb NOT NULL DEFAULT '{}'
    );
    -- Time-range reads and retention.
    CREATE INDEX audit_log_at ON audit_log (at);

    CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        prune_before text := current_setting('epa.audit_prune_before', true);
    BEGIN
        IF TG_OP = 'DELETE' AND coalesce(prune_before, '') <> ''
           AND OLD.at < prune_before::timestamptz THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END $$;

    CREATE TRIGGER audit_log_no_update_or_delete
        BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
    CREATE TRIGGER audit_log_no_truncate
        BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

    -- The retention: deletes rows older than keep_days, and nothing else.
    CREATE FUNCTION audit_prune(keep_days integer) RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE
        cutoff timestamptz := now() - make_interval(days => keep_days);
        removed bigint;
    BEGIN
        IF keep_days IS NULL OR keep_days < 1 THEN
            RAISE EXCEPTION 'keep_days must be at least 1, got %', keep_days;
        END IF;
        PERFORM set_config('epa.audit_prune_before', cutoff::text, true);
        DELETE FROM audit_log WHERE at < cutoff;
        GET DIAGNOSTICS removed = ROW_COUNT;
        PERFORM set_config('epa.audit_prune_before', '', true);
        RETURN removed;
    END $$;
    -- Only the owner (the role migrations and the worker use) prunes.
    REVOKE ALL ON FUNCTION audit_prune(integer) FROM PUBLIC;
    """)


def downgrade() -> None:
    op.execute("""
    DROP FUNCTION audit_prune(integer);
    DROP TABLE audit_log;
    DROP FUNCTION audit_log_append_only();
    DROP TABLE api_tokens;
    """)
