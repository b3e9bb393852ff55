/*  br_outbound: what goes back to the social record.

    The bridge follows monitoring's events (sn_subscriber: its cursor in
    the bridge's schema, moved in the same transaction as what an event
    does). br_monitoring_apply keeps the pathways the bridge referred
    (hub_pathway), numbers their events gap-free into outbound_event, and
    totals the services delivered per person and year; br_registry_apply
    keeps the persons the bridge referred (hub_person).

    The writer, every interval, writes the events after its cursor into
    outbox/snodo-events-<first>-<last>.xml: to a temporary name, flushed to
    disk and checked against the XSD; recorded as being written; renamed;
    and only then the cursor moves. After a crash between the rename and
    the cursor, the record says the file is out and the cursor moves
    without writing anything again; before the record, the temporary file
    is dropped and the same events are written again. No event is lost or
    written in two files. After summary_day of a year, the year before's
    summary of services is written once (snodo-summary-<year>-r<n>.xml).
*/
#ifndef BR_OUTBOUND_H_INCLUDED
#define BR_OUTBOUND_H_INCLUDED

#include "br_reader.h"
#include "envelope.pb-c.h"
#include <czmq.h>
#include <libpq-fe.h>

//  A monitoring event, for the bridge whose member id is self_id (a const
//  char *). In the subscriber's transaction. Returns 0, or -1 to retry.
int br_monitoring_apply (PGconn *db, const Snodo__Event *event, void *self_id);

//  A registry event (the directory's other events), for self_id. Returns 0 or -1.
int br_registry_apply (PGconn *db, const Snodo__Event *event, void *self_id);

//  The same for a page of events (sn_apply_page_fn), the rows of all of
//  them in a statement or two: each person or pathway once, as its last
//  event in the page says; the outbound events numbered in order. A page
//  of monitoring's that holds a meeting or a service delivered is applied
//  event by event. Returns 0, or -1 to roll back.
int br_monitoring_apply_page (PGconn *db, Snodo__Event *const *events, size_t n, void *self_id);
int br_registry_apply_page (PGconn *db, Snodo__Event *const *events, size_t n, void *self_id);

typedef struct {
    const char *conninfo;       //  the bridge's database
    const char *outbox;         //  the directory the files go to
    int interval_ms;            //  how often the writer looks
    int wait_ms;                //  how long an event waits for its referral to be recorded
    int max_events;             //  events in one file at most
    const char *summary_day;    //  "MM-DD": from then on the year before's summary is due
    br_schema_t *schema;        //  every file is checked against it (borrowed)
} br_outbound_config_t;

//  Starts the writer. Strings are copied; the schema is borrowed.
zactor_t *br_writer_new (const br_outbound_config_t *config);

//  One pass of the writer on db: files of the events after the cursor (each
//  of at most max_events) and the summary when it is due. Returns the
//  number of files written, or -1.
int br_writer_pass (PGconn *db, const br_outbound_config_t *config);

//  Writes the summary of year's services as its next revision into outbox,
//  in a transaction of its own, or in the one db is in.
//  Sets name (256 bytes) and persons. Returns 0, or -1 with err filled.
int br_summary_write (PGconn *db, const char *outbox, br_schema_t *schema, int year, char *name,
                      uint32_t *persons, char *err, size_t errlen);

#endif
