/*  sn_subscriber: cursor, replay, apply once. */
#include "sn_subscriber.h"
#include "sn_log.h"
#include "sn_actor.h"
#include "sn_client.h"
#include "sn_failed.h"
#include "sn_journal.h"
#include "sn_metrics.h"
#include "sn_store.h"
#include <pthread.h>
#include <stdarg.h>
#include <string.h>

//  The most events of a backlog applied in one transaction: a Replay's page
//  (journal.Replay gives at most 1,000).
#define BACKLOG_PAGE 1000
#define DEFAULT_ATTEMPTS 5
#define DEFAULT_BACKOFF_MS 500
//  How often operators' decisions (journal.RetryFailed, SkipFailed) are
//  looked for
#define DECISIONS_MS 1000

const char *const sn_subscriber_pass_seals [] = {SN_JOURNAL_SEALED, NULL};

//  What the apply running on this thread said of its failure (each
//  subscriber is a thread of its own)
static _Thread_local char s_apply_said [512];

void
sn_subscriber_error (const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    vsnprintf (s_apply_said, sizeof s_apply_said, fmt, args);
    va_end (args);
}

typedef struct {
    sn_subscriber_config_t config;  //  strings below own the copies
    char *source, *events_endpoint, *request_endpoint, *server_key, *conninfo, *schema;
    PGconn *db;                     //  our connection
    sn_client_t *client;            //  to the source, for Replay
    uint64_t cursor;                //  last applied seq
    bool cursor_known;              //  read from the database
    int64_t retry_at;               //  after a failure, wait until then
    bool synced;                    //  caught up, applying what the PUB socket brings
    uint64_t failing_seq;           //  the event that failed last, or has a row waiting (0: none)
    int failures;                   //  its failed tries in this round
    int64_t first_failed_at;        //  when the round's first one failed, ms since the epoch
    char error [512];               //  what the last failure said
    uint64_t parked_seq;            //  stopped at this parked event (0: not stopped)
    int64_t decisions_at;           //  when to look for operators' decisions next
    uint64_t heard;                 //  the highest seq heard of: event, heartbeat, Replay (the lag)
    int metrics_slot;               //  its row in config.metrics, or -1
} s_sub_t;

//  Reads the cursor, and the first event after it that waits in the
//  failed table: it gets a new round of tries, and its row is marked when
//  it applies. Returns 0, or -1 with err filled.
static int
s_read_cursor (s_sub_t *self, char *err, size_t errlen)
{
    const char *params [1] = {self->source};
    PGresult *res = PQexecParams (self->db, "SELECT last_seq FROM cursor WHERE source = $1",
                                  1, NULL, params, NULL, NULL, 0);
    int rc = PQresultStatus (res) == PGRES_TUPLES_OK ? 0 : -1;
    if (rc == 0)
        self->cursor = PQntuples (res) ? strtoull (PQgetvalue (res, 0, 0), NULL, 10) : 0;
    else
        snprintf (err, errlen, "could not read the cursor: %s", PQerrorMessage (self->db));
    PQclear (res);
    uint64_t open = 0;
    if (rc == 0 && sn_failed_first_open (self->db, self->source, self->cursor, &open, err, errlen))
        rc = -1;
    if (rc == 0 && open != self->failing_seq) {
        self->failing_seq = open;
        self->failures = 0;
    }
    return rc;
}

static bool
s_db (s_sub_t *self)
{
    if (self->db && !sn_store_is_down (self->db) && self->cursor_known)
        return true;
    if (zclock_time () < self->retry_at)
        return false;
    PQfinish (self->db);
    char err [512];
    self->db = sn_store_connect (self->conninfo, self->schema, err, sizeof err);
    if (self->db && sn_store_migrate (self->db, self->schema, self->config.migrations, err, sizeof err) == 0) {
        self->cursor_known = s_read_cursor (self, err, sizeof err) == 0;
        if (self->cursor_known && self->config.on_connect
        &&  self->config.on_connect (self->db, self->config.arg)) {
            snprintf (err, sizeof err, "could not load what the subscriber keeps");
            self->cursor_known = false;
        }
        if (self->cursor_known)
            return true;
    }
    sn_warning ("subscriber %s: %s", self->source, self->db ? err : "could not connect");
    PQfinish (self->db);
    self->db = NULL;
    self->retry_at = zclock_time () + 1000;
    return false;
}

static int
s_exec (PGconn *db, const char *sql)
{
    PGresult *res = PQexec (db, sql);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK ? 0 : -1;
    PQclear (res);
    return rc;
}

//  A seal of the source's audit trail, witnessed (outside its own schema),
//  inside the open transaction. Returns 0 or -1.
static int
s_witness (s_sub_t *self, const Snodo__Event *event)
{
    char err [256];
    int rc = streq (self->source, self->schema) ? 0 : sn_journal_witness (self->db, self->source, event, err, sizeof err);
    if (rc < 0) {
        sn_warning ("subscriber %s: %s", self->source, err);
        sn_subscriber_error ("%s", err);
    }
    return rc < 0 ? -1 : 0;
}

//  Begins a transaction that applies events: begun drops what an earlier
//  try, rolled back, left aside in memory. Returns 0 or -1.
static int
s_begin (s_sub_t *self)
{
    if (self->config.begun)
        self->config.begun (self->config.arg);
    return s_exec (self->db, "BEGIN");
}

//  The transaction that applied events has committed: what they keep in
//  memory is made good.
static void
s_committed (s_sub_t *self)
{
    if (self->config.committed)
        self->config.committed (self->config.arg);
}

//  What an event does here, inside the open transaction: witnessed if it is
//  a seal, and the subscriber's apply. Returns 0 or -1.
static int
s_apply_in_tx (s_sub_t *self, const Snodo__Event *event)
{
    return s_witness (self, event) ? -1 : self->config.apply (self->db, event, self->config.arg);
}

//  What s_commit_at says when the cursor was already at seq or past it: an
//  operator skipped the event (journal.SkipFailed moves the cursor in its
//  own transaction, while the subscriber may be trying the event again).
#define CURSOR_MOVED (-3)

//  Moves the cursor to seq and commits. Returns 0, -1 (the transaction is
//  left to the caller to roll back) or CURSOR_MOVED (likewise).
static int
s_commit_at (s_sub_t *self, uint64_t seq)
{
    char text [32];
    snprintf (text, sizeof text, "%llu", (unsigned long long) seq);
    const char *params [2] = {self->source, text};
    PGresult *res = PQexecParams (self->db,
        "INSERT INTO cursor (source, last_seq) VALUES ($1, $2) "
        "ON CONFLICT (source) DO UPDATE SET last_seq = $2 WHERE cursor.last_seq < $2",
        2, NULL, params, NULL, NULL, 0);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc == 0 && streq (PQcmdTuples (res), "0"))
        rc = CURSOR_MOVED;
    PQclear (res);
    if (rc == 0 && s_exec (self->db, "COMMIT") == 0) {
        self->cursor = seq;
        return 0;
    }
    return rc ? rc : -1;
}

//  What the failed try said: the apply's own words (sn_subscriber_error),
//  else the database's last error on our connection. Taken before the
//  rollback, which clears it.
static void
s_take_error (s_sub_t *self)
{
    const char *said = *s_apply_said ? s_apply_said : PQerrorMessage (self->db);
    snprintf (self->error, sizeof self->error, "%s", *said ? said : "the apply failed and did not say why");
    size_t n = strlen (self->error);
    while (n > 0 && (self->error [n - 1] == '\n' || self->error [n - 1] == ' '))
        self->error [--n] = 0;
}

static bool
s_may_pass (s_sub_t *self, const char *type)
{
    for (const char *const *prefix = self->config.pass_types; prefix && *prefix; prefix++)
        if (strncmp (type, *prefix, strlen (*prefix)) == 0)
            return true;
    return false;
}

//  Parks an event that failed every try of its round: its row, and where
//  its type is safe to pass the cursor past it, in one transaction; else
//  the subscriber stops at it. Returns 0 when it was passed, else -1.
static int
s_park (s_sub_t *self, const Snodo__Event *event)
{
    bool pass = s_may_pass (self, event->type);
    char err [512] = "";
    int rc = s_exec (self->db, "BEGIN");
    if (rc == 0)
        rc = sn_failed_park (self->db, self->source, event, self->error, self->failures, self->first_failed_at,
                             pass, err, sizeof err);
    if (rc == 0)
        rc = pass ? s_commit_at (self, event->seq) : s_exec (self->db, "COMMIT");
    if (rc) {
        sn_warning ("subscriber %s: could not park event %llu: %s; will try again", self->source,
                      (unsigned long long) event->seq, *err ? err : PQerrorMessage (self->db));
        s_exec (self->db, "ROLLBACK");
        self->retry_at = zclock_time () + self->config.backoff_ms;
        return -1;
    }
    sn_error ("subscriber %s: event %llu (%s) parked after %d tries: %s; %s", self->source,
                (unsigned long long) event->seq, event->type, self->failures, self->error,
                pass ? "its type is safe to pass: the stream goes on"
                     : "nothing more of the source is applied until an operator retries or skips it "
                       "(snodoctl events failed)");
    self->failures = 0;
    self->failing_seq = pass ? 0 : event->seq;
    self->parked_seq = pass ? 0 : event->seq;
    self->retry_at = zclock_time ();
    return pass ? 0 : -1;
}

//  A try that failed: rolled back, and counted unless the database is down
//  or the apply said not now (SN_APPLY_AGAIN); tried again after the
//  round's back-off, or parked after its last try. Returns 0 when the
//  event was passed, else -1.
static int
s_failed (s_sub_t *self, const Snodo__Event *event, int rc)
{
    s_take_error (self);
    s_exec (self->db, "ROLLBACK");
    self->synced = false;
    int64_t now = zclock_time ();
    if (sn_store_is_down (self->db) || rc == SN_APPLY_AGAIN) {
        sn_warning ("subscriber %s: event %llu (%s) not applied (%s); will try again", self->source,
                      (unsigned long long) event->seq, event->type,
                      sn_store_is_down (self->db) ? "the database is not reachable" : self->error);
        self->retry_at = now + self->config.backoff_ms;
        return -1;
    }
    if (self->failing_seq != event->seq || self->failures == 0) {
        self->failing_seq = event->seq;
        self->failures = 0;
        self->first_failed_at = now;
    }
    if (++self->failures >= self->config.max_attempts)
        return s_park (self, event);
    int64_t wait = self->config.backoff_ms;
    for (int i = 1; i < self->failures && wait < 60000; i++)
        wait *= 2;
    sn_warning ("subscriber %s: event %llu (%s) failed (try %d of %d): %s; trying again in %lld ms", self->source,
                  (unsigned long long) event->seq, event->type, self->failures, self->config.max_attempts,
                  self->error, (long long) wait);
    self->retry_at = now + wait;
    return -1;
}

//  The cursor was found past the event being applied: an operator skipped
//  it (journal.SkipFailed). Rolls back and goes on from the cursor as it
//  is now. Returns -1.
static int
s_cursor_moved (s_sub_t *self)
{
    s_exec (self->db, "ROLLBACK");
    char err [256];
    if (s_read_cursor (self, err, sizeof err))
        self->cursor_known = false;     //  connect again, and read it then
    sn_info ("subscriber %s: the cursor was moved to %llu (an event skipped); going on from there", self->source,
               (unsigned long long) self->cursor);
    self->synced = false;
    self->parked_seq = 0;
    return -1;
}

//  Applies one event and moves the cursor, in one transaction. Returns 0
//  (applied, or passed once parked), or -1.
static int
s_apply (s_sub_t *self, const Snodo__Event *event)
{
    if (event->seq <= self->cursor)
        return 0;       //  seen already
    assert (event->seq == self->cursor + 1);
    if (self->parked_seq)
        return -1;      //  stopped at it: an operator decides
    s_apply_said [0] = 0;
    if (s_begin (self))
        return s_failed (self, event, SN_APPLY_FAILED);
    int rc = s_apply_in_tx (self, event);
    char err [256];
    bool had_failed = event->seq == self->failing_seq;
    if (rc == 0 && had_failed && sn_failed_applied (self->db, self->source, event->seq, err, sizeof err))
        rc = SN_APPLY_FAILED;
    if (rc == 0)
        rc = s_commit_at (self, event->seq);
    if (rc == CURSOR_MOVED)
        return s_cursor_moved (self);
    if (rc)
        return s_failed (self, event, rc);
    s_committed (self);
    if (had_failed) {
        sn_info ("subscriber %s: event %llu (%s) applied, after %d failed tries in this round", self->source,
                   (unsigned long long) event->seq, event->type, self->failures);
        self->failing_seq = 0;
        self->failures = 0;
    }
    return 0;
}

//  Applies the events of a page (a Replay's, a backlog's) that follow the
//  cursor, in one transaction with one move of the cursor: one commit (and
//  one flush) for hundreds of events when a subscriber catches up, and with
//  apply_page their rows in a statement or two. Returns true when all were
//  applied; false when their seqs do not follow the cursor and each other,
//  or one failed and the transaction was rolled back (the caller applies
//  them one at a time, as it does when an event of the page is failing).
static bool
s_apply_batch (s_sub_t *self, Snodo__Event **events, size_t n)
{
    size_t first = 0;
    while (first < n && events [first]->seq <= self->cursor)
        first++;
    if (first == n || events [first]->seq != self->cursor + 1)
        return first == n;
    for (size_t i = first + 1; i < n; i++)
        if (events [i]->seq != events [i - 1]->seq + 1)
            return false;
    if (self->failing_seq >= events [first]->seq && self->failing_seq <= events [n - 1]->seq)
        return false;   //  its tries are counted one at a time
    if (s_begin (self))
        return false;
    bool paged = self->config.apply_page != NULL;
    for (size_t i = first; i < n; i++)
        if (paged ? s_witness (self, events [i]) : s_apply_in_tx (self, events [i])) {
            s_exec (self->db, "ROLLBACK");
            return false;
        }
    if (paged && self->config.apply_page (self->db, events + first, n - first, self->config.arg)) {
        s_exec (self->db, "ROLLBACK");
        return false;
    }
    int rc = s_commit_at (self, events [n - 1]->seq);
    if (rc == CURSOR_MOVED)
        s_cursor_moved (self);
    else
    if (rc)
        s_exec (self->db, "ROLLBACK");
    else
        s_committed (self);
    return rc == 0;
}

//  Keeps the highest seq heard of the source, for the lag the metrics show.
static void
s_heard (s_sub_t *self, uint64_t seq)
{
    if (seq > self->heard)
        self->heard = seq;
}

//  Replays from the cursor until caught up. Returns 0, or -1 to try later.
static int
s_catch_up (s_sub_t *self)
{
    if (self->parked_seq)
        return -1;      //  stopped at a parked event: an operator decides
    while (true) {
        Snodo__ReplayRequest request = SNODO__REPLAY_REQUEST__INIT;
        request.from_seq = self->cursor + 1;
        request.max = BACKLOG_PAGE;
        Snodo__ReplayReply *reply = NULL;
        sn_result_t result;
        int code = sn_client_call (self->client, "journal.Replay", "", &request.base,
                                   &snodo__replay_reply__descriptor, (ProtobufCMessage **) &reply, &result);
        if (code != SNODO__CODE__OK) {
            sn_warning ("subscriber %s: replay failed: %s", self->source, result.message);
            self->retry_at = zclock_time () + 1000;
            return -1;
        }
        int rc = 0;
        uint64_t before = self->cursor;
        s_heard (self, reply->last_seq);
        if (!s_apply_batch (self, reply->events, reply->n_events))
            for (size_t i = 0; i < reply->n_events && rc == 0; i++)
                if (reply->events [i]->seq == self->cursor + 1)
                    rc = s_apply (self, reply->events [i]);
        bool done = reply->n_events == 0 || self->cursor >= reply->last_seq;
        bool stuck = !done && rc == 0 && self->cursor == before;
        if (stuck)
            sn_error ("subscriber %s: replay from %llu did not start there (first seq %llu); "
                        "trying again later", self->source, (unsigned long long) before + 1,
                        (unsigned long long) reply->events [0]->seq);
        snodo__replay_reply__free_unpacked (reply, NULL);
        if (stuck)
            self->retry_at = zclock_time () + 1000;
        if (rc || stuck)
            return -1;      //  a failed event: s_failed set when to try again
        if (done)
            return 0;
    }
}

//  A passed event an operator retried: applied now, out of order, from its
//  row. One try: parked again if it fails.
static void
s_apply_passed (s_sub_t *self, PGresult *res, int row)
{
    Snodo__Event *event = sn_journal_event_row (res, row, self->source);
    char err [512] = "";
    s_apply_said [0] = 0;
    int rc = s_begin (self);
    if (rc == 0)
        rc = s_apply_in_tx (self, event);
    if (rc == 0)
        rc = sn_failed_applied (self->db, self->source, event->seq, err, sizeof err);
    if (rc == 0)
        rc = s_exec (self->db, "COMMIT");
    if (rc == 0)
        s_committed (self);
    if (rc == 0)
        sn_info ("subscriber %s: event %llu (%s), passed before, applied on an operator's retry", self->source,
                   (unsigned long long) event->seq, event->type);
    else {
        s_take_error (self);
        s_exec (self->db, "ROLLBACK");
        sn_warning ("subscriber %s: event %llu (%s), passed before, failed again: %s", self->source,
                      (unsigned long long) event->seq, event->type, self->error);
        if (!sn_store_is_down (self->db)
        &&  sn_failed_again (self->db, self->source, event->seq, self->error, err, sizeof err))
            sn_warning ("subscriber %s: could not park event %llu again: %s", self->source,
                          (unsigned long long) event->seq, err);
    }
    protobuf_c_message_free_unpacked (&event->base, NULL);
}

//  An operator's decision on the parked event the subscriber stopped at:
//  retried, it gets a new round of tries at once; skipped, the decision
//  moved the cursor past it (journal.SkipFailed), and the stream goes on.
static void
s_decided (s_sub_t *self, const char *state)
{
    if (streq (state, "parked"))
        return;         //  not yet
    char err [256];
    if (streq (state, "skipped") && s_read_cursor (self, err, sizeof err))
        self->cursor_known = false;     //  connect again, and read it then
    sn_info ("subscriber %s: event %llu %s by an operator; going on", self->source,
               (unsigned long long) self->parked_seq, streq (state, "skipped") ? "skipped" : "retried");
    self->parked_seq = 0;
    self->failures = 0;
    self->retry_at = zclock_time ();
}

//  What operators decided (journal.RetryFailed, SkipFailed), looked for
//  every DECISIONS_MS: on the parked event the subscriber stopped at, and
//  on passed events retried.
static void
s_decisions (s_sub_t *self)
{
    if (zclock_time () < self->decisions_at || !s_db (self))
        return;
    self->decisions_at = zclock_time () + DECISIONS_MS;
    char err [512];
    PGresult *res = sn_failed_decisions (self->db, self->source, self->parked_seq, err, sizeof err);
    if (!res) {
        sn_warning ("subscriber %s: could not read the failed events: %s", self->source, err);
        return;
    }
    for (int i = 0; i < PQntuples (res); i++) {
        uint64_t seq = strtoull (PQgetvalue (res, i, 0), NULL, 10);
        const char *state = PQgetvalue (res, i, 6);
        if (seq == self->parked_seq)
            s_decided (self, state);
        else
        if (streq (state, "retrying") && streq (PQgetvalue (res, i, 7), "t"))
            s_apply_passed (self, res, i);
    }
    PQclear (res);
}

static void
s_on_message (s_sub_t *self, zmsg_t *msg)
{
    char *topic = zmsg_popstr (msg);
    zframe_t *frame = zmsg_pop (msg);
    if (!topic || !frame)
        goto out;
    if (streq (topic, "$heartbeat")) {
        Snodo__Heartbeat *hb = snodo__heartbeat__unpack (NULL, zframe_size (frame), zframe_data (frame));
        if (hb)
            s_heard (self, hb->last_seq);
        if (hb && hb->last_seq > self->cursor)
            s_catch_up (self);
        if (hb)
            snodo__heartbeat__free_unpacked (hb, NULL);
        goto out;
    }
    Snodo__Event *event = snodo__event__unpack (NULL, zframe_size (frame), zframe_data (frame));
    if (!event) {
        sn_warning ("subscriber %s: a malformed event on topic %s was dropped", self->source, topic);
        goto out;
    }
    s_heard (self, event->seq);
    if (event->seq == self->cursor + 1)
        s_apply (self, event);
    else
    if (event->seq > self->cursor + 1)
        s_catch_up (self);      //  a gap: what we missed, and this one, come by Replay
    snodo__event__free_unpacked (event, NULL);
out:
    zstr_free (&topic);
    zframe_destroy (&frame);
}

//  Behind: the events waiting on the socket (first, and what follows it, up
//  to a page) are applied in one transaction with one move of the cursor,
//  as a Replay's page is, without asking the source for them again (its
//  workers may be busy with the writes that made them). A gap among them,
//  a heartbeat ahead of them, a failure, or more than a page waiting, and
//  Replay catches up; what waits beyond the page is dropped first, so that
//  a subscriber slower than its source does not keep the source's events in
//  memory (ZeroMQ would queue up to the socket's high-water mark).
static void
s_on_backlog (s_sub_t *self, zsock_t *sub, zmsg_t *first)
{
    Snodo__Event **events = (Snodo__Event **) calloc (BACKLOG_PAGE, sizeof (Snodo__Event *));
    assert (events);
    size_t n = 0;
    uint64_t ahead = 0;             //  the highest seq a heartbeat said
    zmsg_t *msg = first;
    while (msg) {
        char *topic = zmsg_popstr (msg);
        zframe_t *frame = zmsg_pop (msg);
        if (topic && frame && streq (topic, "$heartbeat")) {
            Snodo__Heartbeat *hb = snodo__heartbeat__unpack (NULL, zframe_size (frame), zframe_data (frame));
            if (hb && hb->last_seq > ahead)
                ahead = hb->last_seq;
            if (hb)
                snodo__heartbeat__free_unpacked (hb, NULL);
        }
        else
        if (topic && frame && n < BACKLOG_PAGE) {
            Snodo__Event *event = snodo__event__unpack (NULL, zframe_size (frame), zframe_data (frame));
            if (event)
                events [n++] = event;
        }
        zstr_free (&topic);
        zframe_destroy (&frame);
        if (msg != first)
            zmsg_destroy (&msg);
        msg = n < BACKLOG_PAGE && (zsock_events (sub) & ZMQ_POLLIN) ? zmsg_recv (sub) : NULL;
    }
    bool more = n == BACKLOG_PAGE && (zsock_events (sub) & ZMQ_POLLIN);
    while (zsock_events (sub) & ZMQ_POLLIN) {
        msg = zmsg_recv (sub);
        zmsg_destroy (&msg);
    }
    bool applied = s_apply_batch (self, events, n);
    uint64_t last = n ? events [n - 1]->seq : 0;
    s_heard (self, ahead > last ? ahead : last);
    if (!applied || more || ahead > self->cursor || last > self->cursor)
        s_catch_up (self);
    for (size_t i = 0; i < n; i++)
        snodo__event__free_unpacked (events [i], NULL);
    free (events);
}

static void
s_sub_free (s_sub_t *self)
{
    sn_client_destroy (&self->client);
    PQfinish (self->db);
    free (self->source);
    free (self->events_endpoint);
    free (self->request_endpoint);
    free (self->server_key);
    free (self->conninfo);
    free (self->schema);
    free (self);
}

//  A source sends a heartbeat every second (relay_interval_ms): this long
//  without one means the connection is lost.
#define SILENCE_MS 5000

//  A SUB socket to the source's events, every topic.
static zsock_t *
s_sub_socket (s_sub_t *self)
{
    zsock_t *sub = zsock_new (ZMQ_SUB);
    zcert_apply (self->config.cert, sub);
    zsock_set_curve_serverkey (sub, self->server_key);
    //  a few pages: a subscriber slower than its source keeps no more of its
    //  events in memory (100,000 grew a bridge importing 10^5 referrals from
    //  24 to 100 MB); what is dropped beyond comes by Replay
    zsock_set_rcvhwm (sub, 4 * BACKLOG_PAGE);
    zsock_set_subscribe (sub, "");
    zsock_connect (sub, "%s", self->events_endpoint);
    return sub;
}

//  Where the source is, asked of config.resolve: at start when the config
//  gave no endpoints, and whenever the source has gone quiet (it may have
//  moved). Takes what it says when it differs. Returns true if the
//  subscriber knows where the source is.
static bool
s_locate (s_sub_t *self)
{
    if (self->config.resolve && s_db (self)) {
        sn_peer_t peer;
        int rc = self->config.resolve (self->db, self->source, &peer);
        if (rc == 1 && *peer.events
        &&  (!self->events_endpoint || !streq (peer.events, self->events_endpoint)
             || !streq (peer.request, self->request_endpoint) || !streq (peer.public_key, self->server_key))) {
            sn_info ("subscriber %s: the source is at %s (events %s)", self->source, peer.request, peer.events);
            free (self->events_endpoint);
            free (self->request_endpoint);
            free (self->server_key);
            self->events_endpoint = strdup (peer.events);
            self->request_endpoint = strdup (peer.request);
            self->server_key = strdup (peer.public_key);
            sn_client_destroy (&self->client);
        }
    }
    if (self->events_endpoint && !self->client) {
        self->client = sn_client_new (self->request_endpoint, self->config.cert, self->server_key);
        if (self->client)
            sn_client_set_deadline (self->client, 5000);
    }
    return self->client != NULL;
}

//  A command on the actor's pipe: CURSOR (the last applied seq). Returns
//  false at $TERM.
static bool
s_sub_command (s_sub_t *self, zsock_t *pipe)
{
    char *command = sn_actor_command (pipe);
    if (!command)
        return false;
    if (streq (command, "CURSOR"))
        zstr_sendf (pipe, "%llu", (unsigned long long) self->cursor);
    zstr_free (&command);
    return true;
}

//  Until the directory says where the source is, only the pipe is heard.
//  Returns true once the source is known, false at $TERM.
static bool
s_wait_known (s_sub_t *self, zsock_t *pipe)
{
    bool known = false, waiting_said = false;
    zpoller_t *poller = zpoller_new (pipe, NULL);
    while (!(known = s_locate (self))) {
        if (!waiting_said)
            sn_info ("subscriber %s: waiting for the directory to say where the source is", self->source);
        waiting_said = true;
        void *which = zpoller_wait (poller, 1000);
        if ((which == pipe && !s_sub_command (self, pipe)) || (!which && zpoller_terminated (poller)))
            break;
    }
    zpoller_destroy (&poller);
    return known;
}

//  Follows the source until $TERM: events applied as they come, a backlog a
//  page at a time, Replay after a gap or a silence, decisions on parked events.
static void
s_follow (s_sub_t *self, zsock_t *pipe)
{
    zsock_t *sub = s_sub_socket (self);
    zpoller_t *poller = zpoller_new (pipe, sub, NULL);
    int64_t heard_at = zclock_mono ();     //  the last message of any kind from the source
    bool silent = false;                    //  said so in the log, once
    while (true) {
        if (!self->synced && !self->parked_seq && s_db (self) && zclock_time () >= self->retry_at)
            self->synced = s_catch_up (self) == 0;
        s_decisions (self);
        sn_metrics_lag (self->config.metrics, self->metrics_slot, self->heard, self->cursor);
        void *which = zpoller_wait (poller, self->synced ? 1000 : 200);
        if (which == pipe && !s_sub_command (self, pipe))
            break;
        if (which == sub) {
            heard_at = zclock_mono ();
            if (silent)
                sn_info ("subscriber %s: connected again", self->source);
            silent = false;
            zmsg_t *msg = zmsg_recv (sub);
            if (msg && self->synced && s_db (self) && (zsock_events (sub) & ZMQ_POLLIN))
                s_on_backlog (self, sub, msg);     //  behind: a page to a transaction
            else
            if (msg && self->synced && s_db (self))
                s_on_message (self, msg);
            zmsg_destroy (&msg);
            //  a failure leaves the cursor behind: the next heartbeat or gap replays
        }
        else
        if (!which && zpoller_terminated (poller))
            break;
        if (self->synced && self->db && sn_store_is_down (self->db))
            self->synced = false;
        if (zclock_mono () - heard_at > SILENCE_MS) {
            //  Not even a heartbeat: the source is gone, or its ZAP handler
            //  refused us (before it knew our key), and ZeroMQ does not try a
            //  refused connection again. A new socket, and Replay for the rest.
            if (!silent)
                sn_info ("subscriber %s: nothing heard for %d ms; connecting again (until it answers)",
                         self->source, SILENCE_MS);
            silent = true;
            zpoller_destroy (&poller);
            zsock_destroy (&sub);
            s_locate (self);
            sub = s_sub_socket (self);
            poller = zpoller_new (pipe, sub, NULL);
            heard_at = zclock_mono ();
            self->synced = false;
        }
    }
    zpoller_destroy (&poller);
    zsock_destroy (&sub);
}

static void
s_subscriber_actor (zsock_t *pipe, void *args)
{
    pthread_setname_np (pthread_self (), "sn-subscriber");
    s_sub_t *self = (s_sub_t *) args;
    zsock_signal (pipe, 0);
    if (s_wait_known (self, pipe))
        s_follow (self, pipe);
    s_sub_free (self);
}

zactor_t *
sn_subscriber_new (const sn_subscriber_config_t *config)
{
    assert (config && config->apply && config->cert);
    assert (config->resolve || (config->events_endpoint && config->request_endpoint && config->server_key));
    s_sub_t *self = (s_sub_t *) zmalloc (sizeof (s_sub_t));
    self->config = *config;
    self->source = strdup (config->source);
    self->metrics_slot = sn_metrics_source (config->metrics, config->source);
    if (config->events_endpoint && config->request_endpoint && config->server_key) {
        self->events_endpoint = strdup (config->events_endpoint);
        self->request_endpoint = strdup (config->request_endpoint);
        self->server_key = strdup (config->server_key);
    }
    self->conninfo = strdup (config->conninfo);
    self->schema = strdup (config->schema);
    if (self->config.max_attempts <= 0)
        self->config.max_attempts = DEFAULT_ATTEMPTS;
    if (self->config.backoff_ms <= 0)
        self->config.backoff_ms = DEFAULT_BACKOFF_MS;
    return zactor_new (s_subscriber_actor, self);
}
