"""Trust: protected attributes kept apart, a fairness audit per run, and human reviews.

- protected_attributes: one group per employee and attribute (`age_band` / `50+`). Only the
  fairness audit reads it (after scoring, never as a model input); no reporting view or
  per-person endpoint shows it, and the Grafana reader has no grant on it.
- fairness_audit: per run, attribute and group, the shares of High, Low, anomalies and
  predicted Low, the impact ratio against the attribute's best reported group (four-fifths
  rule) and a p-value. A suppressed group (under the minimum group size, or hidden with it
  so that no group is recoverable by subtraction) keeps its row without figures.
- reviews: a person's decision on a result of one run: confirm, override (with a tier) or,
  by the employee, contest. Append-only (updates refused); a review goes with its run's
  scores when the run is pruned, while the audit log keeps its record.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE protected_attributes (
        employee_id text NOT NULL REFERENCES employees ON DELETE CASCADE,
        attribute   text NOT NULL CHECK (length(attribute) BETWEEN 1 AND 100),
        "group"     text NOT NULL CHECK (length("group") BETWEEN 1 AND 100),
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (employee_id, attribute)
    );
    COMMENT ON TABLE protected_attributes IS
        'Read by the fairness audit only: never a model feature, never shown per person.';

    CREATE TABLE fairness_audit (
        run_id              bigint NOT NULL REFERENCES model_runs ON DELETE CASCADE,
        attribute           text NOT NULL,
        "group"             text NOT NULL,
        suppressed          boolean NOT NULL,
        -- NULL when suppressed: a suppressed group shows no figure at all.
        employees           integer CHECK (employees > 0),
        high_share          double precision CHECK (high_share BETWEEN 0 AND 1),
        low_share           double precision CHECK (low_share BETWEEN 0 AND 1),
        anomaly_share       double precision CHECK (anomaly_share BETWEEN 0 AND 1),
        predicted_low_share double precision CHECK (predicted_low_share BETWEEN 0 AND 1),
        -- The group's High share over the highest High share of the attribute's reported
        -- groups; NULL when no reported group has anyone High.
        impact_ratio        double precision CHECK (impact_ratio >= 0),
        adverse_impact      boolean,
        -- For the difference in High share between the group and the rest of the
        -- attribute's reported people (the test is named in model_runs.metrics.fairness).
        p_value             double precision CHECK (p_value BETWEEN 0 AND 1),
        PRIMARY KEY (run_id, attribute, "group"),
        CHECK (suppressed = (employees IS NULL)),
        CHECK (adverse_impact IS NULL OR adverse_impact = (impact_ratio < 0.8))
    );

    CREATE TABLE reviews (
        review_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id        bigint NOT NULL,
        employee_id   text NOT NULL,
        decision      text NOT NULL CHECK (decision IN ('confirm', 'override', 'contest')),
        -- The tier the reviewer decided on: an override's only.
        tier          text CHECK (tier IN ('High', 'Medium', 'Low')),
        reason        text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 2000),
        -- Who: the token (no foreign key: the review outlives a revoked token), its role,
        -- its name and the person it is bound to, as they were at the review.
        token_id      text NOT NULL,
        reviewer_role text NOT NULL,
        reviewer_name text NOT NULL DEFAULT '',
        reviewer_employee_id text,
        created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
        FOREIGN KEY (run_id, employee_id) REFERENCES scores ON DELETE CASCADE,
        -- One review of a result per token and run.
        UNIQUE (run_id, employee_id, token_id),
        CHECK ((decision = 'override') = (tier IS NOT NULL))
    );
    CREATE INDEX reviews_run ON reviews (run_id, employee_id, created_at);

    CREATE FUNCTION reviews_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'reviews are append-only (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER reviews_no_update
        BEFORE UPDATE ON reviews
        FOR EACH ROW EXECUTE FUNCTION reviews_append_only();
    """)


def downgrade() -> None:
    op.execute("""
    DROP TABLE reviews;
    DROP FUNCTION reviews_append_only();
    DROP TABLE fairness_audit;
    DROP TABLE protected_attributes;
    """)
