/*  rep_web: routes, sessions, audit. See rep_web.h and docs/security.md. */
#include "rep_web.h"
#include "sn_log.h"
#include "rep_dashboard.h"
#include "rep_render.h"
#include "sn_store.h"
#include <sodium.h>
#include <string.h>

#define COOKIE "snodo_session"

struct _rep_web_t {
    reporting_t *reporting;         //  the service's state (borrowed)
    char *conninfo;
    PGconn *db;                     //  the HTTP thread's own
    sn_http_t *http;
    int session_s;                  //  a session's life
};

//  The connection, (re)made when lost. NULL when the database is down.
static PGconn *
s_db (rep_web_t *self)
{
    if (self->db && PQstatus (self->db) == CONNECTION_OK)
        return self->db;
    if (self->db)
        PQfinish (self->db);
    char err [256];
    self->db = sn_store_connect (self->conninfo, "reporting", err, sizeof err);
    //  the schema as the service's workers make it: the dashboard may be
    //  asked before any of them has reached the database
    if (self->db && sn_store_migrate (self->db, "reporting", reporting_migrations, err, sizeof err)) {
        PQfinish (self->db);
        self->db = NULL;
    }
    if (!self->db)
        sn_warning ("reporting: dashboard: %s", err);
    return self->db;
}

//  An audit entry for an HTTP request, in the service's trail.
static void
s_audit (rep_web_t *self, const char *member, const char *what, const char *subject, int code)
{
    PGconn *db = s_db (self);
    if (!db)
        return;
    uint8_t id [16];
    randombytes_buf (id, sizeof id);
    char outcome [8];
    snprintf (outcome, sizeof outcome, "%d", code);
    const char *params [5] = {member, what, subject, outcome, (const char *) id};
    int lengths [5] = {0, 0, 0, 0, 16}, formats [5] = {0, 0, 0, 0, 1};
    PGresult *res = PQexecParams (db,
        "INSERT INTO audit (member_id, method, purpose, subject, outcome, request_id) "
        "VALUES ($1, $2, 'reporting', $3, $4, $5)", 5, NULL, params, lengths, formats, 0);
    if (PQresultStatus (res) != PGRES_COMMAND_OK)
        sn_error ("reporting: dashboard: could not write the audit entry: %s", PQerrorMessage (db));
    PQclear (res);
}

static void
s_hash (const char *token, uint8_t *hash)
{
    crypto_hash_sha256 (hash, (const uint8_t *) token, strlen (token));
}

static bool
s_token_valid (const char *token)
{
    if (!token || strlen (token) != 64)
        return false;
    for (const char *p = token; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

//  The member of a valid session cookie, into member (size 64); false if none.
static bool
s_session (rep_web_t *self, sn_http_request_t *request, char *member, size_t size)
{
    const char *token = sn_http_cookie (request, COOKIE);
    PGconn *db = s_token_valid (token) ? s_db (self) : NULL;
    if (!db)
        return false;
    uint8_t hash [crypto_hash_sha256_BYTES];
    s_hash (token, hash);
    const char *params [1] = {(const char *) hash};
    int lengths [1] = {sizeof hash}, formats [1] = {1};
    PGresult *res = PQexecParams (db, "SELECT member_id FROM dashboard_session WHERE token_hash = $1 "
                                      "AND expires_at > now ()", 1, NULL, params, lengths, formats, 0);
    bool found = PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1;
    if (found)
        snprintf (member, size, "%s", PQgetvalue (res, 0, 0));
    PQclear (res);
    return found;
}

static bool
s_english (sn_http_request_t *request)
{
    const char *lang = sn_http_arg (request, "lang");
    if (lang && *lang)
        return strcmp (lang, "en") == 0;
    const char *accept = sn_http_header (request, "Accept-Language");
    return accept && strncmp (accept, "en", 2) == 0;
}

static void
s_page (sn_http_reply_t *reply, int status, char *html, size_t size)
{
    sn_http_reply_take (reply, status, "text/html; charset=utf-8", html, size);
    sn_http_reply_header (reply, "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; "
                                                            "img-src 'self'; form-action 'self'");
}

static void
s_signin (sn_http_reply_t *reply, bool en, int status, const char *message)
{
    size_t size;
    char *html = rep_signin_html (en, message, &size);
    s_page (reply, status, html, size);
}

//  GET /auth?t=TOKEN: the one-time link becomes a session cookie.
static void
s_auth (rep_web_t *self, sn_http_request_t *request, sn_http_reply_t *reply, bool en)
{
    const char *token = sn_http_arg (request, "t");
    PGconn *db = s_token_valid (token) ? s_db (self) : NULL;
    if (!db) {
        s_audit (self, "-", "http GET /auth", "dashboard:signin", SNODO__CODE__UNAUTHENTICATED);
        s_signin (reply, en, 401, en ? "That link is not valid." : "Il collegamento non è valido.");
        return;
    }
    uint8_t hash [crypto_hash_sha256_BYTES], session [32], session_hash [crypto_hash_sha256_BYTES];
    char session_hex [65], seconds [16];
    s_hash (token, hash);
    randombytes_buf (session, sizeof session);
    sodium_bin2hex (session_hex, sizeof session_hex, session, sizeof session);
    s_hash (session_hex, session_hash);
    snprintf (seconds, sizeof seconds, "%d", self->session_s);
    const char *params [3] = {(const char *) hash, (const char *) session_hash, seconds};
    int lengths [3] = {sizeof hash, sizeof session_hash, 0}, formats [3] = {1, 1, 0};
    PGresult *res = PQexecParams (db,
        "WITH l AS (UPDATE dashboard_link SET used_at = now () WHERE token_hash = $1 AND used_at IS NULL "
        "           AND expires_at > now () RETURNING member_id) "
        "INSERT INTO dashboard_session (token_hash, member_id, expires_at) "
        "SELECT $2, member_id, now () + make_interval (secs => $3::int) FROM l RETURNING member_id",
        3, NULL, params, lengths, formats, 0);
    bool ok = PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1;
    s_audit (self, ok ? PQgetvalue (res, 0, 0) : "-", "http GET /auth", "dashboard:signin",
             ok ? SNODO__CODE__OK : SNODO__CODE__UNAUTHENTICATED);
    PQclear (res);
    if (!ok) {
        s_signin (reply, en, 401, en ? "That link was used already or has expired." :
                                       "Il collegamento è già stato usato o è scaduto.");
        return;
    }
    char cookie [256];
    snprintf (cookie, sizeof cookie, COOKIE "=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=%d", session_hex,
              self->session_s);
    sn_http_reply (reply, 303, "text/plain; charset=utf-8", "", 0);
    sn_http_reply_header (reply, "Set-Cookie", cookie);
    const char *scope = sn_http_arg (request, "scope");
    bool own = scope && strcmp (scope, "own") == 0;
    sn_http_reply_header (reply, "Location", own ? (en ? "/?scope=own&lang=en" : "/?scope=own") : (en ? "/?lang=en" : "/"));
}

static void
s_logout (rep_web_t *self, sn_http_request_t *request, sn_http_reply_t *reply, const char *member)
{
    const char *token = sn_http_cookie (request, COOKIE);
    PGconn *db = s_token_valid (token) ? s_db (self) : NULL;
    if (db) {
        uint8_t hash [crypto_hash_sha256_BYTES];
        s_hash (token, hash);
        const char *params [1] = {(const char *) hash};
        int lengths [1] = {sizeof hash}, formats [1] = {1};
        PQclear (PQexecParams (db, "DELETE FROM dashboard_session WHERE token_hash = $1", 1, NULL, params, lengths,
                               formats, 0));
    }
    s_audit (self, member, "http POST /logout", "dashboard:signout", SNODO__CODE__OK);
    sn_http_reply (reply, 303, "text/plain; charset=utf-8", "", 0);
    sn_http_reply_header (reply, "Set-Cookie", COOKIE "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    sn_http_reply_header (reply, "Location", "/signin");
}

//  A number argument of the query ("" or absent: 0); -1 when malformed.
static long
s_number (sn_http_request_t *request, const char *name)
{
    const char *text = sn_http_arg (request, name);
    if (!text || !*text)
        return 0;
    char *end;
    long v = strtol (text, &end, 10);
    return *end || v < 0 || v > 99999 ? -1 : v;
}

//  The request's filter from the query; NULL with why when malformed.
static Snodo__Reporting__ReportRequest *
s_request (sn_http_request_t *request, bool en, char *why, size_t size)
{
    Snodo__Reporting__ReportRequest *req = (Snodo__Reporting__ReportRequest *) sn_message_new (
        &snodo__reporting__report_request__descriptor);
    Snodo__Reporting__ReportFilter *f = req->filter = (Snodo__Reporting__ReportFilter *) sn_message_new (
        &snodo__reporting__report_filter__descriptor);
    long from = s_number (request, "from"), to = s_number (request, "to"), base = s_number (request, "baseline");
    const char *scope = sn_http_arg (request, "scope");
    if (from < 0 || to < 0 || base < 0)
        snprintf (why, size, "from, to, baseline: %s", en ? "years are numbers" : "gli anni sono numeri");
    else
    if (scope && *scope && strcmp (scope, "own") && strcmp (scope, "network"))
        snprintf (why, size, "scope: %s \"%.16s\" (own, network)", en ? "unknown" : "sconosciuto", scope);
    else {
        f->from_year = (uint32_t) from;
        f->to_year = (uint32_t) to;
        f->baseline_year = (uint32_t) base;
        f->scope = scope && strcmp (scope, "own") == 0 ? SNODO__REPORTING__SCOPE__SCOPE_OWN
                                                       : SNODO__REPORTING__SCOPE__SCOPE_NETWORK;
        const char *ambito = sn_http_arg (request, "ambito"), *referring = sn_http_arg (request, "referring");
        f->ambito = strdup (ambito ? ambito : "");
        f->referring_member_id = strdup (referring ? referring : "");
        req->lang = strdup (en ? "en" : "it");
        return req;
    }
    protobuf_c_message_free_unpacked (&req->base, NULL);
    return NULL;
}

static void
s_bad_request (sn_http_reply_t *reply, bool en, const char *why)
{
    size_t size;
    char *html = rep_message_html (en, en ? "Bad request" : "Richiesta non valida", why, &size);
    s_page (reply, 400, html, size);
}

//  Builds a report for the member; on failure fills why and returns NULL.
static Snodo__Reporting__Report *
s_report (rep_web_t *self, rep_kind_t kind, const Snodo__Reporting__ReportRequest *req,
          const rep_viewer_t *viewer, int *status, char *why, size_t size)
{
    rep_error_t err;
    zlistx_t *persons = NULL;
    PGconn *db = s_db (self);
    Snodo__Reporting__Report *report = db ? rep_report_build (db, kind, req, viewer, &persons, &err) : NULL;
    char subject [64];
    snprintf (subject, sizeof subject, "report:%s", rep_kind_name (kind));
    s_audit (self, viewer->member_id, "http GET", subject, report ? SNODO__CODE__OK : db ? err.code : SNODO__CODE__UNAVAILABLE);
    for (const char *p = persons ? zlistx_first (persons) : NULL; p; p = zlistx_next (persons))
        s_audit (self, viewer->member_id, "http GET", p, SNODO__CODE__OK);
    zlistx_destroy (&persons);
    if (!report) {
        *status = !db ? 503 : err.code == SNODO__CODE__INVALID_ARGUMENT ? 400 : 500;
        snprintf (why, size, "%s%s%s", db ? err.field : "", db && *err.field ? ": " : "",
                  db ? err.message : "the database cannot be reached; try again in a moment");
    }
    return report;
}

static void
s_dashboard (rep_web_t *self, sn_http_request_t *request, sn_http_reply_t *reply, const rep_viewer_t *viewer,
             bool en)
{
    char why [512] = "";
    int status = 400;
    Snodo__Reporting__ReportRequest *req = s_request (request, en, why, sizeof why);
    Snodo__Reporting__Report *reports [5] = {NULL, NULL, NULL, NULL, NULL};
    bool own = req && req->filter->scope == SNODO__REPORTING__SCOPE__SCOPE_OWN;
    for (int k = 0; req && k < (own ? 5 : 4); k++)
        if (!(reports [k] = s_report (self, (rep_kind_t) k, req, viewer, &status, why, sizeof why)))
            break;
    if (reports [3] && (!own || reports [4])) {
        rep_page_t page = {viewer->member_id, en, viewer->member_kind != SNODO__MEMBER_KIND__MEMBER_KIND_ADMIN,
                           reports [0], reports [1], reports [2], reports [3], reports [4]};
        size_t size;
        char *html = rep_dashboard_html (&page, &size);
        s_page (reply, 200, html, size);
    }
    else
    if (status == 400)
        s_bad_request (reply, en, why);
    else {
        size_t size;
        char *html = rep_message_html (en, "Snodo", why, &size);
        s_page (reply, status, html, size);
    }
    for (int k = 0; k < 5; k++)
        if (reports [k])
            protobuf_c_message_free_unpacked (&reports [k]->base, NULL);
    if (req)
        protobuf_c_message_free_unpacked (&req->base, NULL);
}

//  GET /export?report=KIND&format=csv|csv-semicolon|json&...
static void
s_export (rep_web_t *self, sn_http_request_t *request, sn_http_reply_t *reply, const rep_viewer_t *viewer,
          bool en)
{
    char why [512] = "";
    int status = 400;
    rep_kind_t kind;
    rep_format_t format;
    const char *kind_name = sn_http_arg (request, "report"), *format_name = sn_http_arg (request, "format");
    Snodo__Reporting__ReportRequest *req = NULL;
    if (rep_kind_parse (kind_name ? kind_name : "indicators", &kind))
        snprintf (why, sizeof why, "report: unknown report \"%.32s\" (indicators, outcomes, standards, network, "
                                   "pathways)", kind_name);
    else
    if (rep_format_parse (format_name ? format_name : "csv", &format) || format == REP_TEXT)
        snprintf (why, sizeof why, "format: unknown format \"%.32s\" (csv, csv-semicolon, json)", format_name);
    else
        req = s_request (request, en, why, sizeof why);
    Snodo__Reporting__Report *report = req ? s_report (self, kind, req, viewer, &status, why, sizeof why) : NULL;
    if (report) {
        size_t size;
        char *body = rep_render (report, format, &size);
        sn_http_reply_take (reply, 200, rep_format_media_type (format), body, size);
        char disposition [128];
        snprintf (disposition, sizeof disposition, "attachment; filename=\"snodo-%s.%s\"", rep_kind_name (kind),
                  format == REP_JSON ? "json" : "csv");
        sn_http_reply_header (reply, "Content-Disposition", disposition);
        protobuf_c_message_free_unpacked (&report->base, NULL);
    }
    else {
        strcat (why, "\n");
        sn_http_reply (reply, status, "text/plain; charset=utf-8", why, strlen (why));
    }
    if (req)
        protobuf_c_message_free_unpacked (&req->base, NULL);
}

//  The routes that need a session: the dashboard and the exports.
static void
s_signed_in (rep_web_t *self, sn_http_request_t *request, sn_http_reply_t *reply, const char *path, bool en)
{
    char member [64];
    if (!s_session (self, request, member, sizeof member)) {
        s_audit (self, "-", "http GET", "report:dashboard", SNODO__CODE__UNAUTHENTICATED);
        s_signin (reply, en, 401, NULL);
        return;
    }
    sn_member_info_t m;
    sn_auth_t *members = reporting_members (self->reporting);
    if (!sn_auth_lookup (members, member, &m) || m.revoked || !rep_kind_may_report (m.kind)) {
        s_audit (self, member, "http GET", "report:dashboard", SNODO__CODE__PERMISSION_DENIED);
        size_t size;
        char *html = rep_message_html (en, en ? "Not allowed" : "Non consentito",
                                       en ? "This member may not see the reports." :
                                            "Questo ente non può vedere la rendicontazione.", &size);
        s_page (reply, 403, html, size);
        return;
    }
    rep_viewer_t viewer = {member, m.kind, reporting_threshold (self->reporting), members};
    if (strcmp (path, "/logout") == 0)
        s_logout (self, request, reply, member);
    else
    if (strcmp (path, "/export") == 0)
        s_export (self, request, reply, &viewer, en);
    else
        s_dashboard (self, request, reply, &viewer, en);
}

static void
s_handle (sn_http_request_t *request, sn_http_reply_t *reply, void *arg)
{
    rep_web_t *self = (rep_web_t *) arg;
    const char *path = sn_http_path (request);
    bool en = s_english (request);
    bool post = strcmp (sn_http_method (request), "POST") == 0;
    if (post != (strcmp (path, "/logout") == 0))
        sn_http_reply (reply, 405, "text/plain; charset=utf-8", "method not allowed\n", 19);
    else
    if (strcmp (path, "/auth") == 0)
        s_auth (self, request, reply, en);
    else
    if (strcmp (path, "/signin") == 0)
        s_signin (reply, en, 200, NULL);
    else
    if (strcmp (path, "/") == 0 || strcmp (path, "/export") == 0 || strcmp (path, "/logout") == 0)
        s_signed_in (self, request, reply, path, en);
    else {
        size_t size;
        char *html = rep_message_html (en, "404", en ? "No such page." : "Pagina inesistente.", &size);
        s_page (reply, 404, html, size);
    }
}

rep_web_t *
rep_web_new (reporting_t *reporting, const char *conninfo, const sn_http_config_t *config, int session_s,
             char *err, size_t errlen)
{
    rep_web_t *self = (rep_web_t *) zmalloc (sizeof (rep_web_t));
    self->reporting = reporting;
    self->conninfo = strdup (conninfo);
    self->session_s = session_s > 0 ? session_s : 28800;
    self->http = sn_http_new (config, s_handle, self, err, errlen);
    if (!self->http)
        rep_web_destroy (&self);
    return self;
}

void
rep_web_destroy (rep_web_t **self_p)
{
    rep_web_t *self = *self_p;
    if (!self)
        return;
    sn_http_destroy (&self->http);
    if (self->db)
        PQfinish (self->db);
    free (self->conninfo);
    free (self);
    *self_p = NULL;
}

int
rep_web_port (rep_web_t *self)
{
    return sn_http_port (self->http);
}
