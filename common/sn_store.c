/*  sn_store: connection, migrations, error mapping. */
#include "sn_store.h"
#include "envelope.pb-c.h"
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
s_fill (char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
    if (err && errlen)
        snprintf (err, errlen, fmt, a, b);
}

static void
s_trim_newline (char *s)
{
    size_t n = strlen (s);
    while (n > 0 && (s [n - 1] == '\n' || s [n - 1] == '\r'))
        s [--n] = 0;
}

static bool
s_is_identifier (const char *name)
{
    if (!name || !*name || strlen (name) > 63)
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || *p == '_' || (p > name && *p >= '0' && *p <= '9')))
            return false;
    return true;
}

PGconn *
sn_store_connect (const char *conninfo, const char *schema, char *err, size_t errlen)
{
    if (!s_is_identifier (schema)) {
        s_fill (err, errlen, "invalid schema name \"%s\"%s", schema ? schema : "", "");
        return NULL;
    }
    PGconn *db = PQconnectdb (conninfo);
    if (!db || PQstatus (db) != CONNECTION_OK) {
        char why [256];
        snprintf (why, sizeof why, "%s", db ? PQerrorMessage (db) : "out of memory");
        s_trim_newline (why);
        s_fill (err, errlen, "could not connect to the database: %s%s", why, "");
        PQfinish (db);
        return NULL;
    }
    char sql [256];
    snprintf (sql, sizeof sql,
              "SET search_path = %s, public; SET application_name = 'snodo-%s'; "
              "SET synchronous_commit = on; SET TIME ZONE 'UTC'; SET client_min_messages = warning",
              schema, schema);
    if (sn_store_exec (db, sql, err, errlen)) {
        PQfinish (db);
        return NULL;
    }
    return db;
}

int
sn_store_exec (PGconn *db, const char *sql, char *err, size_t errlen)
{
    PGresult *res = PQexec (db, sql);
    ExecStatusType st = PQresultStatus (res);
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        char why [512];
        snprintf (why, sizeof why, "%s", PQerrorMessage (db));
        s_trim_newline (why);
        s_fill (err, errlen, "%s%s", why, "");
        rc = -1;
    }
    PQclear (res);
    return rc;
}

//  Applies one migration file unless already recorded. Returns 0 or -1.
static int
s_apply (PGconn *db, const char *scope, const sn_migration_t *m, char *err, size_t errlen)
{
    const char *params [2] = {scope, m->name};
    PGresult *res = PQexecParams (db,
        "SELECT 1 FROM schema_migrations WHERE scope = $1 AND name = $2",
        2, NULL, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        s_fill (err, errlen, "could not read schema_migrations: %s%s", PQerrorMessage (db), "");
        PQclear (res);
        return -1;
    }
    bool done = PQntuples (res) > 0;
    PQclear (res);
    if (done)
        return 0;
    char why [512] = "";
    if (sn_store_exec (db, "BEGIN", why, sizeof why)
    ||  sn_store_exec (db, m->sql, why, sizeof why)) {
        sn_store_exec (db, "ROLLBACK", NULL, 0);
        s_fill (err, errlen, "migration %s failed: %s", m->name, why);
        return -1;
    }
    res = PQexecParams (db, "INSERT INTO schema_migrations (scope, name) VALUES ($1, $2)",
                        2, NULL, params, NULL, NULL, 0);
    bool ok = PQresultStatus (res) == PGRES_COMMAND_OK;
    PQclear (res);
    if (!ok || sn_store_exec (db, "COMMIT", why, sizeof why)) {
        sn_store_exec (db, "ROLLBACK", NULL, 0);
        s_fill (err, errlen, "migration %s could not be recorded: %s", m->name, PQerrorMessage (db));
        return -1;
    }
    return 0;
}

int
sn_store_migrate (PGconn *db, const char *schema, const sn_migration_t *migrations,
                  char *err, size_t errlen)
{
    if (!s_is_identifier (schema)) {
        s_fill (err, errlen, "invalid schema name \"%s\"%s", schema ? schema : "", "");
        return -1;
    }
    char sql [512];
    snprintf (sql, sizeof sql,
              "SELECT pg_advisory_lock (hashtext ('snodo.migrate.%s'))", schema);
    if (sn_store_exec (db, sql, err, errlen))
        return -1;
    int rc = 0;
    snprintf (sql, sizeof sql,
              "CREATE SCHEMA IF NOT EXISTS %s; SET search_path = %s, public; "
              "CREATE TABLE IF NOT EXISTS schema_migrations ("
              " scope text NOT NULL, name text NOT NULL,"
              " applied_at timestamptz NOT NULL DEFAULT now (),"
              " PRIMARY KEY (scope, name))",
              schema, schema);
    if (sn_store_exec (db, sql, err, errlen))
        rc = -1;
    for (const sn_migration_t *m = journal_migrations; rc == 0 && m->name; m++)
        rc = s_apply (db, "journal", m, err, errlen);
    for (const sn_migration_t *m = migrations; rc == 0 && m && m->name; m++)
        rc = s_apply (db, schema, m, err, errlen);
    //  the audit trail's clock ahead of everything it sealed, a restore into
    //  another cluster too (common/sql/009_audit_clock.sql)
    if (rc == 0)
        rc = sn_store_exec (db, "SELECT audit_clock_check ()", err, errlen);
    snprintf (sql, sizeof sql,
              "SELECT pg_advisory_unlock (hashtext ('snodo.migrate.%s'))", schema);
    sn_store_exec (db, sql, NULL, 0);
    return rc;
}

const char *
sn_store_prepare (PGconn *db, void *cache, const char *sql, int n, PGresult **error)
{
    zhashx_t *prepared = (zhashx_t *) cache;
    *error = NULL;
    const char *name = (const char *) zhashx_lookup (prepared, sql);
    if (name)
        return name;
    char fresh [32];
    snprintf (fresh, sizeof fresh, "sn_%zu", zhashx_size (prepared) + 1);
    PGresult *res = PQprepare (db, fresh, sql, n, NULL);
    if (PQresultStatus (res) != PGRES_COMMAND_OK) {
        *error = res;       //  the caller sees the error
        return NULL;
    }
    PQclear (res);
    zhashx_insert (prepared, sql, strdup (fresh));
    return (const char *) zhashx_lookup (prepared, sql);
}

PGresult *
sn_store_query (PGconn *db, void *cache, const char *sql, int n, const char *const *params,
                const int *lengths, const int *formats, int result_format)
{
    if (!cache)
        return PQexecParams (db, sql, n, NULL, params, lengths, formats, result_format);
    PGresult *error;
    const char *name = sn_store_prepare (db, cache, sql, n, &error);
    if (!name)
        return error;
    return PQexecPrepared (db, name, n, params, lengths, formats, result_format);
}

bool
sn_store_is_down (PGconn *db)
{
    return !db || PQstatus (db) != CONNECTION_OK;
}

int
sn_store_error_code (PGconn *db, const PGresult *res)
{
    if (sn_store_is_down (db))
        return SNODO__CODE__UNAVAILABLE;
    const char *state = res ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;
    if (!state)
        return sn_store_is_down (db) ? SNODO__CODE__UNAVAILABLE : SNODO__CODE__INTERNAL;
    if (strcmp (state, "23505") == 0)
        return SNODO__CODE__ALREADY_EXISTS;
    if (strcmp (state, "23503") == 0)
        return SNODO__CODE__FAILED_PRECONDITION;
    if (strncmp (state, "23", 2) == 0 || strncmp (state, "22", 2) == 0)
        return SNODO__CODE__INVALID_ARGUMENT;
    if (strcmp (state, "57014") == 0)
        return SNODO__CODE__DEADLINE_EXCEEDED;
    if (strcmp (state, "40001") == 0 || strcmp (state, "40P01") == 0)
        return SNODO__CODE__ABORTED;
    if (strncmp (state, "08", 2) == 0 || strcmp (state, "57P01") == 0
    ||  strcmp (state, "57P02") == 0 || strcmp (state, "57P03") == 0)
        return SNODO__CODE__UNAVAILABLE;
    return SNODO__CODE__INTERNAL;
}

long long
sn_store_epoch_ms (const char *text)
{
    //  PostgreSQL with TIME ZONE UTC prints "2026-11-23 10:11:12.123456+00"
    int y, mo, d, h, mi;
    double s;
    if (!text || sscanf (text, "%d-%d-%d %d:%d:%lf", &y, &mo, &d, &h, &mi, &s) != 6)
        return 0;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = (int) s;
    time_t t = timegm (&tm);
    return (long long) t * 1000 + (long long) ((s - (int) s) * 1000.0 + 0.5);
}

static void
s_free_name (void **item)
{
    free (*item);
    *item = NULL;
}

void *
sn_store_cache_new (void)
{
    zhashx_t *cache = zhashx_new ();
    zhashx_set_destructor (cache, s_free_name);
    return cache;
}

uint8_t *
sn_store_bytea (const char *text, size_t *len)
{
    unsigned char *bytes = PQunescapeBytea ((const unsigned char *) text, len);
    if (!bytes)
        *len = 0;
    uint8_t *copy = (uint8_t *) malloc (*len ? *len : 1);
    assert (copy);
    if (bytes)
        memcpy (copy, bytes, *len);
    PQfreemem (bytes);
    return copy;
}
