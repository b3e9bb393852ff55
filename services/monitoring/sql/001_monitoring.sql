-- The monitoring service's schema: pathways (percorsi di inserimento) with
-- their team, meetings, visits, attendance, S.O.M.I. observations and the
-- standard services delivered. A pathway keeps the fields that have no column
-- as the JSON of its protobuf message (data), like the registry.

CREATE FUNCTION ms (t timestamptz) RETURNS bigint
    LANGUAGE sql IMMUTABLE AS $$ SELECT (extract (epoch FROM t) * 1000)::bigint $$;

-- What the registry said of a person (registry.person.* events): enough for
-- the referral, the queries by ambito and the scuola-pass rule.
CREATE TABLE person (
    id                  uuid PRIMARY KEY,
    referring_member_id text NOT NULL,
    ambito              text NOT NULL DEFAULT '',
    invalidity_percent  integer NOT NULL DEFAULT 0,
    updated_at          timestamptz NOT NULL DEFAULT now ()
);

CREATE TABLE pathway (
    id                  uuid PRIMARY KEY,
    person_id           uuid NOT NULL REFERENCES person,
    state               integer NOT NULL CHECK (state BETWEEN 1 AND 9),   -- PathwayState: 1 REFERRED ... 9 CLOSED
    kind                integer NOT NULL DEFAULT 0,
    referring_member_id text NOT NULL,
    ambito              text NOT NULL DEFAULT '',
    employer_id         text NOT NULL DEFAULT '',
    host_id             text NOT NULL DEFAULT '',
    start_date          date,
    outcome             integer NOT NULL DEFAULT 0,
    version             integer NOT NULL DEFAULT 1,
    data                jsonb NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now (),
    updated_at          timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX pathway_person ON pathway (person_id);
CREATE INDEX pathway_state ON pathway (state, id);
CREATE INDEX pathway_referring ON pathway (referring_member_id);
CREATE INDEX pathway_ambito ON pathway (ambito);

-- The team (équipe di progetto). A removed member keeps its row (removed_at).
CREATE TABLE team_member (
    pathway_id  uuid NOT NULL REFERENCES pathway,
    member_id   text NOT NULL,
    role        integer NOT NULL,
    name        text NOT NULL DEFAULT '',
    referente   boolean NOT NULL DEFAULT false,
    added_at    timestamptz NOT NULL DEFAULT now (),
    removed_at  timestamptz
);
CREATE UNIQUE INDEX team_member_current ON team_member (pathway_id, member_id, name) WHERE removed_at IS NULL;
CREATE INDEX team_member_member ON team_member (member_id) WHERE removed_at IS NULL;

-- The schedule: number 1 the joint meeting, 2.. the verifications, 0 extra.
CREATE TABLE meeting (
    id              bigserial PRIMARY KEY,
    pathway_id      uuid NOT NULL REFERENCES pathway,
    number          integer NOT NULL,
    kind            integer NOT NULL,
    due_on          date,
    status          integer NOT NULL DEFAULT 1,
    held_on         date,
    participants    text [] NOT NULL DEFAULT '{}',
    notes           text NOT NULL DEFAULT '',
    recorded_by     text NOT NULL DEFAULT '',
    overdue_notified_at timestamptz
);
CREATE UNIQUE INDEX meeting_number ON meeting (pathway_id, number) WHERE number > 0;
CREATE INDEX meeting_due ON meeting (due_on) WHERE status = 1;   -- MeetingStatus SCHEDULED

CREATE TABLE visit (
    id          bigserial PRIMARY KEY,
    pathway_id  uuid NOT NULL REFERENCES pathway,
    visited_on  date NOT NULL,
    visitor     text NOT NULL DEFAULT '',
    notes       text NOT NULL DEFAULT '',
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX visit_pathway ON visit (pathway_id, visited_on);

-- Daily attendance (controllo delle presenze): one row per pathway and day;
-- recording a day again corrects it.
CREATE TABLE attendance (
    pathway_id  uuid NOT NULL,
    day         date NOT NULL,
    presence    smallint NOT NULL CHECK (presence BETWEEN 1 AND 3),   -- Presence: 1 PRESENT, 2 and 3 absent
    hours       numeric (4, 2) NOT NULL CHECK (hours BETWEEN 0 AND 12),
    note        text NOT NULL DEFAULT '',
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now (),
    PRIMARY KEY (pathway_id, day)
);

-- S.O.M.I. observation forms; scores as the JSON of snodo.registry.Profile.
CREATE TABLE observation (
    id          bigserial PRIMARY KEY,
    pathway_id  uuid NOT NULL REFERENCES pathway,
    observed_on date NOT NULL,
    scores      jsonb NOT NULL,
    observer    text NOT NULL DEFAULT '',
    notes       text NOT NULL DEFAULT '',
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX observation_pathway ON observation (pathway_id, observed_on);

-- The standard services of seed 003 (Trento accreditation standards) with the
-- range of hours a delivery should total. Where a service has several
-- modalities, the range spans them (the least of the minima, the sum of the
-- maxima of modalities delivered together).
CREATE TABLE standard_service (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    min_hours   numeric (6, 2) NOT NULL,
    max_hours   numeric (6, 2) NOT NULL
);
INSERT INTO standard_service (code, name, min_hours, max_hours) VALUES
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

CREATE TABLE service_delivery (
    id              bigserial PRIMARY KEY,
    pathway_id      uuid NOT NULL REFERENCES pathway,
    code            text NOT NULL REFERENCES standard_service,
    delivered_on    date NOT NULL,
    hours           numeric (6, 2) NOT NULL CHECK (hours > 0),
    operator_name   text NOT NULL DEFAULT '',
    notes           text NOT NULL DEFAULT '',
    recorded_by     text NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX service_delivery_pathway ON service_delivery (pathway_id, code);

-- A person has at most one open pathway at a time.
CREATE UNIQUE INDEX pathway_one_open ON pathway (person_id) WHERE state <> 9;   -- PathwayState CLOSED
