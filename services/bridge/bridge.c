/*  The bridge's service: the state of its files and outbound events, the
    reconciliation with the social record, a rejected file retried, a
    yearly summary on demand. Operators only (ADMIN). */
#include "bridge.h"
#include "sn_log.h"
#include "sn_check.h"
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct _bridge_t {
    br_spool_t *spool;          //  its directories (paths, counts, moves)
    br_schema_t *schema;        //  the exchange's XSD (borrowed)
    char outbox [1024];         //  the outbox's path
};

bridge_t *
bridge_new (const char *root, br_schema_t *schema, char *err, size_t errlen)
{
    br_spool_t *spool = br_spool_new (root, BR_READY_AGE, 0, err, errlen);
    if (!spool)
        return NULL;
    bridge_t *self = (bridge_t *) zmalloc (sizeof (bridge_t));
    self->spool = spool;
    self->schema = schema;
    br_spool_path (spool, "outbox", NULL, self->outbox);
    return self;
}

void
bridge_destroy (bridge_t **self_p)
{
    bridge_t *self = *self_p;
    if (!self)
        return;
    br_spool_destroy (&self->spool);
    free (self);
    *self_p = NULL;
}

//  The state as shown: a file not out of work/ yet is in its last phase still
//  (sql/003_shown_state.sql)
#define FILE_COLUMNS \
    "id, name, coalesce (encode (digest, 'hex'), ''), shown_state (state, moved), bytes, bytes_read, records, " \
    "next_ordinal, accepted, rejected, skipped, reason, path, report, " \
    "(extract (epoch FROM taken_at) * 1000)::bigint, " \
    "coalesce ((extract (epoch FROM finished_at) * 1000)::bigint, 0)"

//  An InboundFile from row i of FILE_COLUMNS.
static Snodo__Bridge__InboundFile *
s_file (PGresult *res, int i)
{
    static const char *const states [] = {"", "waiting", "taken", "reading", "applying", "processed",
                                          "rejected", "duplicate", NULL};
    Snodo__Bridge__InboundFile *f =
        (Snodo__Bridge__InboundFile *) sn_message_new (&snodo__bridge__inbound_file__descriptor);
    f->id = strtoull (PQgetvalue (res, i, 0), NULL, 10);
    sn_set_string (&f->name, PQgetvalue (res, i, 1));
    sn_set_string (&f->sha256, PQgetvalue (res, i, 2));
    for (int s = 1; states [s]; s++)
        if (streq (states [s], PQgetvalue (res, i, 3)))
            f->state = (Snodo__Bridge__FileState) s;
    uint64_t *counts [] = {&f->bytes, &f->bytes_read, &f->records, &f->records_done, &f->accepted,
                           &f->rejected, &f->skipped};
    for (int c = 0; c < 7; c++)
        *counts [c] = strtoull (PQgetvalue (res, i, 4 + c), NULL, 10);
    sn_set_string (&f->reason, PQgetvalue (res, i, 11));
    sn_set_string (&f->path, PQgetvalue (res, i, 12));
    sn_set_string (&f->report, PQgetvalue (res, i, 13));
    f->taken_at = atoll (PQgetvalue (res, i, 14));
    f->finished_at = atoll (PQgetvalue (res, i, 15));
    return f;
}

static bool
s_is_hex (const char *s, size_t n)
{
    if (strlen (s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr ("0123456789abcdef", s [i]))
            return false;
    return true;
}

//  ImportStatus: the last taking of a file, by its digest (or its name
//  while it is being read); WAITING while no taking is found.
static int
s_import_status (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Bridge__ImportStatusRequest *req = (const void *) input;
    if (*req->sha256 && !s_is_hex (req->sha256, 64))
        sn_call_violation (call, "sha256", "must be 64 lower-case hex digits");
    if (!*req->sha256 && !*req->name)
        sn_call_violation (call, "sha256", "or name is required");
    sn_check_text (call, "name", req->name, 200, false);
    //  ms since 1970, up to 2200 (PostgreSQL's timestamps end in 294276)
    if (req->since < 0 || req->since > 7258118400000LL)
        sn_call_violation (call, "since", "%lld is not a time from 1970 to 2200 in ms",
                           (long long) req->since);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    char since [32];
    snprintf (since, sizeof since, "%lld", (long long) req->since);
    const char *params [3] = {req->sha256, req->name, since};
    PGresult *res = sn_call_query (call, "reading the file",
        "SELECT " FILE_COLUMNS " FROM inbound_file WHERE taken_at >= to_timestamp ($3::bigint / 1000.0) "
        "AND state <> 'abandoned' AND (($1 <> '' AND digest = decode ($1, 'hex')) "
        "OR ($2 <> '' AND name = $2 AND (digest IS NULL OR $1 = ''))) ORDER BY id DESC LIMIT 1", 3, params);
    if (!res)
        return sn_call_code (call);
    Snodo__Bridge__ImportStatusReply *reply =
        (Snodo__Bridge__ImportStatusReply *) sn_message_new (&snodo__bridge__import_status_reply__descriptor);
    if (PQntuples (res) == 1)
        reply->file = s_file (res, 0);
    else {
        reply->file = (Snodo__Bridge__InboundFile *) sn_message_new (&snodo__bridge__inbound_file__descriptor);
        reply->file->state = SNODO__BRIDGE__FILE_STATE__FILE_STATE_WAITING;
        sn_set_string (&reply->file->name, req->name);
        sn_set_string (&reply->file->sha256, req->sha256);
    }
    PQclear (res);
    *output = &reply->base;
    return SNODO__CODE__OK;
}

//  The outbound side of Status: the cursors, the lag, the last file.
static int
s_status_outbound (sn_call_t *call, Snodo__Bridge__StatusReply *reply)
{
    PGresult *res = sn_call_query (call, "reading the cursors",
        "SELECT coalesce ((SELECT last_seq FROM cursor WHERE source = 'monitoring'), 0), c.last_seq, "
        "       (SELECT count (*) FROM outbound_event WHERE seq > c.last_seq), "
        "       coalesce ((SELECT (extract (epoch FROM min (at)) * 1000)::bigint FROM outbound_event "
        "                  WHERE seq > c.last_seq), 0), "
        "       coalesce ((SELECT name FROM outbound_file WHERE state = 'written' ORDER BY id DESC LIMIT 1), ''), "
        "       coalesce ((SELECT (extract (epoch FROM written_at) * 1000)::bigint FROM outbound_file "
        "                  WHERE state = 'written' ORDER BY id DESC LIMIT 1), 0) "
        "FROM outbound_cursor c", 0, NULL);
    if (!res)
        return sn_call_code (call);
    reply->monitoring_seq = strtoull (PQgetvalue (res, 0, 0), NULL, 10);
    reply->outbound_seq = strtoull (PQgetvalue (res, 0, 1), NULL, 10);
    reply->outbound_pending = strtoull (PQgetvalue (res, 0, 2), NULL, 10);
    reply->oldest_pending_at = atoll (PQgetvalue (res, 0, 3));
    sn_set_string (&reply->last_outbound_file, PQgetvalue (res, 0, 4));
    reply->last_outbound_at = atoll (PQgetvalue (res, 0, 5));
    PQclear (res);
    return SNODO__CODE__OK;
}

//  Status: files in each directory, the last files, the outbound cursor.
static int
s_status (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Bridge__StatusRequest *req = (const void *) input;
    bridge_t *self = (bridge_t *) sn_call_state (call);
    uint32_t last = req->last ? req->last : 10;
    if (last > 1000) {
        sn_call_violation (call, "last", "%u is above 1000", last);
        return sn_call_invalid (call);
    }
    Snodo__Bridge__StatusReply *reply =
        (Snodo__Bridge__StatusReply *) sn_message_new (&snodo__bridge__status_reply__descriptor);
    uint32_t *counts [] = {&reply->inbox, &reply->work, &reply->processed, &reply->rejected, &reply->outbox};
    const char *dirs [] = {"inbox", "work", "processed", "rejected", "outbox"};
    for (int i = 0; i < 5; i++) {
        int n = br_spool_count (self->spool, dirs [i]);
        *counts [i] = n > 0 ? (uint32_t) n : 0;
    }
    char limit [16];
    snprintf (limit, sizeof limit, "%u", last);
    const char *params [1] = {limit};
    PGresult *res = sn_call_query (call, "reading the files",
        "SELECT " FILE_COLUMNS " FROM inbound_file ORDER BY id DESC LIMIT $1::int", 1, params);
    int code = res ? s_status_outbound (call, reply) : sn_call_code (call);
    int rows = res ? PQntuples (res) : 0;
    reply->files = (Snodo__Bridge__InboundFile **) calloc ((size_t) rows + 1, sizeof (void *));
    for (int i = 0; i < rows; i++)
        reply->files [reply->n_files++] = s_file (res, i);
    PQclear (res);
    if (code != SNODO__CODE__OK) {
        protobuf_c_message_free_unpacked (&reply->base, NULL);
        return code;
    }
    *output = &reply->base;
    return SNODO__CODE__OK;
}

#define STATE_NAME(col) \
    "(ARRAY ['REFERRED', 'INTAKE', 'ASSESSMENT', 'MATCHING', 'PROJECT', 'AGREEMENT', 'ACTIVE', " \
    "'SUSPENDED', 'CLOSED']) [" col "]"

//  Where the hub and the social record's last records disagree, referral by referral.
static const char *const s_reconcile_sql =
    "SELECT * FROM ("
    " SELECT v.referral_id, v.codice_fiscale, '' AS person, '' AS pathway, 'NOT_ACCEPTED' AS what, "
    "        'referred (' || v.last_record || ', line ' || v.line || ')', "
    "        'no pathway: ' || v.last_reason FROM region_view v "
    " WHERE v.status = 'referred' AND NOT EXISTS (SELECT 1 FROM referral r WHERE r.id = v.referral_id) "
    " UNION ALL"
    " SELECT v.referral_id, r.codice_fiscale, r.person_id::text, r.pathway_id::text, 'WITHDRAWN_BUT_OPEN', "
    "        'withdrawn', 'pathway ' || " STATE_NAME ("p.state") " || coalesce (': ' || nullif (v.last_reason, ''), '') "
    " FROM region_view v JOIN referral r ON r.id = v.referral_id JOIN hub_pathway p ON p.id = r.pathway_id "
    " WHERE v.status = 'withdrawn' AND p.state <> " SN_SQL (BR_SQL_CLOSED)
    " UNION ALL"
    " SELECT v.referral_id, r.codice_fiscale, r.person_id::text, r.pathway_id::text, 'CLOSED_NOT_SENT', "
    "        'referred', 'pathway CLOSED; not yet in an outbound file' "
    " FROM region_view v JOIN referral r ON r.id = v.referral_id JOIN hub_pathway p ON p.id = r.pathway_id "
    " WHERE v.status = 'referred' AND p.state = " SN_SQL (BR_SQL_CLOSED) " AND EXISTS (SELECT 1 FROM outbound_event e "
    "       WHERE e.pathway_id = p.id AND e.type = 'closed' AND e.seq > (SELECT last_seq FROM outbound_cursor))"
    " UNION ALL"
    " SELECT v.referral_id, r.codice_fiscale, r.person_id::text, r.pathway_id::text, 'CONTACT_DIFFERS', "
    "        concat_ws (', ', v.municipality, v.address, v.phone, v.email), "
    "        concat_ws (', ', h.municipality, h.address, h.phone, h.email) "
    " FROM region_view v JOIN referral r ON r.id = v.referral_id JOIN hub_person h ON h.id = r.person_id "
    " WHERE (v.municipality <> '' AND v.municipality <> h.municipality) OR (v.address <> '' AND v.address <> h.address) "
    "    OR (v.phone <> '' AND v.phone <> h.phone) OR (v.email <> '' AND v.email <> h.email)"
    ") d ORDER BY 1, 5 LIMIT $1::int";

//  Reconcile: the persons and pathways on which the hub and the social
//  record's last files disagree.
static int
s_reconcile (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Bridge__ReconcileRequest *req = (const void *) input;
    uint32_t limit = req->limit ? req->limit : 100;
    if (limit > 10000) {
        sn_call_violation (call, "limit", "%u is above 10000", limit);
        return sn_call_invalid (call);
    }
    char limit_text [16];
    snprintf (limit_text, sizeof limit_text, "%u", limit);
    const char *params [1] = {limit_text};
    PGresult *res = sn_call_query (call, "reconciling", s_reconcile_sql, 1, params);
    if (!res)
        return sn_call_code (call);
    Snodo__Bridge__ReconcileReply *reply =
        (Snodo__Bridge__ReconcileReply *) sn_message_new (&snodo__bridge__reconcile_reply__descriptor);
    int rows = PQntuples (res);
    reply->items = (Snodo__Bridge__Discrepancy **) calloc ((size_t) rows + 1, sizeof (void *));
    for (int i = 0; i < rows; i++) {
        Snodo__Bridge__Discrepancy *d =
            (Snodo__Bridge__Discrepancy *) sn_message_new (&snodo__bridge__discrepancy__descriptor);
        char **fields [] = {&d->referral_id, &d->codice_fiscale, &d->person_id, &d->pathway_id, &d->what,
                            &d->region_says, &d->hub_says};
        for (int f = 0; f < 7; f++)
            sn_set_string (fields [f], PQgetvalue (res, i, f));
        if (*d->person_id)
            sn_call_audit (call, d->person_id);
        reply->items [reply->n_items++] = d;
    }
    PQclear (res);
    res = sn_call_query (call, "counting the referrals", "SELECT count (*) FROM region_view", 0, NULL);
    if (res) {
        reply->referrals = (uint32_t) atoi (PQgetvalue (res, 0, 0));
        PQclear (res);
    }
    *output = &reply->base;
    return SNODO__CODE__OK;
}

//  Retry: a rejected file back to the inbox, with a done-marker, once fixed.
static int
s_retry (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Bridge__RetryRequest *req = (const void *) input;
    bridge_t *self = (bridge_t *) sn_call_state (call);
    if (!br_spool_takes_name (req->name) || strchr (req->name, '/'))
        sn_call_violation (call, "name", "\"%.60s\" is not the name of a file in rejected/", req->name);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    char path [1024], report [1100], err [600];
    struct stat st;
    if (lstat (br_spool_path (self->spool, "rejected", req->name, path), &st) || !S_ISREG (st.st_mode))
        return sn_call_fail (call, SNODO__CODE__NOT_FOUND, "no file \"%s\" in rejected/", req->name);
    if (access (br_spool_path (self->spool, "inbox", req->name, path), F_OK) == 0)
        return sn_call_fail (call, SNODO__CODE__ALREADY_EXISTS, "a file \"%s\" is in the inbox already", req->name);
    if (br_spool_move (self->spool, "rejected", req->name, "inbox", req->name, err, sizeof err))
        return sn_call_fail (call, SNODO__CODE__INTERNAL, "%s", err);
    snprintf (report, sizeof report, "%s.report", br_spool_path (self->spool, "rejected", req->name, path));
    unlink (report);
    snprintf (report, sizeof report, "%s" BR_MARKER, br_spool_path (self->spool, "inbox", req->name, path));
    FILE *marker = fopen (report, "w");
    if (marker)
        fclose (marker);
    sn_info ("bridge: %s retried by %s", req->name, sn_call_member_id (call));
    Snodo__Bridge__RetryReply *reply =
        (Snodo__Bridge__RetryReply *) sn_message_new (&snodo__bridge__retry_reply__descriptor);
    sn_set_string (&reply->path, br_spool_path (self->spool, "inbox", req->name, path));
    *output = &reply->base;
    return SNODO__CODE__OK;
}

//  WriteSummary: a year's summary of services, now, as its next revision.
static int
s_write_summary (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Bridge__WriteSummaryRequest *req = (const void *) input;
    bridge_t *self = (bridge_t *) sn_call_state (call);
    if (req->year < 2000 || req->year > 2200) {
        sn_call_violation (call, "year", "%u is not a year from 2000 to 2200", req->year);
        return sn_call_invalid (call);
    }
    char name [256], err [600];
    uint32_t persons = 0;
    if (br_summary_write (sn_call_db (call), self->outbox, self->schema, (int) req->year, name, &persons,
                          err, sizeof err))
        return sn_call_fail (call, SNODO__CODE__INTERNAL, "%s", err);
    Snodo__Bridge__WriteSummaryReply *reply =
        (Snodo__Bridge__WriteSummaryReply *) sn_message_new (&snodo__bridge__write_summary_reply__descriptor);
    sn_set_string (&reply->file, name);
    reply->persons = persons;
    *output = &reply->base;
    return SNODO__CODE__OK;
}

static const sn_method_t s_methods [] = {
    SN_METHOD (ImportStatus, s_import_status, SN_KIND (ADMIN), 0),
    SN_METHOD (Status, s_status, SN_KIND (ADMIN), 0),
    SN_METHOD (Reconcile, s_reconcile, SN_KIND (ADMIN), SN_PERSONAL),
    SN_METHOD (Retry, s_retry, SN_KIND (ADMIN), 0),
    //  a write: its row of summary_file commits with the call, in one
    //  transaction with the others of a batch, and a retry gets its reply
    SN_METHOD (WriteSummary, s_write_summary, SN_KIND (ADMIN), SN_WRITE),
    SN_METHODS_END
};

sn_service_t
bridge_service (bridge_t *self)
{
    sn_service_t service = {
        .name = "bridge",
        .descriptor = &snodo__bridge__bridge__descriptor,
        .methods = s_methods,
        .migrations = bridge_migrations,
        .state = self,
    };
    return service;
}
