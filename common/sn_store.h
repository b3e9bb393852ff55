/*  sn_store: the PostgreSQL side of a service.

    Connection with the service's role and schema, migrations under an advisory
    lock, and the mapping of PostgreSQL errors onto Snodo status codes.
*/
#ifndef SN_STORE_H_INCLUDED
#define SN_STORE_H_INCLUDED

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  A number written into SQL text, by name: a proto enum's with
//  #define MON_SQL_CLOSED 9 and SN_SQL_CHECK (MON_SQL_CLOSED, <the enum's value>),
//  SN_SQL (MON_SQL_CLOSED) is "9", and the build fails if the enum moves;
//  or a limit's, SN_SQL (SN_JOURNAL_NUMBER_MAX).
#define SN_SQL_TEXT(x) #x
#define SN_SQL(x) SN_SQL_TEXT (x)
#define SN_SQL_CHECK(name, value) _Static_assert ((name) == (value), #name " is not " #value)

//  One migration: a file of sql/ embedded in the binary (see cmake/embed_sql.cmake).
typedef struct {
    const char *name;   //  "001_init.sql"; NULL ends a table
    const char *sql;    //  its text
} sn_migration_t;

//  The journal tables every service has in its schema (common/sql).
extern const sn_migration_t journal_migrations[];

//  Opens a connection and sets search_path to schema, application_name, and
//  synchronous_commit on: whatever a service commits (a write, the audit
//  entry of a read, the relay's numbering and seals, a subscriber's cursor)
//  is on disk before anything depends on it. Returns NULL and fills err
//  when the connection fails.
PGconn *sn_store_connect (const char *conninfo, const char *schema, char *err, size_t errlen);

//  Creates the schema if missing and applies the journal migrations, then the
//  service's, each once, in name order, in one transaction per file, under an
//  advisory lock on the schema so that concurrent starts apply them once.
//  Returns 0, or -1 with err filled (which file and why).
int sn_store_migrate (PGconn *db, const char *schema, const sn_migration_t *migrations,
                      char *err, size_t errlen);

//  Runs a command with no result rows wanted. Returns 0, or -1 with err filled.
int sn_store_exec (PGconn *db, const char *sql, char *err, size_t errlen);

//  Runs sql like PQexecParams, as a statement prepared once per connection:
//  cache maps the SQL text to its statement's name (a zhashx_t the caller owns
//  and purges when it replaces the connection); NULL runs it unprepared.
//  The caller PQclear's the result.
PGresult *sn_store_query (PGconn *db, void *cache, const char *sql, int n, const char *const *params,
                          const int *lengths, const int *formats, int result_format);

//  A new cache of prepared statements for one connection (for
//  sn_store_query and sn_store_prepare): purge it when the connection is
//  replaced. Caller destroys it (zhashx_destroy).
void *sn_store_cache_new (void);

//  The bytes of a bytea value in PostgreSQL's text form, as a new buffer
//  (never NULL; caller frees) and its length in *len (0 when the text is
//  not bytea).
uint8_t *sn_store_bytea (const char *text, size_t *len);

//  The name of sql's statement prepared on db (cache as for sn_store_query,
//  not NULL), preparing it on first use. Returns NULL and sets *error (the
//  caller PQclear's it) when it cannot be prepared.
const char *sn_store_prepare (PGconn *db, void *cache, const char *sql, int n, PGresult **error);

//  True when the connection is lost (not when a statement merely failed).
bool sn_store_is_down (PGconn *db);

//  Maps a failed result to a Snodo status code (snodo.Code numbers):
//  unique violation -> ALREADY_EXISTS, foreign key -> FAILED_PRECONDITION,
//  check/not null/invalid text -> INVALID_ARGUMENT, query canceled ->
//  DEADLINE_EXCEEDED, serialization/deadlock -> ABORTED, lost connection ->
//  UNAVAILABLE, anything else INTERNAL. res may be NULL (lost connection).
int sn_store_error_code (PGconn *db, const PGresult *res);

//  Milliseconds since the epoch from a PostgreSQL timestamptz text, 0 on error.
long long sn_store_epoch_ms (const char *text);

#endif
