"""Result tables partitioned by run: every table a run writes (scores, the HR insights and
the fairness audit) becomes a table partitioned by LIST (run_id), with a partition per
stored run. A run then writes into partitions of its own, without indexes, and attaches
them (store.run_partitions); pruning drops its partitions.

Each table keeps its name, columns, constraints, indexes (same names), comments and
foreign keys, and the reviews' foreign key now refers to the partitioned scores. The
views over these tables are replaced with their own definitions, so they read the new
tables and keep their options and grants. Rows of stored runs are moved run by run; on a
large store this takes about as long as writing those runs did.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# The tables of a run's results, as store.run_partitions.RUN_TABLES named them here.
TABLES = (
    "scores",
    "skill_gaps",
    "training_recommendations",
    "training_demand",
    "training_effectiveness",
    "team_composition",
    "team_suggestions",
    "department_trends",
    "fairness_audit",
)
OLD = "{table}_before_0016"


def _rows(query: str, *params) -> list[tuple]:
    return list(op.get_bind().exec_driver_sql(query, params).fetchall())


def _rebuild(table: str, *, partitioned: bool) -> None:
    """Replace `table` with a copy of itself, partitioned by run or not."""
    old = OLD.format(table=table)
    views = _rows(
        """SELECT DISTINCT v.oid::regclass::text, coalesce(v.reloptions, '{}'),
                  pg_get_viewdef(v.oid)
             FROM pg_depend d
             JOIN pg_rewrite r ON r.oid = d.objid
             JOIN pg_class v ON v.oid = r.ev_class
            WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = %s::regclass
              AND v.oid <> d.refobjid AND v.relkind = 'v'""",
        table,
    )
    # Indexes: a constraint's is made with its constraint, the others from their definition.
    indexes = _rows(
        """SELECT c.relname, pg_get_indexdef(i.indexrelid), con.conname,
                  pg_get_constraintdef(con.oid)
             FROM pg_index i
             JOIN pg_class c ON c.oid = i.indexrelid
             LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid
                                        AND con.conrelid = i.indrelid
            WHERE i.indrelid = %s::regclass
            ORDER BY c.relname""",
        table,
    )
    foreign_keys = _rows(
        """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE conrelid = %s::regclass AND contype = 'f' AND conparentid = 0""",
        table,
    )
    referring = _rows(
        """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
             FROM pg_constraint
            WHERE confrelid = %s::regclass AND contype = 'f' AND conparentid = 0""",
        table,
    )
    for referrer, name, _ in referring:
        op.execute(f'ALTER TABLE {referrer} DROP CONSTRAINT "{name}"')
    op.execute(f"ALTER TABLE {table} RENAME TO {old}")
    for name, *_ in indexes:  # index names are the schema's: free them for the new table
        op.execute(f'ALTER INDEX "{name}" RENAME TO "{name}_0016"')

    op.execute(
        f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        "INCLUDING GENERATED INCLUDING COMMENTS INCLUDING STORAGE)"
        + (" PARTITION BY LIST (run_id)" if partitioned else "")
    )
    for _, definition, constraint, constraint_definition in indexes:
        if constraint is not None:
            op.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" {constraint_definition}')
        else:  # a partitioned table's reads "ON ONLY", which a plain table's need not
            op.execute(definition.replace(" ON ONLY ", " ON ", 1))
    for name, definition in foreign_keys:
        op.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')

    if partitioned:
        for (run_id,) in _rows(f"SELECT DISTINCT run_id FROM {old} ORDER BY run_id"):
            partition = f"{table}_run_{int(run_id)}"
            op.execute(
                f"CREATE TABLE {partition} (LIKE {table} INCLUDING DEFAULTS "
                "INCLUDING CONSTRAINTS INCLUDING GENERATED)"
            )
            op.execute(
                f"ALTER TABLE {partition} ADD CONSTRAINT {partition}_run "
                f"CHECK (run_id = {int(run_id)})"
            )
            op.execute(f"INSERT INTO {partition} SELECT * FROM {old} WHERE run_id = {int(run_id)}")
            op.execute(
                f"ALTER TABLE {table} ATTACH PARTITION {partition} FOR VALUES IN ({int(run_id)})"
            )
    else:
        op.execute(f"INSERT INTO {table} SELECT * FROM {old}")

    for name, options, definition in views:
        with_options = f" WITH ({', '.join(options)})" if options else ""
        op.execute(f"CREATE OR REPLACE VIEW {name}{with_options} AS {definition}")
    for referrer, name, definition in referring:
        op.execute(f'ALTER TABLE {referrer} ADD CONSTRAINT "{name}" {definition}')
    op.execute(f"DROP TABLE {old}")  # its partitions with it, on the way down


def upgrade() -> None:
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for table in TABLES:
        _rebuild(table, partitioned=True)


def downgrade() -> None:
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for table in TABLES:
        _rebuild(table, partitioned=False)
