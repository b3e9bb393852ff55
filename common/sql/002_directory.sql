-- The members of the network as a service other than the registry knows
-- them: kept from the registry's events (registry.member.*) by sn_directory,
-- loaded into the ZAP handler's table at start. The registry itself keeps its
-- members in its own member table and leaves this one empty.
CREATE TABLE directory (
    id          text PRIMARY KEY,
    kind        integer NOT NULL,
    ambito      text NOT NULL DEFAULT '',
    public_key  text NOT NULL,
    revoked     boolean NOT NULL DEFAULT false,
    updated_at  timestamptz NOT NULL DEFAULT now ()
);
