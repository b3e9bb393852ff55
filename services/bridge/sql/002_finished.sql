-- A file's end is recorded (its state, where it goes) before its report is
-- written and it leaves work/, so that a crash in between finishes it again
-- at the same place. Until it has left, moved is false: the importer looks
-- for such files at start as for files never finished (a crash there used to
-- leave the file in work/ for ever, without its report).
ALTER TABLE inbound_file ADD COLUMN moved boolean NOT NULL DEFAULT true;
CREATE INDEX inbound_file_not_moved ON inbound_file (id) WHERE NOT moved;
