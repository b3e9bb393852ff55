-- The host's tutor (tutor aziendale, role 4 HOST_TUTOR): a named person of
-- the host company in the pathway's team, with contact details, recorded
-- under the host's id whether the company is a member of the network or not.
-- A host tutor's row gives that id no access to the pathway (the access rule
-- leaves role 4 out) and is not told to the registry. Any team row may carry
-- a phone and an e-mail address.
ALTER TABLE team_member ADD COLUMN phone text NOT NULL DEFAULT '';
ALTER TABLE team_member ADD COLUMN email text NOT NULL DEFAULT '';
