/*  sn_metrics: the service's figures for Prometheus. See sn_metrics.h. */
#include "sn_metrics.h"
#include "sn_http.h"
#include "sn_log.h"
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  The latency buckets, in µs (1 ms .. 10 s), and the batch sizes'.
static const uint64_t s_latency_us [] = {1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
                                          500000, 1000000, 2500000, 5000000, 10000000};
#define LATENCY_BUCKETS (sizeof s_latency_us / sizeof s_latency_us [0])
static const uint64_t s_batch_sizes [] = {1, 2, 4, 8, 16, 32, 64};
#define BATCH_BUCKETS (sizeof s_batch_sizes / sizeof s_batch_sizes [0])

//  snodo.Code runs 0..16; a code beyond is counted in the last slot.
#define CODES 18

//  A method's row: counts by code, and its latency histogram (each bucket
//  holds its own, not cumulative: made cumulative at scrape).
typedef struct {
    char name [96];                             //  "registry.CreatePerson", or "" for none
    atomic_uint_fast64_t codes [CODES];         //  requests answered with each code
    atomic_uint_fast64_t buckets [LATENCY_BUCKETS + 1];     //  the last: above the largest
    atomic_uint_fast64_t sum_us;                //  of the durations
} s_method_t;

typedef struct {
    char name [64];                 //  the source; "" while free
    atomic_uint_fast64_t heard;     //  the highest seq heard of
    atomic_uint_fast64_t cursor;    //  the last applied
} s_source_t;

struct _sn_metrics_t {
    char *service;                  //  its name and schema
    char *conninfo;                 //  NULL: no database figures
    const sn_method_t *methods;     //  the service's table (borrowed), to find a row's index
    size_t n_methods;
    const sn_method_t *journal;     //  the journal's table (borrowed)
    size_t n_journal;
    s_method_t *rows;               //  n_methods + n_journal + 1 (the last: no method)
    size_t n_rows;
    atomic_uint_fast64_t batch [BATCH_BUCKETS + 1];
    atomic_uint_fast64_t batch_sum;
    atomic_uint_fast64_t round_trips;   //  the workers' to the database
    atomic_uint_fast64_t published; //  the relay's last seq
    pthread_mutex_t lock;           //  taking a source's slot
    s_source_t sources [SN_METRICS_SOURCES];
    atomic_int n_sources;           //  slots taken (names written before it grows)
    sn_http_t *http;                //  the endpoint, NULL while off
    PGconn *db;                     //  the scrape's own connection (the HTTP thread's only)
    bool db_down;                   //  the last scrape found the database away (said once in the log)
};

sn_metrics_t *
sn_metrics_new (const char *service, const char *conninfo)
{
    sn_metrics_t *self = (sn_metrics_t *) calloc (1, sizeof (sn_metrics_t));
    assert (self && service);
    self->service = strdup (service);
    self->conninfo = conninfo ? strdup (conninfo) : NULL;
    pthread_mutex_init (&self->lock, NULL);
    //  until the server names its methods: the one row of no method
    self->n_rows = 1;
    self->rows = (s_method_t *) calloc (1, sizeof (s_method_t));
    return self;
}

void
sn_metrics_destroy (sn_metrics_t **self_p)
{
    sn_metrics_t *self = *self_p;
    if (!self)
        return;
    sn_http_destroy (&self->http);      //  first: its thread reads the rest
    PQfinish (self->db);
    pthread_mutex_destroy (&self->lock);
    free (self->rows);
    free (self->service);
    free (self->conninfo);
    free (self);
    *self_p = NULL;
}

static size_t
s_table_size (const sn_method_t *table)
{
    size_t n = 0;
    while (table && table [n].name)
        n++;
    return n;
}

void
sn_metrics_methods (sn_metrics_t *self, const sn_method_t *methods, const sn_method_t *journal)
{
    if (!self || self->methods)
        return;
    size_t n = s_table_size (methods), nj = s_table_size (journal);
    s_method_t *rows = (s_method_t *) calloc (n + nj + 1, sizeof (s_method_t));
    assert (rows);
    for (size_t i = 0; i < n; i++)
        snprintf (rows [i].name, sizeof rows [i].name, "%s.%s", self->service, methods [i].name);
    for (size_t i = 0; i < nj; i++)
        snprintf (rows [n + i].name, sizeof rows [n + i].name, "journal.%s", journal [i].name);
    //  before any worker or scrape reads them: the old row of no method
    //  counted nothing yet (no server ran)
    free (self->rows);
    self->rows = rows;
    self->n_rows = n + nj + 1;
    self->methods = methods;
    self->n_methods = n;
    self->journal = journal;
    self->n_journal = nj;
}

//  The row of a method: by its place in its table, no search.
static s_method_t *
s_row (sn_metrics_t *self, const sn_method_t *method)
{
    if (method && self->methods && method >= self->methods && method < self->methods + self->n_methods)
        return &self->rows [method - self->methods];
    if (method && self->journal && method >= self->journal && method < self->journal + self->n_journal)
        return &self->rows [self->n_methods + (size_t) (method - self->journal)];
    return &self->rows [self->n_rows - 1];
}

void
sn_metrics_request (sn_metrics_t *self, const sn_method_t *method, int code, int64_t duration_us)
{
    if (!self)
        return;
    s_method_t *row = s_row (self, method);
    atomic_fetch_add_explicit (&row->codes [code >= 0 && code < CODES - 1 ? code : CODES - 1], 1,
                               memory_order_relaxed);
    uint64_t us = duration_us > 0 ? (uint64_t) duration_us : 0;
    size_t b = 0;
    while (b < LATENCY_BUCKETS && us > s_latency_us [b])
        b++;
    atomic_fetch_add_explicit (&row->buckets [b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit (&row->sum_us, us, memory_order_relaxed);
}

void
sn_metrics_batch (sn_metrics_t *self, size_t n)
{
    if (!self || n == 0)
        return;
    size_t b = 0;
    while (b < BATCH_BUCKETS && n > s_batch_sizes [b])
        b++;
    atomic_fetch_add_explicit (&self->batch [b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit (&self->batch_sum, n, memory_order_relaxed);
}

void
sn_metrics_round_trip (sn_metrics_t *self)
{
    if (self)
        atomic_fetch_add_explicit (&self->round_trips, 1, memory_order_relaxed);
}

void
sn_metrics_published (sn_metrics_t *self, uint64_t seq)
{
    if (self)
        atomic_store_explicit (&self->published, seq, memory_order_relaxed);
}

int
sn_metrics_source (sn_metrics_t *self, const char *source)
{
    if (!self)
        return -1;
    pthread_mutex_lock (&self->lock);
    int n = atomic_load (&self->n_sources), slot = -1;
    for (int i = 0; i < n && slot < 0; i++)
        if (strcmp (self->sources [i].name, source) == 0)
            slot = i;       //  a subscriber started again: its old slot
    if (slot < 0 && n < SN_METRICS_SOURCES) {
        slot = n;
        snprintf (self->sources [slot].name, sizeof self->sources [slot].name, "%s", source);
        atomic_store (&self->n_sources, n + 1);     //  the name is written before a scrape may read it
    }
    pthread_mutex_unlock (&self->lock);
    return slot;
}

void
sn_metrics_lag (sn_metrics_t *self, int slot, uint64_t heard, uint64_t cursor)
{
    if (!self || slot < 0 || slot >= SN_METRICS_SOURCES)
        return;
    atomic_store_explicit (&self->sources [slot].heard, heard, memory_order_relaxed);
    atomic_store_explicit (&self->sources [slot].cursor, cursor, memory_order_relaxed);
}

//  --- the scrape ---------------------------------------------------------------

static const char *s_code_names [CODES] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
    "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
    "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED", "OTHER"};

static const char *
s_method_label (const s_method_t *row)
{
    return row->name [0] ? row->name : "none";
}

static void
s_requests (sn_metrics_t *self, FILE *out)
{
    fprintf (out, "# HELP snodo_requests_total Requests answered, by method and status code (snodo.Code).\n"
                  "# TYPE snodo_requests_total counter\n");
    for (size_t i = 0; i < self->n_rows; i++)
        for (int c = 0; c < CODES; c++) {
            uint64_t n = atomic_load_explicit (&self->rows [i].codes [c], memory_order_relaxed);
            if (n)
                fprintf (out, "snodo_requests_total{method=\"%s\",code=\"%s\"} %llu\n",
                         s_method_label (&self->rows [i]), s_code_names [c], (unsigned long long) n);
        }
}

//  A histogram's lines from its own buckets: le cumulative, +Inf is the
//  count. labels is "" or "method=\"...\",".
static void
s_histogram (FILE *out, const char *name, const char *labels, const uint64_t *bounds, double scale,
             atomic_uint_fast64_t *buckets, size_t n, double sum)
{
    uint64_t total = 0;
    for (size_t b = 0; b <= n; b++) {
        total += atomic_load_explicit (&buckets [b], memory_order_relaxed);
        if (b < n)
            fprintf (out, "%s_bucket{%sle=\"%g\"} %llu\n", name, labels, (double) bounds [b] / scale,
                     (unsigned long long) total);
        else
            fprintf (out, "%s_bucket{%sle=\"+Inf\"} %llu\n", name, labels, (unsigned long long) total);
    }
    char plain [160];
    snprintf (plain, sizeof plain, "%.*s", labels [0] ? (int) strlen (labels) - 1 : 0, labels);
    fprintf (out, "%s_sum%s%s%s %.6f\n", name, *plain ? "{" : "", plain, *plain ? "}" : "", sum);
    fprintf (out, "%s_count%s%s%s %llu\n", name, *plain ? "{" : "", plain, *plain ? "}" : "",
             (unsigned long long) total);
}

static void
s_durations (sn_metrics_t *self, FILE *out)
{
    fprintf (out, "# HELP snodo_request_duration_seconds Time from the broker taking a request to its reply, "
                  "by method.\n# TYPE snodo_request_duration_seconds histogram\n");
    for (size_t i = 0; i < self->n_rows; i++) {
        s_method_t *row = &self->rows [i];
        if (atomic_load_explicit (&row->sum_us, memory_order_relaxed) == 0) {
            uint64_t any = 0;
            for (size_t b = 0; b <= LATENCY_BUCKETS; b++)
                any += atomic_load_explicit (&row->buckets [b], memory_order_relaxed);
            if (!any)
                continue;       //  never called: no series
        }
        char labels [128];
        snprintf (labels, sizeof labels, "method=\"%s\",", s_method_label (row));
        double sum = (double) atomic_load_explicit (&row->sum_us, memory_order_relaxed) / 1e6;
        s_histogram (out, "snodo_request_duration_seconds", labels, s_latency_us, 1e6, row->buckets,
                     LATENCY_BUCKETS, sum);
    }
}

static void
s_sources (sn_metrics_t *self, FILE *out)
{
    fprintf (out, "# HELP snodo_subscriber_lag_events Events of a source not applied here yet: the highest seq "
                  "heard of (event, heartbeat, Replay) minus the cursor.\n"
                  "# TYPE snodo_subscriber_lag_events gauge\n");
    int n = atomic_load (&self->n_sources);
    for (int i = 0; i < n; i++) {
        uint64_t heard = atomic_load_explicit (&self->sources [i].heard, memory_order_relaxed);
        uint64_t cursor = atomic_load_explicit (&self->sources [i].cursor, memory_order_relaxed);
        fprintf (out, "snodo_subscriber_lag_events{source=\"%s\"} %llu\n", self->sources [i].name,
                 (unsigned long long) (heard > cursor ? heard - cursor : 0));
    }
}

//  The database's figures on the scrape's own connection, (re)connected
//  with a 2 s connect timeout and a 1 s statement timeout, so that a
//  scrape of a service whose database is away still answers in time.
//  Returns 0 with both counts, or -1 when the database did not answer.
static int
s_db_figures (sn_metrics_t *self, long long *backlog, long long *failed)
{
    if (self->db && PQstatus (self->db) != CONNECTION_OK) {
        PQfinish (self->db);
        self->db = NULL;
    }
    if (!self->db) {
        char options [160];
        snprintf (options, sizeof options, "-c search_path=%s,public -c statement_timeout=1000", self->service);
        const char *keys [] = {"dbname", "connect_timeout", "options", "application_name", NULL};
        const char *values [] = {self->conninfo, "2", options, "snodo-metrics", NULL};
        self->db = PQconnectdbParams (keys, values, 1);
    }
    //  the unsealed entries are those past the last ranged seal's end
    //  (sn_journal's sealing; xid on the trail's clock, 009_audit_clock.sql);
    //  failed events open are those parked or being retried (sn_failed)
    PGresult *res = PQstatus (self->db) == CONNECTION_OK ? PQexec (self->db,
        "SELECT (SELECT count (*) FROM audit WHERE xid >= coalesce ((SELECT xid_to FROM audit_batch "
        "                                                 ORDER BY batch DESC LIMIT 1), 0)), "
        "       (SELECT count (*) FROM failed_event WHERE state IN ('parked', 'retrying'))") : NULL;
    int rc = PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1 ? 0 : -1;
    if (rc == 0) {
        *backlog = atoll (PQgetvalue (res, 0, 0));
        *failed = atoll (PQgetvalue (res, 0, 1));
    }
    else
    if (!self->db_down)
        sn_warning ("%s: metrics: the database did not answer: %s", self->service, PQerrorMessage (self->db));
    self->db_down = rc != 0;
    PQclear (res);
    if (rc) {
        PQfinish (self->db);        //  connect afresh at the next scrape
        self->db = NULL;
    }
    return rc;
}

static void
s_gauges (sn_metrics_t *self, FILE *out)
{
    long long backlog = 0, failed = 0;
    bool up = self->conninfo && s_db_figures (self, &backlog, &failed) == 0;
    fprintf (out, "# HELP snodo_database_up Whether the service's database answered this scrape (1) or not (0).\n"
                  "# TYPE snodo_database_up gauge\nsnodo_database_up %d\n", up ? 1 : 0);
    if (up)
        fprintf (out, "# HELP snodo_audit_seal_backlog Audit entries awaiting a seal.\n"
                      "# TYPE snodo_audit_seal_backlog gauge\nsnodo_audit_seal_backlog %lld\n"
                      "# HELP snodo_failed_events Events from other services parked in failed_event "
                      "(parked or retrying).\n"
                      "# TYPE snodo_failed_events gauge\nsnodo_failed_events %lld\n", backlog, failed);
    fprintf (out, "# HELP snodo_events_published The highest event seq the relay published.\n"
                  "# TYPE snodo_events_published gauge\nsnodo_events_published %llu\n",
             (unsigned long long) atomic_load_explicit (&self->published, memory_order_relaxed));
}

char *
sn_metrics_render (sn_metrics_t *self)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    if (!out)
        return NULL;
    s_requests (self, out);
    s_durations (self, out);
    fprintf (out, "# HELP snodo_batch_size Requests handed to a worker together (served in one transaction).\n"
                  "# TYPE snodo_batch_size histogram\n");
    s_histogram (out, "snodo_batch_size", "", s_batch_sizes, 1, self->batch, BATCH_BUCKETS,
                 (double) atomic_load_explicit (&self->batch_sum, memory_order_relaxed));
    fprintf (out, "# HELP snodo_database_round_trips_total Round trips of the workers' transactions to the "
                  "database (statements, journal, commit; a pipeline of several counts once).\n"
                  "# TYPE snodo_database_round_trips_total counter\nsnodo_database_round_trips_total %llu\n",
             (unsigned long long) atomic_load_explicit (&self->round_trips, memory_order_relaxed));
    s_sources (self, out);
    s_gauges (self, out);
    fclose (out);
    return text;
}

static void
s_handle (sn_http_request_t *request, sn_http_reply_t *reply, void *arg)
{
    sn_metrics_t *self = (sn_metrics_t *) arg;
    if (strcmp (sn_http_path (request), "/metrics") != 0) {
        sn_http_reply (reply, 404, "text/plain; charset=utf-8", "not found: try /metrics\n", 24);
        return;
    }
    char *text = sn_metrics_render (self);
    if (!text)
        sn_http_reply (reply, 500, "text/plain; charset=utf-8", "out of memory\n", 14);
    else
        sn_http_reply_take (reply, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen (text));
}

int
sn_metrics_serve (sn_metrics_t *self, const char *listen, char *err, size_t errlen)
{
    assert (self && listen && !self->http);
    char address [64] = "127.0.0.1";
    const char *colon = strrchr (listen, ':');
    const char *port_text = colon ? colon + 1 : listen;
    if (colon && (size_t) (colon - listen) >= sizeof address) {
        snprintf (err, errlen, "metrics: \"%s\" is not address:port", listen);
        return -1;
    }
    if (colon && colon > listen)
        snprintf (address, sizeof address, "%.*s", (int) (colon - listen), listen);
    char *end = NULL;
    long port = strtol (port_text, &end, 10);
    if (!*port_text || *end || port < 0 || port > 65535) {
        snprintf (err, errlen, "metrics: \"%s\" is not address:port (port 0-65535)", listen);
        return -1;
    }
    //  a scrape is small; few scrapers: tight limits
    sn_http_config_t config = {.address = address, .port = (int) port, .timeout_s = 10, .per_address = 4,
                               .connections = 16, .max_request = 8192, .max_body = 0};
    self->http = sn_http_new (&config, s_handle, self, err, errlen);
    return self->http ? 0 : -1;
}

int
sn_metrics_port (sn_metrics_t *self)
{
    return self && self->http ? sn_http_port (self->http) : 0;
}
