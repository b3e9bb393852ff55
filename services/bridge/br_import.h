/*  br_import: the importer, an actor that takes the inbox's files one at a
    time and applies them record by record.

    A ready file is recorded (inbound_file, state 'taken') and moved to
    work/<id>-<name> before anything is read, so that a restart finds what
    was in hand; files in work/ are finished first, from where they were.
    The first pass reads the whole file (its SHA-256, well-formedness, the
    root and version, the count of records): a file that cannot be read is
    moved to rejected/ with its report, once, and never read again unless
    an operator retries it. A file whose bytes were imported before is a
    duplicate: nothing of it is applied. The second pass validates each
    record against the XSD and applies the valid ones in batches: records
    already applied (by key, in any file) are skipped, the others become
    requests (br_calls) made by several callers at once; each batch's
    outcomes are recorded in one transaction with the file's progress. At
    the end the file moves to processed/ with its report beside it.

    zactor_t *importer = br_importer_new (&config);    //  NULL on bad input
    zactor_destroy (&importer);                         //  stops between requests
*/
#ifndef BR_IMPORT_H_INCLUDED
#define BR_IMPORT_H_INCLUDED

#include "br_calls.h"
#include "br_reader.h"
#include "br_spool.h"
#include <czmq.h>

typedef struct {
    const char *conninfo;       //  the bridge's database
    const char *spool;          //  the spool's root
    br_ready_rule_t ready;      //  the inbox's readiness rule
    int settle_ms;              //  the age rule's quiet time
    int poll_ms;                //  how often the inbox is looked at
    int callers;                //  requests in flight at once (1-64)
    int batch;                  //  records recorded in one transaction (1-4096)
    int call_batch;             //  referrals in one batch request (1-1000)
    zcert_t *cert;              //  the bridge's (borrowed)
    const char *self_id;        //  the bridge's member id
    sn_peer_t registry;         //  where the registry is
    sn_peer_t monitoring;       //  where monitoring is
    br_schema_t *schema;        //  the exchange's (borrowed)
} br_import_config_t;

//  Starts the importer. Strings are copied; cert and schema are borrowed.
zactor_t *br_importer_new (const br_import_config_t *config);

//  Writes the report of file id (its header and one line per record, from
//  the database) to path, through a temporary name, flushed. Returns 0, or
//  -1 with err filled.
int br_report_write (PGconn *db, uint64_t id, const char *path, char *err, size_t errlen);

#endif
