"""A synthetic but believable organisation, for demos, tests and benchmarks.

One module per part: `departments` (the fixed story), `catalogue` (titles, skills, role
requirements), `hierarchy` (the org chart), `people`, `task_records`, `kpi_values` (custom
KPIs, scorecards and their monthly values), `surveys`, `skills`, `training`, and
`organisation`, which generates them all from independent random streams. `profiles` holds
the other companies (a restaurant group, a sales organisation, a remote-first company);
the story below is the default one, and the others follow it with their own departments,
KPIs and scorecards.

The story: a ten-year-old company run by one CEO (the first hire, ``E00001``). Below the
CEO sit seven departments of very different sizes (Engineering is the largest, People
and Finance the smallest), each led by a department head. A department is cut into teams
of roughly 5–12 people named within it ("Engineering Platform", "Sales Enterprise 2");
every team member reports to the team lead, every lead to the department head, every
head to the CEO. Individual contributors climb a per-department title ladder
("Software Engineer" → "Senior Software Engineer" → "Staff Software Engineer") with
tenure and ability. The company has grown, so recent hires outnumber veterans and some
people joined during the reporting window: their task records start at their hire month
(pro rata for a mid-month start) and never before it.

Each person carries a hidden ability. It drives, each with its own noise so that the
observed measures correlate without being copies of one another: the share of assigned
tasks completed, hours per task, throughput, survey engagement and satisfaction, and
assessed skill levels. Ability also drifts: most people are stable, some improve month
after month and some decline, so trends and next-period predictions have something to
find. Workloads differ by department (a support agent closes a hundred and more tickets a
month, an engineer a dozen larger tasks), vary from month to month and dip in December;
about 1.5% of person-months are leave with no tasks at all. About 1% of people are true
outliers: logging huge hours for little output, reporting implausible throughput, or
completing almost nothing. Roughly one person in ten never answers the quarterly survey.

Each job title requires 3–5 skills with a level (1–5) and an importance (0–1); people are
assessed in their role's skills (and sometimes a few others) at levels that grow with
ability and tenure, so real skill gaps exist, and every skill has 1–3 training programs.
About 20% of people completed a program for one of their gaps 4–8 months before the last
period; from the month after, their share of tasks completed rises, except for one program
(the second most taken) that changes nothing, so training effectiveness has something to
tell apart.

Everything is vectorised with numpy (no Python loop over people or records), so a
million employees and their ~11 million task records take seconds. The result depends
only on (employees, seed, months, end_period): every date lies on or before
``end_period``, so no date is in the future when ``end_period`` is not, as the default
(the first day of the current month) never is. Only for a window the caller puts in the
future are hire dates capped at today and survey answers after today left out.
"""

from worker.demo.organisation import generate_organisation

__all__ = ["generate_organisation"]
