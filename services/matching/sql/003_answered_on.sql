-- The day a proposal was answered, as the operator gives it (default today):
-- an accepted proposal moves its pathway to PROJECT on that day in the
-- monitoring service. Proposals answered before this keep the day of
-- answered_at (UTC), as best we know it.
ALTER TABLE proposal ADD COLUMN answered_on date;
UPDATE proposal SET answered_on = (answered_at AT TIME ZONE 'UTC')::date WHERE answered_at IS NOT NULL;
