-- Accessory services (prestazioni accessorie, seed 000): transport and lunch
-- with provider, cost and who pays (kind 1 TRANSPORT, 2 LUNCH), and the
-- extraordinary transport funding with its decision, as the JSON of
-- AccessoryService and TransportFunding. A new row replaces the last of its
-- kind (the current one is the last); the rows before it stay as they were.
CREATE TABLE accessory_service (
    id          bigserial PRIMARY KEY,
    pathway_id  uuid NOT NULL REFERENCES pathway ON DELETE CASCADE,
    kind        integer NOT NULL CHECK (kind BETWEEN 1 AND 2),     -- AccessoryKind
    data        jsonb NOT NULL,
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX accessory_service_pathway ON accessory_service (pathway_id, kind, id);

CREATE TABLE transport_funding (
    id          bigserial PRIMARY KEY,
    pathway_id  uuid NOT NULL REFERENCES pathway ON DELETE CASCADE,
    data        jsonb NOT NULL,
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX transport_funding_pathway ON transport_funding (pathway_id, id);

-- The periodic review (confronto periodico, seed 000): mediations between the
-- person and the workplace, work aids and adaptations, each dated, with who
-- did it and what (kind 1 MEDIATION, 2 AID, 3 ADAPTATION).
CREATE TABLE intervention (
    id          bigserial PRIMARY KEY,
    pathway_id  uuid NOT NULL REFERENCES pathway ON DELETE CASCADE,
    done_on     date NOT NULL,
    kind        integer NOT NULL CHECK (kind BETWEEN 1 AND 3),     -- InterventionKind
    done_by     text NOT NULL,
    what        text NOT NULL,
    notes       text NOT NULL DEFAULT '',
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX intervention_pathway ON intervention (pathway_id, done_on);
