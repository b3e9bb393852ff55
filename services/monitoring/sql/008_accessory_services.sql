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
