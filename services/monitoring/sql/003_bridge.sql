-- The member that referred a person (and its pathways) for the referring
-- service: the bridge to the cartella sociale (kind 13), for an SSC. It may
-- refer only the persons it referred in the registry, and touch only the
-- pathways it referred.
ALTER TABLE person ADD COLUMN referred_via text NOT NULL DEFAULT '';
ALTER TABLE pathway ADD COLUMN referred_via text NOT NULL DEFAULT '';
CREATE INDEX pathway_referred_via ON pathway (referred_via) WHERE referred_via <> '';
