/*  The bridge's harness, for its tests and its benchmark: a real registry
    and a real monitoring service in this process over CURVE on loopback, the
    members the bridge needs (itself, of kind BRIDGE; the SSC of the ambiti
    urbano and nord), and the snodo-bridge binary as a process of its own,
    configured in a folder of the run's (config, certificates, spool, log). */
#ifndef BRIDGE_HARNESS_H_INCLUDED
#define BRIDGE_HARNESS_H_INCLUDED

#include "testsupport.h"
#include "monitoring.h"
#include "sn_directory.h"
#include <stdio.h>
#include <sys/types.h>

typedef struct {
    ts_registry_t *reg;             //  the registry, over its own database
    monitoring_t *mon;              //  the monitoring service's state
    zcert_t *mon_cert;              //  its certificate
    char *mon_conninfo, *mon_request, *mon_events;
    zactor_t *mon_server;
    sn_auth_t *dir_auth;            //  monitoring's directory (members, persons)
    sn_directory_t *directory;
    zcert_t *bridge_cert;           //  the bridge member's
    zcert_t *ssc_cert;              //  ssc-urbano's
    char dir [64];                  //  the run's folder
    pid_t pid;                      //  snodo-bridge, 0 when not running
    int port, events_port;          //  where it listens
    PGconn *db;                     //  superuser, on the database, for counting
} bh_t;

//  Starts the registry (workers) and monitoring over a new database, with
//  the members. Stops the process with a message if it cannot.
bh_t *bh_new (const char *prefix, int workers);
//  Kills the bridge if it runs, stops the services, drops the database and
//  the folder.
void bh_destroy (bh_t **self_p);

//  Writes the config (settings: extra lines of the bridge's section, each
//  "    key = value\n"; they replace the test's defaults of workers, poll_ms,
//  outbound_interval_ms and outbound_wait_ms) and starts snodo-bridge
//  (fault: its SNODO_BRIDGE_FAULT, or NULL). Returns 0 once it answers
//  bridge.Status, -1 if it does not within 30 s.
int bh_start (bh_t *self, const char *settings, const char *fault);

//  Sends sig to the bridge and reaps it (after 10 s, SIGKILL).
void bh_stop (bh_t *self, int sig);

//  True once the bridge has ended on its own (reaped), or is not running.
bool bh_died (bh_t *self);

//  The path of the spool's sub folder, or of name in it. A static buffer,
//  one of eight in turn.
const char *bh_path (bh_t *self, const char *sub, const char *name);

//  The first value of sql (superuser), as a number.
long bh_count (bh_t *self, const char *sql);

//  Writes an inbound file of n referrals of the persons first.. (ambito
//  urbano, one consent each) to out. Returns 0 or -1.
int bh_referrals (FILE *out, int first, int n);

#endif
