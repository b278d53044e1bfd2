"""Department report figures per run: what the department report's charts are drawn from,
counted once when the run is written instead of over the department's every score at
every request, and an index that finds the people to look at first without sorting them.

- department_score_bands: per run, department, model tier and band of 10 points, how many
  people score in it (reads move the run's overrides, as for department_summaries).
- department_kpi_people / department_kpi_points: per scorecard, the people it scored with a
  stored KPI breakdown, and per KPI the sum and count of their points rounded to
  POINT_DIGITS (the API's) with the KPI's place in the breakdown.
- department_summaries.results_without_kpis: how many results have no stored KPI breakdown
  (a run from before scorecards), whose points only the API can rebuild; NULL for a
  department summarised without these figures, which reads then count live.
- scores_attention: the department report's order of attention after run and department.

Runs already stored are counted here. Rows go with their run (ON DELETE CASCADE).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# The digits the API rounds a KPI's points to (api.presenters.employees.POINT_DIGITS)
# before averaging them; a read asking for other digits counts live.
POINT_DIGITS = 4

# The same counts as the live queries of store.queries.departments (score_bands,
# kpi_points, legacy_results_exist), over the runs `{runs}` selects; store.department_summaries
# runs them for one run when the run is written.
BANDS_INSERT = """
    INSERT INTO department_score_bands
    SELECT s.run_id, s.department, s.tier,
           width_bucket(s.score::float8, ARRAY[10, 20, 30, 40, 50, 60, 70, 80, 90]::float8[]),
           count(*)
      FROM scores s
     WHERE {runs} AND s.tier IN ('Low', 'Medium', 'High')
     GROUP BY 1, 2, 3, 4"""
KPI_PEOPLE_INSERT = """
    INSERT INTO department_kpi_people
    SELECT s.run_id, s.department, s.scorecard, count(*)
      FROM scores s
     WHERE {runs} AND jsonb_array_length(s.kpis) > 0
     GROUP BY 1, 2, 3"""
KPI_POINTS_INSERT = f"""
    INSERT INTO department_kpi_points
    SELECT s.run_id, s.department, s.scorecard, k.kpi ->> 'kpi_id', min(k.place),
           sum(round((k.kpi ->> 'points')::numeric, {POINT_DIGITS}))::float,
           count(k.kpi ->> 'points')
      FROM scores s
     CROSS JOIN LATERAL jsonb_array_elements(s.kpis) WITH ORDINALITY AS k(kpi, place)
     WHERE {{runs}} AND jsonb_typeof(s.kpis) = 'array'
     GROUP BY 1, 2, 3, 4"""
WITHOUT_KPIS_UPDATE = """
    UPDATE department_summaries d SET results_without_kpis = c.people
      FROM (SELECT s.run_id, s.department, count(*) FILTER (WHERE s.kpis IS NULL) AS people
              FROM scores s WHERE {runs} GROUP BY 1, 2) c
     WHERE d.run_id = c.run_id AND d.department = c.department"""


def upgrade() -> None:
    op.execute(f"""
    ALTER TABLE department_summaries ADD COLUMN results_without_kpis integer;
    CREATE TABLE department_score_bands (
        run_id     bigint NOT NULL REFERENCES model_runs ON DELETE CASCADE,
        department text NOT NULL,
        tier       text NOT NULL,  -- the model's: reads add what the run's overrides move
        band       smallint NOT NULL,  -- 0: 0-10, ..., 9: 90-100
        people     integer NOT NULL,
        PRIMARY KEY (run_id, department, tier, band)
    );
    CREATE TABLE department_kpi_people (
        run_id     bigint NOT NULL REFERENCES model_runs ON DELETE CASCADE,
        department text NOT NULL,
        scorecard  text,  -- NULL: the default scorecard
        people     integer NOT NULL
    );
    CREATE INDEX department_kpi_people_run ON department_kpi_people (run_id, department);
    CREATE TABLE department_kpi_points (
        run_id     bigint NOT NULL REFERENCES model_runs ON DELETE CASCADE,
        department text NOT NULL,
        scorecard  text,
        kpi_id     text,
        place      bigint NOT NULL,
        total      double precision,
        count      bigint NOT NULL
    );
    CREATE INDEX department_kpi_points_run ON department_kpi_points (run_id, department);
    COMMENT ON TABLE department_score_bands IS
        'Per run, department and model tier: people per band of 10 points.';
    COMMENT ON TABLE department_kpi_points IS
        'Per run, department, scorecard and KPI: sum and count of points, {POINT_DIGITS} digits.';
    {BANDS_INSERT.format(runs="true")};
    {KPI_PEOPLE_INSERT.format(runs="true")};
    {KPI_POINTS_INSERT.format(runs="true")};
    {WITHOUT_KPIS_UPDATE.format(runs="true")};
    CREATE INDEX scores_attention ON scores (
        run_id, department, is_anomaly DESC, (predicted_tier = 'Low') DESC NULLS LAST,
        (trend = 'declining') DESC NULLS LAST, score ASC NULLS LAST, employee_id);
    """)


def downgrade() -> None:
    op.execute("""
    DROP INDEX scores_attention;
    DROP TABLE department_kpi_points;
    DROP TABLE department_kpi_people;
    DROP TABLE department_score_bands;
    ALTER TABLE department_summaries DROP COLUMN results_without_kpis;
    """)
