/*  sn_relay: the server's relay, a thread with its own PGconn that owns the
    PUB socket. Kicked after every commit that wrote events, it numbers the
    committed outbox rows (gap-free in publication order, sn_journal_number)
    and publishes them; every relay_interval_ms it sends a $heartbeat with
    the highest seq and seals the audit entries of finished transactions;
    every hour it forgets stored replies older than idempotency_days. */
#include "sn_server_internal.h"
#include "sn_log.h"
#include "sn_actor.h"
#include "sn_store.h"
#include "sn_metrics.h"
#include <pthread.h>
#include <string.h>

//  Under load, kicks come with every commit; numbering at most every few ms
//  lets one pass number and publish many events.
#define RELAY_GAP_MS 5

typedef struct {
    sn_server_core_t *server;
    zsock_t *pub;                   //  events out
    zsock_t *wake;                  //  tells the broker what was published (its waiting requests)
    uint64_t cut;                   //  sn_auth_cut when pub was bound
    char *bound;                    //  the endpoint pub is bound to (a port asked as * is kept)
    PGconn *db;                     //  own connection
    int64_t retry_at;               //  reconnect after
    zhashx_t *prepared;             //  prepared statements of db
    int64_t next_cleanup;           //  when old stored replies are forgotten next
} s_relay_t;

static bool
s_relay_db (s_relay_t *self)
{
    if (self->db && !sn_store_is_down (self->db))
        return true;
    PQfinish (self->db);
    self->db = NULL;
    zhashx_purge (self->prepared);
    if (zclock_time () < self->retry_at)
        return false;
    char err [512];
    const sn_service_t *service = &self->server->service;
    self->db = sn_store_connect (self->server->conninfo, service->name, err, sizeof err);
    if (self->db && sn_store_migrate (self->db, service->name, service->migrations, err, sizeof err)) {
        PQfinish (self->db);
        self->db = NULL;
    }
    if (!self->db) {
        self->retry_at = zclock_time () + 1000;
        return false;
    }
    //  Its statements look up by seq and id with the same plan every time;
    //  under "auto" the publishing read was planned again on every pass.
    PQclear (PQexec (self->db, "SET plan_cache_mode = force_generic_plan"));
    return true;
}

//  Publishes the events just numbered, in seq order.
static void
s_relay_publish (s_relay_t *self, const Snodo__ReplayReply *numbered)
{
    for (size_t i = 0; i < numbered->n_events; i++) {
        const Snodo__Event *ev = numbered->events [i];
        size_t size = snodo__event__get_packed_size (ev);
        zmsg_t *msg = zmsg_new ();
        zmsg_addstr (msg, ev->type);
        zframe_t *frame = zframe_new (NULL, size);
        snodo__event__pack (ev, zframe_data (frame));
        zmsg_append (msg, &frame);
        zmsg_send (&msg, self->pub);
        atomic_store (&self->server->published, ev->seq);     //  for Health
        sn_metrics_published (self->server->config.metrics, ev->seq);
    }
}

static void
s_relay_heartbeat (s_relay_t *self)
{
    int64_t last = sn_journal_last_seq (self->db);
    if (last < 0)
        return;
    if ((uint64_t) last > atomic_load (&self->server->published))
        atomic_store (&self->server->published, (uint64_t) last);     //  numbered before this start
    sn_metrics_published (self->server->config.metrics, atomic_load (&self->server->published));
    Snodo__Heartbeat hb = SNODO__HEARTBEAT__INIT;
    hb.source = (char *) self->server->service.name;
    hb.last_seq = (uint64_t) last;
    size_t size = snodo__heartbeat__get_packed_size (&hb);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "$heartbeat");
    zframe_t *frame = zframe_new (NULL, size);
    snodo__heartbeat__pack (&hb, zframe_data (frame));
    zmsg_append (msg, &frame);
    zmsg_send (&msg, self->pub);
}

//  On a tick, seals the audit entries of finished transactions (each seal
//  an event, published in this same pass so that the other services
//  witness it at once); numbers and publishes what was committed; on a
//  tick, the heartbeat; every hour, forgets old stored replies. Returns
//  true when the pass numbered events: a pass takes a bounded number (and
//  bytes), so more may wait without a kick of their own.
static bool
s_relay_pass (s_relay_t *self, bool tick)
{
    sn_server_core_t *server = self->server;
    const char *name = server->service.name;
    bool more = false;
    char err [512];
    //  a backlog (a burst of more than a batch a tick) is worked off at up
    //  to four batches a tick
    if (tick && sn_journal_seal_backlog (self->db, name, server->config.audit_key, server->config.audit_key_len,
                                         4, err, sizeof err) < 0)
        sn_warning ("%s: audit: %s", name, err);
    Snodo__ReplayReply numbered = SNODO__REPLAY_REPLY__INIT;
    if (sn_journal_number_events (self->db, self->prepared, name, &numbered, err, sizeof err) == 0) {
        if (numbered.n_events) {
            s_relay_publish (self, &numbered);
            zmq_send (zsock_resolve (self->wake), "", 0, ZMQ_DONTWAIT);  //  full: a wake-up is queued
        }
        more = numbered.n_events > 0;
        sn_journal_replay_free (&numbered);
    }
    else
        sn_warning ("%s: relay: %s", name, err);
    if (tick)
        s_relay_heartbeat (self);
    if (zclock_time () >= self->next_cleanup) {
        if (sn_journal_forget (self->db, server->config.idempotency_days) < 0)
            sn_warning ("%s: relay: could not forget old replies: %s", name, PQerrorMessage (self->db));
        self->next_cleanup = zclock_time () + 3600 * 1000;
    }
    return more;
}

//  Binds the PUB socket. Returns 0, or -1 (logged).
static int
s_relay_bind (s_relay_t *self)
{
    sn_server_core_t *server = self->server;
    self->cut = server->config.auth ? sn_auth_cut (server->config.auth) : 0;
    self->pub = zsock_new (ZMQ_PUB);
    zsock_set_sndhwm (self->pub, server->config.hwm * 10);
    zsock_set_zap_domain (self->pub, SN_ZAP_DOMAIN_EVENTS);
    zcert_apply (server->config.cert, self->pub);
    zsock_set_curve_server (self->pub, 1);
    const char *endpoint = self->bound ? self->bound : server->events_endpoint;
    if (zsock_bind (self->pub, "%s", endpoint) < 0) {
        sn_error ("%s: could not bind events to %s", server->service.name, endpoint);
        return -1;
    }
    if (!self->bound)
        self->bound = strdup (zsock_endpoint (self->pub));
    return 0;
}

//  A member admitted to the events was revoked (or its key changed): ZeroMQ
//  checks keys only at the handshake, so the PUB socket is bound anew and
//  every subscriber connects again through ZAP, which refuses that member.
//  The others lose nothing: a subscriber that missed events while
//  connecting again replays them (a gap in seq, or the next heartbeat).
//  Returns true if the socket could not be bound again (the relay ends).
static bool
s_relay_cut (s_relay_t *self)
{
    sn_auth_t *auth = self->server->config.auth;
    if (!auth || sn_auth_cut (auth) == self->cut)
        return false;
    sn_info ("%s: a member may no longer follow the events: every subscriber connects again",
               self->server->service.name);
    zsock_destroy (&self->pub);
    for (int attempt = 0; attempt < 50; attempt++) {
        if (s_relay_bind (self) == 0)
            return false;
        zsock_destroy (&self->pub);
        zclock_sleep (100);     //  the port is released as the old socket closes
    }
    return true;
}

void
sn_relay_actor (zsock_t *pipe, void *args)
{
    pthread_setname_np (pthread_self (), "sn-relay");
    s_relay_t self = {.server = (sn_server_core_t *) args, .prepared = (zhashx_t *) sn_store_cache_new (),
                      .next_cleanup = zclock_time () + 60000};
    zsock_t *kick = zsock_new_pull (self.server->kick);
    self.wake = zsock_new_push (self.server->wake);
    zsock_set_sndhwm (self.wake, 4);
    bool bound = kick && s_relay_bind (&self) == 0;
    zsock_signal (pipe, 0);
    zstr_send (pipe, bound ? "OK" : "ERROR");
    zpoller_t *poller = zpoller_new (pipe, kick, NULL);
    int64_t next_tick = zclock_time ();
    int64_t next_number = 0;        //  numbering passes are at least RELAY_GAP_MS apart
    bool pending = false;           //  a kick came: committed events wait
    while (bound) {
        int64_t wake = pending && next_number < next_tick ? next_number : next_tick;
        int64_t wait = wake - zclock_time ();
        void *which = zpoller_wait (poller, wait > 0 ? (int) wait : 0);
        if (which == pipe) {
            char *command = sn_actor_command (pipe);
            if (!command)
                break;
            if (streq (command, "ENDPOINT"))
                zstr_send (pipe, zsock_endpoint (self.pub));
            zstr_free (&command);
            continue;
        }
        if (which == kick) {
            //  drain every kick that came meanwhile: one numbering serves them all
            zframe_t *frame;
            while ((frame = zframe_recv_nowait (kick)))
                zframe_destroy (&frame);
            pending = true;
        }
        else
        if (zpoller_terminated (poller))
            break;
        if (s_relay_cut (&self))
            break;
        bool tick = zclock_time () >= next_tick;
        if ((!(pending && zclock_time () >= next_number) && !tick) || !s_relay_db (&self))
            continue;
        pending = s_relay_pass (&self, tick);      //  events numbered: again, after the gap
        next_number = zclock_time () + RELAY_GAP_MS;
        if (tick)
            next_tick = zclock_time () + self.server->config.relay_interval_ms;
    }
    zpoller_destroy (&poller);
    zsock_destroy (&kick);
    zsock_destroy (&self.pub);
    zsock_destroy (&self.wake);
    zstr_free (&self.bound);
    zhashx_destroy (&self.prepared);
    PQfinish (self.db);
}
