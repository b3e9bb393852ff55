-- The registry's schema: members, persons, consents, teams, companies,
-- cooperatives, job posts. Each entity keeps its fields as the JSON of its
-- protobuf message (data), with the columns that rules, indexes and
-- reporting views need beside it.

CREATE FUNCTION ms (t timestamptz) RETURNS bigint
    LANGUAGE sql IMMUTABLE AS $$ SELECT (extract (epoch FROM t) * 1000)::bigint $$;

-- The ambiti distrettuali of the province (seed 004).
CREATE TABLE ambito (
    code        text PRIMARY KEY,
    name        text NOT NULL
);
INSERT INTO ambito (code, name) VALUES
    ('est', 'Est'), ('sud', 'Sud'), ('ovest', 'Ovest'), ('nord', 'Nord'), ('urbano', 'Urbano');

CREATE TABLE member (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    kind        integer NOT NULL CHECK (kind BETWEEN 1 AND 12),   -- MemberKind (envelope.proto)
    ambito      text REFERENCES ambito,
    public_key  text NOT NULL UNIQUE CHECK (length (public_key) = 40),
    parent_id   text REFERENCES member,
    revoked     boolean NOT NULL DEFAULT false,
    data        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now (),
    updated_at  timestamptz NOT NULL DEFAULT now ()
);

CREATE TABLE person (
    id                  uuid PRIMARY KEY,
    codice_fiscale      text NOT NULL UNIQUE,
    ambito              text REFERENCES ambito,
    referring_member_id text NOT NULL REFERENCES member,
    categories          integer [] NOT NULL DEFAULT '{}',
    version             integer NOT NULL DEFAULT 1,
    data                jsonb NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now (),
    updated_at          timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX person_ambito ON person (ambito);
CREATE INDEX person_referring ON person (referring_member_id);
CREATE INDEX person_categories ON person USING gin (categories);

-- Consents by purpose and member kind (snodo.registry.Purpose, MemberKind).
CREATE TABLE consent (
    person_id   uuid NOT NULL REFERENCES person ON DELETE CASCADE,
    purpose     integer NOT NULL CHECK (purpose BETWEEN 1 AND 5),
    member_kind integer NOT NULL CHECK (member_kind BETWEEN 1 AND 12),   -- MemberKind
    granted_at  timestamptz NOT NULL DEFAULT now (),
    revoked_at  timestamptz,
    recorded_by text NOT NULL REFERENCES member,
    PRIMARY KEY (person_id, purpose, member_kind)
);

-- Members in the team (equipe) of one of the person's pathways.
CREATE TABLE team (
    person_id   uuid NOT NULL REFERENCES person ON DELETE CASCADE,
    member_id   text NOT NULL REFERENCES member,
    pathway_id  text NOT NULL DEFAULT '',
    added_at    timestamptz NOT NULL DEFAULT now (),
    PRIMARY KEY (person_id, member_id, pathway_id)
);
CREATE INDEX team_member ON team (member_id);

CREATE TABLE company (
    id          uuid PRIMARY KEY,
    partita_iva text NOT NULL UNIQUE,
    ambito      text REFERENCES ambito,
    uncovered   integer NOT NULL DEFAULT 0,
    data        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now (),
    updated_at  timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX company_uncovered ON company (uncovered DESC, id);

CREATE TABLE cooperative (
    id          uuid PRIMARY KEY,
    partita_iva text NOT NULL UNIQUE,
    ambito      text REFERENCES ambito,
    member_id   text REFERENCES member,
    data        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now (),
    updated_at  timestamptz NOT NULL DEFAULT now ()
);

CREATE TABLE job_post (
    id          uuid PRIMARY KEY,
    employer_id uuid NOT NULL,
    ambito      text REFERENCES ambito,
    status      integer NOT NULL DEFAULT 1,
    data        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now (),
    updated_at  timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX job_post_employer ON job_post (employer_id);
