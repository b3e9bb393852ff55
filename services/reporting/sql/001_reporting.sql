-- The reporting service's schema (docs/reporting.md).
--
-- What the events said, one row per thing (person, pathway, hours per
-- standard code, overdue meeting, company), and the aggregates kept from
-- them. Every figure is a sum of contributions; a person's contributions
-- are a pure function of that person's rows (the view contribution), so
-- whenever an event touches a person, refresh_person takes the person's old
-- contributions out of the aggregates and puts the new ones in, in the
-- event's transaction. The aggregates therefore depend only on the rows,
-- never on the order in which the registry's and monitoring's events
-- arrived: a rebuild from Replay gives the same figures.

-- The registry's persons, as far as reporting needs them.
CREATE TABLE person (
    id          uuid PRIMARY KEY,
    category    smallint NOT NULL DEFAULT 0,    -- the first of the person's law 381 categories
    poverty     boolean NOT NULL DEFAULT false  -- CATEGORY_POVERTY_RISK among them (objective 9)
);

-- Monitoring's pathways, as the last event said.
CREATE TABLE pathway (
    id              uuid PRIMARY KEY,
    person_id       uuid NOT NULL,
    state           smallint NOT NULL,
    kind            smallint NOT NULL DEFAULT 0,
    referring       text NOT NULL DEFAULT '',   -- servizio inviante
    ambito          text NOT NULL DEFAULT '',
    referred_on     date,
    start_date      date,                       -- the active placement's first day
    outcome         smallint NOT NULL DEFAULT 0,
    outcome_date    date,
    weekly_hours    smallint NOT NULL DEFAULT 0 -- when hired
);
CREATE INDEX pathway_person ON pathway (person_id);
CREATE INDEX pathway_referring ON pathway (referring, referred_on);

-- Hours delivered per pathway and standard code (monitoring.service.delivered),
-- in hundredths of an hour so that sums are exact.
CREATE TABLE delivery (
    pathway_id  uuid NOT NULL,
    code        text NOT NULL,
    centihours  bigint NOT NULL,
    deliveries  integer NOT NULL,
    PRIMARY KEY (pathway_id, code)
);

-- Meetings announced overdue and not recorded since.
CREATE TABLE overdue (
    pathway_id  uuid NOT NULL,
    number      integer NOT NULL,
    PRIMARY KEY (pathway_id, number)
);

-- The registry's companies (law 68/1999 quota).
CREATE TABLE company (
    id          uuid PRIMARY KEY,
    employees   integer NOT NULL,
    quota       integer NOT NULL,
    uncovered   integer NOT NULL
);

-- Seed 003's standard services and their range of hours (the same table as
-- monitoring's, which reporting does not read: a service reads no other
-- service's tables).
CREATE TABLE standard (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    min_hours   numeric (6, 2) NOT NULL,
    max_hours   numeric (6, 2) NOT NULL
);
INSERT INTO standard (code, name, min_hours, max_hours) VALUES
    ('1A', 'Accoglienza, informazione e primo orientamento ai servizi', 0.17, 1),
    ('2A', 'Orientamento professionale di primo livello', 1, 10),
    ('2Ba', 'Consulenza professionale', 3, 20),
    ('2Bb', 'Bilancio di competenze', 15, 18),
    ('2Ca', 'Coaching', 10, 15),
    ('2Cb', 'Tutorato personalizzato', 20, 40),
    ('2Cc', 'Tirocinio', 10, 20),
    ('2Cd', 'Laboratorio', 80, 300),
    ('2Ce', 'Inserimento lavorativo', 20, 82),
    ('2D', 'Consulenza per l''avvio di attivita autonoma', 10, 40),
    ('3A', 'Orientamento specialistico', 2.25, 20),
    ('3Ba', 'Coaching', 0, 20),
    ('3Bb', 'Tutorato personalizzato', 20, 120),
    ('3Bc', 'Tirocinio', 0, 50),
    ('3Bd', 'Laboratorio', 80, 300),
    ('3Be', 'Inserimento lavorativo', 20, 160),
    ('4A', 'Promozione e prima informazione', 0.5, 1),
    ('4B', 'Consulenza per la rilevazione e gestione dei fabbisogni', 2, 10),
    ('4C', 'Incontro domanda offerta di lavoro', 4, 8),
    ('4D', 'Supporto alla verifica delle competenze e alla selezione', 2, 12),
    ('4E', 'Ricollocazione professionale', 15, 30);

-- The measures (ind), as rep_report.h names them:
--   1 persons placed, 2 work placements, 3 placements with social-integration
--   objectives, 4 placements in protected workshops, 5 persons at risk of
--   poverty with a pathway of social inclusion, 6 ... of work re-insertion;
--   10 pathways referred (the cohort), 11 hired, 12 returned, 13 interrupted,
--   14 still open, 15 hired for 20 hours a week or more;
--   20 within the standard range, 21 below it (closed pathways), 22 above it;
--   31-39 pathways in state 1-9 now; 40 overdue meetings of active pathways.
-- s1, s2, s3: sums for means (hired: days from referral to hiring, weekly
-- hours, the hiring day as days since 1970; standards: centihours).
CREATE VIEW contribution AS
    -- 1: a person counts once a year, in the cells of the first pathway
    -- started that year
    SELECT person_id, 1::smallint AS ind, year, ambito, referring, category, ''::text AS code,
           1::bigint AS n, 0::bigint AS s1, 0::bigint AS s2, 0::bigint AS s3
    FROM (SELECT DISTINCT ON (p.person_id, date_part ('year', p.start_date))
                 p.person_id, date_part ('year', p.start_date)::smallint AS year, p.ambito, p.referring,
                 coalesce (pe.category, 0::smallint) AS category
          FROM pathway p LEFT JOIN person pe ON pe.id = p.person_id
          WHERE p.start_date IS NOT NULL
          ORDER BY p.person_id, date_part ('year', p.start_date), p.start_date, p.id) first_start
UNION ALL
    -- 2-4: placements started in the year, by kind
    SELECT p.person_id, CASE WHEN p.kind IN (1, 4) THEN 2 WHEN p.kind IN (3, 5) THEN 3 ELSE 4 END::smallint,
           date_part ('year', p.start_date)::smallint, p.ambito, p.referring,
           coalesce (pe.category, 0::smallint), '', 1, 0, 0, 0
    FROM pathway p LEFT JOIN person pe ON pe.id = p.person_id
    WHERE p.start_date IS NOT NULL AND p.kind BETWEEN 1 AND 5
UNION ALL
    -- 5, 6: persons at risk of poverty with a pathway referred in the year
    SELECT person_id, ind, year, ambito, referring, category, '', 1, 0, 0, 0
    FROM (SELECT DISTINCT ON (p.person_id, p.kind IN (1, 4), date_part ('year', p.referred_on))
                 p.person_id, CASE WHEN p.kind IN (1, 4) THEN 6 ELSE 5 END::smallint AS ind,
                 date_part ('year', p.referred_on)::smallint AS year, p.ambito, p.referring, pe.category
          FROM pathway p JOIN person pe ON pe.id = p.person_id
          WHERE pe.poverty AND p.referred_on IS NOT NULL AND p.kind BETWEEN 1 AND 5
          ORDER BY p.person_id, p.kind IN (1, 4), date_part ('year', p.referred_on), p.referred_on, p.id) poor
UNION ALL
    -- 10-15: the outcome of each pathway, by the year it was referred
    SELECT p.person_id, o.ind, date_part ('year', p.referred_on)::smallint, p.ambito, p.referring,
           coalesce (pe.category, 0::smallint), '', 1, o.s1, o.s2, o.s3
    FROM pathway p LEFT JOIN person pe ON pe.id = p.person_id
    CROSS JOIN LATERAL (VALUES
        (10::smallint, 0::bigint, 0::bigint, 0::bigint),
        (CASE WHEN p.state <> 9 THEN 14 ELSE 10 + p.outcome END::smallint,
         CASE WHEN p.outcome = 1 AND p.state = 9 THEN (p.outcome_date - p.referred_on)::bigint ELSE 0 END,
         CASE WHEN p.outcome = 1 AND p.state = 9 THEN p.weekly_hours::bigint ELSE 0 END,
         CASE WHEN p.outcome = 1 AND p.state = 9 THEN (p.outcome_date - date '1970-01-01')::bigint ELSE 0 END),
        (CASE WHEN p.state = 9 AND p.outcome = 1 AND p.weekly_hours >= 20 THEN 15 ELSE 0 END::smallint,
         0, 0, 0)) o (ind, s1, s2, s3)
    WHERE p.referred_on IS NOT NULL AND o.ind > 0 AND (p.state <> 9 OR p.outcome BETWEEN 1 AND 3)
UNION ALL
    -- 20-22: hours per standard code against its range, by the year referred;
    -- below the minimum counts once the pathway is closed
    SELECT p.person_id,
           CASE WHEN d.centihours > s.max_hours * 100 THEN 22
                WHEN d.centihours < s.min_hours * 100 AND p.state = 9 THEN 21 ELSE 20 END::smallint,
           date_part ('year', p.referred_on)::smallint, p.ambito, p.referring,
           coalesce (pe.category, 0::smallint), d.code, 1, d.centihours, 0, 0
    FROM delivery d JOIN pathway p ON p.id = d.pathway_id JOIN standard s ON s.code = d.code
    LEFT JOIN person pe ON pe.id = p.person_id
    WHERE p.referred_on IS NOT NULL
UNION ALL
    -- 31-39: pathways by state now
    SELECT p.person_id, (30 + p.state)::smallint, 0::smallint, p.ambito, p.referring,
           coalesce (pe.category, 0::smallint), '', 1, 0, 0, 0
    FROM pathway p LEFT JOIN person pe ON pe.id = p.person_id
    WHERE p.state BETWEEN 1 AND 9
UNION ALL
    -- 40: overdue meetings of active pathways now
    SELECT p.person_id, 40::smallint, 0::smallint, p.ambito, p.referring,
           coalesce (pe.category, 0::smallint), '', count (*), 0, 0, 0
    FROM overdue m JOIN pathway p ON p.id = m.pathway_id LEFT JOIN person pe ON pe.id = p.person_id
    WHERE p.state = 7
    GROUP BY p.person_id, p.ambito, p.referring, pe.category;

-- Each person's contributions as last applied.
CREATE TABLE contrib (
    person_id   uuid NOT NULL,
    ind         smallint NOT NULL,
    year        smallint NOT NULL,
    ambito      text NOT NULL,
    referring   text NOT NULL,
    category    smallint NOT NULL,
    code        text NOT NULL,
    n           bigint NOT NULL,
    s1          bigint NOT NULL,
    s2          bigint NOT NULL,
    s3          bigint NOT NULL
);
CREATE INDEX contrib_person ON contrib (person_id);

-- Every dimension together: for the views of one referring member.
CREATE TABLE cube (
    ind         smallint NOT NULL,
    year        smallint NOT NULL,
    ambito      text NOT NULL,
    referring   text NOT NULL,
    category    smallint NOT NULL,
    code        text NOT NULL,
    n           bigint NOT NULL,
    s1          bigint NOT NULL,
    s2          bigint NOT NULL,
    s3          bigint NOT NULL,
    PRIMARY KEY (referring, ind, year, ambito, category, code)
);

-- One dimension at a time (dim: a ambito, c category, r referring, s
-- standard code, t the total): the network's tables.
CREATE TABLE margin (
    ind         smallint NOT NULL,
    year        smallint NOT NULL,
    dim         "char" NOT NULL,
    value       text NOT NULL,
    n           bigint NOT NULL,
    s1          bigint NOT NULL,
    s2          bigint NOT NULL,
    s3          bigint NOT NULL,
    PRIMARY KEY (ind, year, dim, value)
);

-- Takes a person's old contributions out of the aggregates and puts the new
-- ones in. One statement: the old rows, the new, their difference, applied.
-- PL/pgSQL, not SQL: its statement is planned once per session (a SQL
-- function's is planned again at every call, most of its cost).
CREATE FUNCTION refresh_person (pid uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    WITH old AS (DELETE FROM contrib WHERE person_id = pid RETURNING *),
    new AS (INSERT INTO contrib SELECT * FROM contribution WHERE person_id = pid RETURNING *),
    delta AS (
        SELECT ind, year, ambito, referring, category, code,
               sum (n) AS n, sum (s1) AS s1, sum (s2) AS s2, sum (s3) AS s3
        FROM (SELECT ind, year, ambito, referring, category, code, n, s1, s2, s3 FROM new
              UNION ALL
              SELECT ind, year, ambito, referring, category, code, -n, -s1, -s2, -s3 FROM old) d
        GROUP BY ind, year, ambito, referring, category, code
        HAVING sum (n) <> 0 OR sum (s1) <> 0 OR sum (s2) <> 0 OR sum (s3) <> 0),
    cube_up AS (
        INSERT INTO cube AS c SELECT * FROM delta
        ON CONFLICT (referring, ind, year, ambito, category, code) DO UPDATE
        SET n = c.n + excluded.n, s1 = c.s1 + excluded.s1, s2 = c.s2 + excluded.s2, s3 = c.s3 + excluded.s3)
    INSERT INTO margin AS m
    SELECT ind, year, dim, value, sum (n), sum (s1), sum (s2), sum (s3)
    FROM delta CROSS JOIN LATERAL (VALUES ('a'::"char", ambito), ('c', category::text), ('r', referring),
                                          ('s', code), ('t', '')) v (dim, value)
    GROUP BY ind, year, dim, value
    ON CONFLICT (ind, year, dim, value) DO UPDATE
    SET n = m.n + excluded.n, s1 = m.s1 + excluded.s1, s2 = m.s2 + excluded.s2, s3 = m.s3 + excluded.s3;
END
$$;

-- Every aggregate again from the rows, in bulk: what refresh_person does for
-- one person, for all of them (Rebuild, after replaying the events into the
-- rows). Updating the same cells once an event inside one transaction would
-- leave a chain of row versions behind each cell, longer with every event.
CREATE FUNCTION recompute_all () RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE contrib, cube, margin;
    INSERT INTO contrib SELECT * FROM contribution;
    INSERT INTO cube
    SELECT ind, year, ambito, referring, category, code, sum (n), sum (s1), sum (s2), sum (s3)
    FROM contrib GROUP BY ind, year, ambito, referring, category, code;
    INSERT INTO margin
    SELECT ind, year, v.dim, v.value, sum (n), sum (s1), sum (s2), sum (s3)
    FROM contrib CROSS JOIN LATERAL (VALUES ('a'::"char", ambito), ('c', category::text), ('r', referring),
                                            ('s', code), ('t', '')) v (dim, value)
    GROUP BY ind, year, v.dim, v.value;
END
$$;

-- One-time links to the dashboard (CreateDashboardLink) and the sessions
-- they open: only a hash of each token is kept.
CREATE TABLE dashboard_link (
    token_hash  bytea PRIMARY KEY,
    member_id   text NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE TABLE dashboard_session (
    token_hash  bytea PRIMARY KEY,
    member_id   text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now (),
    expires_at  timestamptz NOT NULL
);
