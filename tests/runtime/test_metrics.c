/*  The metrics endpoint (sn_metrics) of a real server: the runtime's test
    service (the Store of runtime_test.proto) served by sn_server on
    loopback, scraped over real HTTP, its exposition text parsed (names,
    labels, values) by the small parser below. */
#include "testsupport.h"
#include "runtime_test.pb-c.h"
#include "sn_metrics.h"
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <math.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define OK TS_CODE (OK)

//  --- the service: Put writes, Get reads (NOT_FOUND when absent) ----------------

static const sn_migration_t s_migrations [] = {
    {"001_store.sql", "CREATE TABLE item (key text PRIMARY KEY, value text NOT NULL)"},
    {NULL, NULL}
};

static int
s_put (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    Snodo__Rt__PutRequest *req = (Snodo__Rt__PutRequest *) input;
    if (!req->item)
        return sn_call_fail (call, TS_CODE (INVALID_ARGUMENT), "item is required");
    const char *params [2] = {req->item->key, req->item->value};
    if (sn_call_write (call, "putting the item", "INSERT INTO item (key, value) VALUES ($1, $2)", 2, params))
        return sn_call_code (call);
    if (sn_call_event (call, "rt.item.put", req->item->key, NULL, &req->item->base))
        return sn_call_code (call);
    *output = &req->item->base;
    req->item = NULL;
    return OK;
}

static int
s_get (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Rt__GetRequest *req = (const Snodo__Rt__GetRequest *) input;
    const char *params [1] = {req->key};
    PGresult *res = sn_call_query (call, "reading the item", "SELECT value FROM item WHERE key = $1", 1, params);
    if (!res)
        return sn_call_code (call);
    int rows = PQntuples (res);
    PQclear (res);
    if (rows == 0)
        return sn_call_fail (call, TS_CODE (NOT_FOUND), "no item \"%s\"", req->key);
    *output = sn_message_new (&snodo__rt__item__descriptor);
    return OK;
}

static int
s_hold (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    *output = sn_message_new (&snodo__rt__hold_reply__descriptor);
    return OK;
}

static const sn_method_t s_methods [] = {
    SN_METHOD (Put, s_put, SN_ANY_KIND, SN_WRITE),
    SN_METHOD (Get, s_get, SN_ANY_KIND, 0),
    SN_METHOD (Hold, s_hold, SN_ANY_KIND, 0),
    SN_METHODS_END
};

static char *dbname, *conninfo, *request, *events;
static sn_auth_t *auth;
static zactor_t *zap, *server;
static zcert_t *server_cert, *member_cert;
static sn_metrics_t *metrics;
static uint8_t audit_key [32] = {1, 2, 3};

//  Starts the store counting into a new metrics served on listen.
static void
s_start (const char *listen)
{
    metrics = sn_metrics_new ("store", conninfo);
    char err [256] = "";
    cr_assert_eq (sn_metrics_serve (metrics, listen, err, sizeof err), 0, "%s", err);
    sn_server_config_t config = {
        .request_endpoint = "tcp://127.0.0.1:*", .events_endpoint = "tcp://127.0.0.1:*",
        .conninfo = conninfo, .cert = server_cert, .auth = auth, .workers = 2,
        .audit_key = audit_key, .audit_key_len = sizeof audit_key, .relay_interval_ms = 200,
        .metrics = metrics,
    };
    sn_service_t service = {.name = "store", .descriptor = &snodo__rt__store__descriptor,
                            .methods = s_methods, .migrations = s_migrations};
    server = sn_server_new (&config, &service);
    cr_assert (server, "the store did not start");
    cr_assert_eq (sn_server_endpoints (server, &request, &events), 0);
}

static void
setup (void)
{
    dbname = ts_db_create ("metrics");
    conninfo = ts_conninfo (dbname, NULL);
    auth = sn_auth_new ();
    zap = zactor_new (sn_auth_zap_actor, auth);
    server_cert = zcert_new ();
    member_cert = zcert_new ();
    sn_auth_put (auth, "a-sil", TS_KIND (SIL), NULL, zcert_public_txt (member_cert), false);
}

static void
teardown (void)
{
    zactor_destroy (&server);
    sn_metrics_destroy (&metrics);      //  after the server: it counts into it
    zactor_destroy (&zap);
    sn_auth_destroy (&auth);
    zcert_destroy (&server_cert);
    zcert_destroy (&member_cert);
    zstr_free (&request);
    zstr_free (&events);
    zstr_free (&conninfo);
    ts_db_drop (dbname);
    zstr_free (&dbname);
}

TestSuite (metrics, .init = setup, .fini = teardown, .timeout = 60);

//  --- HTTP and the exposition format ------------------------------------------------

//  GET /metrics from address:port over a plain socket. Returns the whole
//  answer (caller frees), or NULL when the connection is refused.
static char *
s_http_get (const char *address, int port, const char *path)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) port)};
    inet_pton (AF_INET, address, &addr.sin_addr);
    if (connect (fd, (struct sockaddr *) &addr, sizeof addr)) {
        close (fd);
        return NULL;
    }
    char req [128];
    int len = snprintf (req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, address);
    cr_assert_eq (write (fd, req, (size_t) len), len);
    size_t size = 0, max = 1 << 16;
    char *text = (char *) malloc (max + 1);
    ssize_t got;
    while (size < max && (got = read (fd, text + size, max - size)) > 0)
        size += (size_t) got;
    text [size] = 0;
    close (fd);
    return text;
}

#define MAX_LABELS 4
#define MAX_SAMPLES 1024

typedef struct {
    char name [128];
    char keys [MAX_LABELS][32];
    char values [MAX_LABELS][128];
    int n_labels;
    double value;
} s_sample_t;

typedef struct {
    s_sample_t samples [MAX_SAMPLES];
    int n;
    char types [64][2][128];        //  family -> type, from # TYPE
    int n_types;
    char helps [64][128];           //  families with a # HELP
    int n_helps;
} s_scrape_t;

//  A label set {a="x",b="y"} from p (after the brace); returns past the
//  closing brace, or NULL when malformed. Values unescape \\, \" and \n.
static const char *
s_parse_labels (const char *p, s_sample_t *s)
{
    while (*p && *p != '}') {
        if (s->n_labels == MAX_LABELS)
            return NULL;
        size_t k = strcspn (p, "=");
        if (p [k] != '=' || p [k + 1] != '"' || k >= sizeof s->keys [0])
            return NULL;
        snprintf (s->keys [s->n_labels], sizeof s->keys [0], "%.*s", (int) k, p);
        p += k + 2;
        size_t v = 0;
        while (*p && *p != '"' && v + 1 < sizeof s->values [0]) {
            if (*p == '\\' && p [1])
                p++;
            s->values [s->n_labels][v++] = *p == 'n' && p [-1] == '\\' ? '\n' : *p;
            p++;
        }
        if (*p != '"')
            return NULL;
        s->values [s->n_labels++][v] = 0;
        p++;
        if (*p == ',')
            p++;
    }
    return *p == '}' ? p + 1 : NULL;
}

//  One sample line: name, optional labels, a space, a value.
static void
s_parse_sample (const char *line, s_sample_t *s)
{
    memset (s, 0, sizeof *s);
    size_t n = strcspn (line, "{ ");
    cr_assert (n > 0 && n < sizeof s->name, "a sample without a name: %s", line);
    snprintf (s->name, sizeof s->name, "%.*s", (int) n, line);
    const char *p = line + n;
    if (*p == '{')
        p = s_parse_labels (p + 1, s);
    cr_assert (p && *p == ' ', "malformed sample: %s", line);
    char *end;
    s->value = strtod (p + 1, &end);
    cr_assert (end != p + 1 && (*end == 0 || *end == ' '), "a sample without a value: %s", line);
}

//  A comment line: records # TYPE and # HELP.
static void
s_parse_comment (s_scrape_t *scrape, const char *line)
{
    char family [128], type [32];
    if (sscanf (line, "# TYPE %127s %31s", family, type) == 2) {
        cr_assert (scrape->n_types < 64);
        snprintf (scrape->types [scrape->n_types][0], 128, "%s", family);
        snprintf (scrape->types [scrape->n_types++][1], 128, "%s", type);
    }
    else
    if (sscanf (line, "# HELP %127s", family) == 1) {
        cr_assert (scrape->n_helps < 64);
        snprintf (scrape->helps [scrape->n_helps++], 128, "%s", family);
    }
}

//  Scrapes the endpoint at 127.0.0.1 and parses it. Checks the status and
//  the content type. Caller frees.
static s_scrape_t *
s_scrape (void)
{
    char *text = s_http_get ("127.0.0.1", sn_metrics_port (metrics), "/metrics");
    cr_assert (text, "the endpoint did not answer");
    cr_assert (strncmp (text, "HTTP/1.", 7) == 0 && strncmp (text + 9, "200", 3) == 0, "%.60s", text);
    cr_assert (strstr (text, "text/plain; version=0.0.4"), "not the 0.0.4 text format: %.300s", text);
    char *body = strstr (text, "\r\n\r\n");
    cr_assert (body);
    s_scrape_t *scrape = (s_scrape_t *) calloc (1, sizeof (s_scrape_t));
    for (char *save = NULL, *line = strtok_r (body + 4, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
        if (line [0] == '#')
            s_parse_comment (scrape, line);
        else {
            cr_assert (scrape->n < MAX_SAMPLES);
            s_parse_sample (line, &scrape->samples [scrape->n++]);
        }
    }
    free (text);
    return scrape;
}

//  The value of the sample name whose labels include the pairs given
//  (key, value, ..., NULL); NAN when none.
static double
s_value (const s_scrape_t *scrape, const char *name, ...)
{
    for (int i = 0; i < scrape->n; i++) {
        const s_sample_t *s = &scrape->samples [i];
        if (strcmp (s->name, name))
            continue;
        va_list args;
        va_start (args, name);
        bool match = true;
        for (const char *key = va_arg (args, const char *); key && match; key = va_arg (args, const char *)) {
            const char *want = va_arg (args, const char *);
            bool found = false;
            for (int l = 0; l < s->n_labels; l++)
                found |= strcmp (s->keys [l], key) == 0 && strcmp (s->values [l], want) == 0;
            match = found;
        }
        va_end (args);
        if (match)
            return s->value;
    }
    return NAN;
}

//  0 where the sample is absent (a counter never moved has no series).
static double
s_count (const s_scrape_t *scrape, const char *method, const char *code)
{
    double v = s_value (scrape, "snodo_requests_total", "method", method, "code", code, NULL);
    return isnan (v) ? 0 : v;
}

//  --- calls -----------------------------------------------------------------------

static int
s_call_put (sn_client_t *client, const char *key)
{
    Snodo__Rt__Item item = SNODO__RT__ITEM__INIT;
    item.key = (char *) key;
    item.value = (char *) "v";
    Snodo__Rt__PutRequest req = SNODO__RT__PUT_REQUEST__INIT;
    req.item = &item;
    ProtobufCMessage *out = NULL;
    sn_result_t result;
    int code = sn_client_call (client, "store.Put", "", &req.base, &snodo__rt__item__descriptor, &out, &result);
    protobuf_c_message_free_unpacked (out, NULL);
    return code;
}

static int
s_call_get (sn_client_t *client, const char *key)
{
    Snodo__Rt__GetRequest req = SNODO__RT__GET_REQUEST__INIT;
    req.key = (char *) key;
    ProtobufCMessage *out = NULL;
    sn_result_t result;
    int code = sn_client_call (client, "store.Get", "", &req.base, &snodo__rt__item__descriptor, &out, &result);
    protobuf_c_message_free_unpacked (out, NULL);
    return code;
}

//  --- the tests ---------------------------------------------------------------------

Test (metrics, n_calls_of_a_method_add_n_to_its_counter_and_an_error_counts_under_its_code)
{
    s_start ("127.0.0.1:0");
    sn_client_t *client = ts_client_as (request, member_cert, server_cert);
    s_scrape_t *before = s_scrape ();
    char key [32];
    for (int i = 0; i < 5; i++) {
        snprintf (key, sizeof key, "k%d", i);
        cr_assert_eq (s_call_put (client, key), OK);
    }
    for (int i = 0; i < 3; i++)
        cr_assert_eq (s_call_get (client, "absent"), TS_CODE (NOT_FOUND));
    cr_assert_eq (s_call_get (client, "k0"), OK);
    s_scrape_t *after = s_scrape ();
    cr_expect_eq (s_count (after, "store.Put", "OK") - s_count (before, "store.Put", "OK"), 5);
    cr_expect_eq (s_count (after, "store.Get", "NOT_FOUND") - s_count (before, "store.Get", "NOT_FOUND"), 3);
    cr_expect_eq (s_count (after, "store.Get", "OK") - s_count (before, "store.Get", "OK"), 1);
    cr_expect_eq (s_count (after, "store.Hold", "OK"), 0, "a method not called counts nothing");
    free (before);
    free (after);
    sn_client_destroy (&client);
}

//  A write whose handler reads nothing back (sn_call_write) leaves with the
//  journal and COMMIT: alone, one round trip. One that fails there voids
//  the run, which runs again with each statement at once: the handler
//  meets its own error and answers as it would have, and nothing of the
//  void run stays.
Test (metrics, a_write_that_reads_nothing_costs_one_round_trip_and_a_failure_its_own_answer)
{
    s_start ("127.0.0.1:0");
    sn_client_t *client = ts_client_as (request, member_cert, server_cert);
    cr_assert_eq (s_call_put (client, "first"), OK);       //  the statements prepared
    s_scrape_t *before = s_scrape ();
    cr_assert_eq (s_call_put (client, "second"), OK);
    s_scrape_t *after = s_scrape ();
    cr_expect_eq (s_value (after, "snodo_database_round_trips_total", NULL)
                  - s_value (before, "snodo_database_round_trips_total", NULL), 1,
                  "a write alone that reads nothing: one round trip");
    free (before);
    free (after);

    Snodo__Rt__Item item = SNODO__RT__ITEM__INIT;
    item.key = (char *) "second";
    item.value = (char *) "again";
    Snodo__Rt__PutRequest req = SNODO__RT__PUT_REQUEST__INIT;
    req.item = &item;
    sn_result_t result;
    cr_assert_eq (sn_client_call (client, "store.Put", "", &req.base, NULL, NULL, &result),
                  TS_CODE (ALREADY_EXISTS), "%s", result.message);
    cr_expect (strncmp (result.message, "putting the item: ", 18) == 0, "the handler's own error: %s",
               result.message);
    cr_expect_eq (ts_count (dbname, "SELECT count (*) FROM store.item WHERE key = '%s' AND value = 'v'", "second"), 1);
    cr_expect_eq (ts_count (dbname, "SELECT count (*) FROM store.outbox WHERE type = '%s'", "rt.item.put"), 2);
    cr_expect_eq (ts_count (dbname, "SELECT count (*) FROM store.idempotency WHERE method = '%s'", "store.Put"), 2);
    sn_client_destroy (&client);
}

//  True if the first len characters of name are a family typed histogram.
static bool
s_is_histogram (const s_scrape_t *scrape, const char *name, size_t len)
{
    for (int t = 0; t < scrape->n_types; t++)
        if (strlen (scrape->types [t][0]) == len && strncmp (scrape->types [t][0], name, len) == 0)
            return strcmp (scrape->types [t][1], "histogram") == 0;
    return false;
}

//  Every sample belongs to a family with # HELP and # TYPE lines, and its
//  name is snodo_*.
static void
s_expect_described (const s_scrape_t *scrape)
{
    for (int i = 0; i < scrape->n; i++) {
        char family [128];
        snprintf (family, sizeof family, "%s", scrape->samples [i].name);
        //  a histogram's series are named after it with a suffix
        for (const char *const *suffix = (const char *const []) {"_bucket", "_sum", "_count", NULL}; *suffix;
             suffix++) {
            size_t n = strlen (family), k = strlen (*suffix);
            if (n > k && strcmp (family + n - k, *suffix) == 0 && s_is_histogram (scrape, family, n - k))
                family [n - k] = 0;
        }
        bool typed = false, helped = false;
        for (int t = 0; t < scrape->n_types; t++)
            typed |= strcmp (scrape->types [t][0], family) == 0;
        for (int h = 0; h < scrape->n_helps; h++)
            helped |= strcmp (scrape->helps [h], family) == 0;
        cr_expect (typed && helped, "%s has no TYPE or HELP line", family);
        cr_expect (strncmp (family, "snodo_", 6) == 0, "%s is not snodo_*", family);
    }
}

//  A method's histogram: buckets in le order never fall, +Inf is _count, and
//  _count is what snodo_requests_total counted for the method in all codes.
static void
s_expect_histogram (const s_scrape_t *scrape, const char *method)
{
    double last = 0, inf = NAN, counted = 0;
    for (int i = 0; i < scrape->n; i++) {
        const s_sample_t *s = &scrape->samples [i];
        if (s->n_labels == 2 && strcmp (s->values [0], method) == 0
        &&  strcmp (s->name, "snodo_request_duration_seconds_bucket") == 0) {
            cr_expect_geq (s->value, last, "%s: bucket le=%s fell below the one before", method, s->values [1]);
            last = s->value;
            if (strcmp (s->values [1], "+Inf") == 0)
                inf = s->value;
        }
        if (strcmp (s->name, "snodo_requests_total") == 0 && strcmp (s->values [0], method) == 0)
            counted += s->value;
    }
    double count = s_value (scrape, "snodo_request_duration_seconds_count", "method", method, NULL);
    cr_expect_eq (inf, count, "%s: +Inf %g, _count %g", method, inf, count);
    cr_expect_eq (count, counted, "%s: _count %g, requests %g", method, count, counted);
    cr_expect_gt (s_value (scrape, "snodo_request_duration_seconds_sum", "method", method, NULL), 0);
}

Test (metrics, the_latency_buckets_are_cumulative_and_the_count_is_the_requests_counted)
{
    s_start ("0");
    sn_client_t *client = ts_client_as (request, member_cert, server_cert);
    char key [32];
    for (int i = 0; i < 7; i++) {
        snprintf (key, sizeof key, "k%d", i);
        cr_assert_eq (s_call_put (client, key), OK);
        cr_assert_eq (s_call_get (client, i % 2 ? key : "absent"), i % 2 ? OK : TS_CODE (NOT_FOUND));
    }
    s_scrape_t *scrape = s_scrape ();
    s_expect_described (scrape);
    s_expect_histogram (scrape, "store.Put");
    s_expect_histogram (scrape, "store.Get");
    cr_expect_eq (s_value (scrape, "snodo_request_duration_seconds_count", "method", "store.Put", NULL), 7);
    cr_expect_geq (s_value (scrape, "snodo_batch_size_count", NULL), 1, "no hand-over counted");
    free (scrape);
    sn_client_destroy (&client);
}

static bool
s_published (void *arg)
{
    s_scrape_t *scrape = s_scrape ();
    double v = s_value (scrape, "snodo_events_published", NULL);
    free (scrape);
    return v >= *(double *) arg;
}

Test (metrics, the_database_figures_are_read_at_scrape_and_events_published_follow_the_relay)
{
    s_start ("127.0.0.1:0");
    sn_client_t *client = ts_client_as (request, member_cert, server_cert);
    cr_assert_eq (s_call_put (client, "one"), OK);
    cr_assert_eq (s_call_put (client, "two"), OK);
    double want = 2;
    cr_expect (ts_wait (s_published, &want, 5000), "the relay's last seq did not reach 2");
    s_scrape_t *scrape = s_scrape ();
    cr_expect_eq (s_value (scrape, "snodo_database_up", NULL), 1);
    cr_expect_eq (s_value (scrape, "snodo_failed_events", NULL), 0);
    cr_expect_geq (s_value (scrape, "snodo_audit_seal_backlog", NULL), 0);
    free (scrape);
    sn_client_destroy (&client);
}

Test (metrics, the_database_gauge_is_zero_when_the_database_does_not_answer)
{
    //  nothing listens on port 1: the scrape's connection is refused at once
    metrics = sn_metrics_new ("store", "host=127.0.0.1 port=1 dbname=none connect_timeout=2");
    char err [256];
    cr_assert_eq (sn_metrics_serve (metrics, "0", err, sizeof err), 0, "%s", err);
    s_scrape_t *scrape = s_scrape ();
    cr_expect_eq (s_value (scrape, "snodo_database_up", NULL), 0);
    cr_expect (isnan (s_value (scrape, "snodo_failed_events", NULL)), "a figure without its database");
    free (scrape);
}

Test (metrics, a_subscribers_lag_is_what_it_heard_less_its_cursor)
{
    metrics = sn_metrics_new ("store", NULL);
    char err [256];
    cr_assert_eq (sn_metrics_serve (metrics, "0", err, sizeof err), 0, "%s", err);
    int slot = sn_metrics_source (metrics, "registry");
    cr_assert_geq (slot, 0);
    cr_expect_eq (sn_metrics_source (metrics, "registry"), slot, "a source started again keeps its slot");
    sn_metrics_lag (metrics, slot, 12, 5);
    s_scrape_t *scrape = s_scrape ();
    cr_expect_eq (s_value (scrape, "snodo_subscriber_lag_events", "source", "registry", NULL), 7);
    free (scrape);
}

//  Bound to 127.0.0.1, a connection to 127.0.0.2 (loopback too, but
//  another address) is refused; only a config of 0.0.0.0 takes it.
Test (metrics, the_endpoint_listens_on_loopback_unless_the_config_names_another_address)
{
    metrics = sn_metrics_new ("store", NULL);
    char err [256];
    cr_assert_eq (sn_metrics_serve (metrics, "0", err, sizeof err), 0, "%s", err);
    int port = sn_metrics_port (metrics);
    char *text = s_http_get ("127.0.0.1", port, "/metrics");
    cr_expect (text, "127.0.0.1 did not answer");
    free (text);
    text = s_http_get ("127.0.0.2", port, "/metrics");
    cr_expect_null (text, "the default bind answered on another address");
    free (text);
    sn_metrics_destroy (&metrics);
    metrics = sn_metrics_new ("store", NULL);
    cr_assert_eq (sn_metrics_serve (metrics, "0.0.0.0:0", err, sizeof err), 0, "%s", err);
    text = s_http_get ("127.0.0.2", sn_metrics_port (metrics), "/metrics");
    cr_expect (text && strstr (text, "snodo_database_up"), "0.0.0.0 did not answer on 127.0.0.2");
    free (text);
    sn_metrics_t *other = sn_metrics_new ("store", NULL);
    cr_expect_neq (sn_metrics_serve (other, "here:port", err, sizeof err), 0, "a port that is no number");
    sn_metrics_destroy (&other);
}
