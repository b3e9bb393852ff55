-- The matching service's schema: what it keeps of the registry's persons,
-- teams, job posts and companies (from the registry's events), the pathways
-- it hears of from monitoring, and its own proposals. Persons, posts and
-- companies are kept as the packed protobuf of the registry's message,
-- trimmed of what matching does not use (codice fiscale, birth date,
-- invalidity, commission outcome, notes), so that a restart loads the index
-- without a replay.

CREATE TABLE person (
    id          uuid PRIMARY KEY,
    data        bytea NOT NULL,             -- snodo.registry.Person, trimmed
    updated_at  timestamptz NOT NULL DEFAULT now ()
);

-- Members in the team (equipe) of one of the person's pathways.
CREATE TABLE team (
    person_id   uuid NOT NULL,
    member_id   text NOT NULL,
    pathway_id  text NOT NULL DEFAULT '',
    PRIMARY KEY (person_id, member_id, pathway_id)
);

CREATE TABLE post (
    id              uuid PRIMARY KEY,
    employer_id     uuid NOT NULL,
    open            boolean NOT NULL,
    places          integer NOT NULL,
    places_filled   integer NOT NULL,
    data            bytea NOT NULL,         -- snodo.registry.JobPost
    updated_at      timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX post_employer ON post (employer_id);

CREATE TABLE company (
    id          uuid PRIMARY KEY,
    ambito      text NOT NULL DEFAULT '',
    uncovered   integer NOT NULL,
    employees   integer NOT NULL,
    data        bytea NOT NULL,             -- snodo.registry.Company
    updated_at  timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX company_uncovered ON company (uncovered DESC, employees DESC, id);

-- Pathways as the monitoring service's events tell them (state:
-- snodo.monitoring.PathwayState); PROJECT (5) to SUSPENDED (8) engage a person.
CREATE TABLE pathway (
    id          text PRIMARY KEY,
    person_id   uuid NOT NULL,
    state       integer NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX pathway_person ON pathway (person_id);

-- Proposals: a pairing of a person with a post, its explanation as computed
-- when proposed, and its answer (status: snodo.matching.ProposalStatus).
CREATE TABLE proposal (
    id          uuid PRIMARY KEY,
    person_id   uuid NOT NULL,
    post_id     uuid NOT NULL,
    employer_id text NOT NULL,
    pathway_id  text NOT NULL DEFAULT '',
    status      integer NOT NULL DEFAULT 1 CHECK (status BETWEEN 1 AND 3),   -- ProposalStatus: 1 OPEN, 2 ACCEPTED, 3 REFUSED
    reason      text NOT NULL DEFAULT '',
    explanation bytea NOT NULL,             -- snodo.matching.Explanation
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now (),
    answered_by text NOT NULL DEFAULT '',
    answered_at timestamptz
);
CREATE INDEX proposal_person ON proposal (person_id);
CREATE INDEX proposal_post ON proposal (post_id, status);
-- one open proposal per pairing
CREATE UNIQUE INDEX proposal_open ON proposal (person_id, post_id) WHERE status = 1;   -- OPEN
