-- The bridge to the regional cartella sociale is a member of kind BRIDGE (13).
-- It refers a person for the SSC of the person's ambito; referred_via names
-- it, and gives it the referring service's relationship with that person
-- (and with no other). Contact data are kept in data like every other field.
ALTER TABLE member DROP CONSTRAINT member_kind_check;
ALTER TABLE member ADD CONSTRAINT member_kind_check CHECK (kind BETWEEN 1 AND 13);
ALTER TABLE person ADD COLUMN referred_via text REFERENCES member;
CREATE INDEX person_referred_via ON person (referred_via) WHERE referred_via IS NOT NULL;
