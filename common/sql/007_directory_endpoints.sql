-- Where each member's services listen, as the registry's member events say
-- (Member.endpoints): a service finds another here when its config does not
-- name it (sn_app_peer), and a subscriber looks again when its source has
-- gone quiet (it may have moved). Kept by sn_directory with the directory.
CREATE TABLE directory_endpoint (
    member_id   text NOT NULL REFERENCES directory ON DELETE CASCADE,
    service     text NOT NULL,
    request     text NOT NULL,
    events      text NOT NULL DEFAULT '',
    PRIMARY KEY (member_id, service)
);
CREATE INDEX directory_endpoint_service ON directory_endpoint (service);
