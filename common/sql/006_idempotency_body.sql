-- What a request asked, by its digest (BLAKE2b, 16 bytes, of the packed
-- body): a request_id used again with another body is refused instead of
-- answered with the first request's reply. Records stored before have none,
-- and are matched by member and method as before.
ALTER TABLE idempotency ADD COLUMN body_digest bytea;
