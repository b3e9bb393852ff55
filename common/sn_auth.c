/*  sn_auth: members' keys and the ZAP handler. */
#include "sn_auth.h"
#include "sn_log.h"
#include "sn_actor.h"
#include "directory.pb-c.h"
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

typedef struct {
    sn_member_info_t info;      //  the member
    char key [41];              //  its CURVE public key, Z85
} s_entry_t;

struct _sn_auth_t {
    pthread_mutex_t lock;       //  guards both tables
    zhashx_t *by_id;            //  member id -> s_entry_t (owned)
    zhashx_t *by_key;           //  Z85 key -> s_entry_t (borrowed from by_id)
    atomic_uint_fast64_t refused;   //  handshakes refused since the start
    atomic_uint_fast64_t cut;       //  admissions to events taken back (sn_auth_cut)
    int64_t log_window;         //  the ZAP actor's: when its log window began
    unsigned unlogged;          //  refusals in it not written to the log
};

//  Refused handshakes are logged one line a window at most: someone trying
//  keys fills no disk.
#define REFUSAL_LOG_WINDOW_MS 10000

static void
s_entry_destroy (void **item)
{
    free (*item);
    *item = NULL;
}

sn_auth_t *
sn_auth_new (void)
{
    sn_auth_t *self = (sn_auth_t *) zmalloc (sizeof (sn_auth_t));
    pthread_mutex_init (&self->lock, NULL);
    self->by_id = zhashx_new ();
    self->by_key = zhashx_new ();
    zhashx_set_destructor (self->by_id, s_entry_destroy);
    return self;
}

void
sn_auth_destroy (sn_auth_t **self_p)
{
    assert (self_p);
    sn_auth_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->by_key);
    zhashx_destroy (&self->by_id);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

static bool
s_key_is_valid (const char *key)
{
    if (!key || strlen (key) != 40)
        return false;
    uint8_t bin [32];
    return zmq_z85_decode (bin, key) != NULL;
}

//  True if the member may subscribe to events (the "snodo.events" domain).
static bool
s_events_admitted (const sn_member_info_t *info)
{
    return !info->revoked
        && (info->kind == SNODO__MEMBER_KIND__MEMBER_KIND_SERVICE
            || info->kind == SNODO__MEMBER_KIND__MEMBER_KIND_ADMIN
            || info->kind == SNODO__MEMBER_KIND__MEMBER_KIND_BRIDGE);
}

uint64_t
sn_auth_cut (sn_auth_t *self)
{
    return atomic_load (&self->cut);
}

int
sn_auth_set (sn_auth_t *self, const char *public_key, const sn_member_info_t *info)
{
    assert (self && info);
    if (!s_key_is_valid (public_key))
        return -1;
    s_entry_t *entry = (s_entry_t *) zmalloc (sizeof (s_entry_t));
    entry->info = *info;
    memcpy (entry->key, public_key, 41);
    pthread_mutex_lock (&self->lock);
    s_entry_t *old = (s_entry_t *) zhashx_lookup (self->by_id, info->id);
    //  a member that was admitted to events and is no longer (revoked, a
    //  new key, another kind): its live subscriptions must be cut
    if (old && s_events_admitted (&old->info)
    &&  (!s_events_admitted (info) || !streq (old->key, public_key)))
        atomic_fetch_add (&self->cut, 1);
    if (old)
        zhashx_delete (self->by_key, old->key);
    //  a key moved from another member belongs to the new one only
    s_entry_t *holder = (s_entry_t *) zhashx_lookup (self->by_key, public_key);
    if (holder && holder != old) {
        if (s_events_admitted (&holder->info))
            atomic_fetch_add (&self->cut, 1);
        zhashx_delete (self->by_key, public_key);
        zhashx_delete (self->by_id, holder->info.id);
    }
    zhashx_update (self->by_id, info->id, entry);
    zhashx_update (self->by_key, entry->key, entry);
    pthread_mutex_unlock (&self->lock);
    return 0;
}

int
sn_auth_put (sn_auth_t *self, const char *id, int kind, const char *ambito, const char *public_key,
             bool revoked)
{
    sn_member_info_t info;
    memset (&info, 0, sizeof info);
    snprintf (info.id, sizeof info.id, "%s", id);
    info.kind = kind;
    snprintf (info.ambito, sizeof info.ambito, "%s", ambito ? ambito : "");
    info.revoked = revoked;
    return sn_auth_set (self, public_key, &info);
}

bool
sn_auth_lookup (sn_auth_t *self, const char *member_id, sn_member_info_t *info)
{
    assert (self);
    if (!member_id || !*member_id)
        return false;
    pthread_mutex_lock (&self->lock);
    s_entry_t *entry = (s_entry_t *) zhashx_lookup (self->by_id, member_id);
    if (entry && info)
        *info = entry->info;
    pthread_mutex_unlock (&self->lock);
    return entry != NULL;
}

bool
sn_auth_lookup_key (sn_auth_t *self, const char *public_key, sn_member_info_t *info)
{
    assert (self);
    if (!public_key)
        return false;
    pthread_mutex_lock (&self->lock);
    s_entry_t *entry = (s_entry_t *) zhashx_lookup (self->by_key, public_key);
    if (entry && info)
        *info = entry->info;
    pthread_mutex_unlock (&self->lock);
    return entry != NULL;
}

uint64_t
sn_auth_refused (sn_auth_t *self)
{
    return atomic_load (&self->refused);
}

size_t
sn_auth_size (sn_auth_t *self)
{
    pthread_mutex_lock (&self->lock);
    size_t n = zhashx_size (self->by_id);
    pthread_mutex_unlock (&self->lock);
    return n;
}

//  Decides one ZAP request. Fills user_id when admitted. Returns the ZAP status.
static const char *
s_decide (sn_auth_t *self, const char *domain, const char *mechanism,
          zframe_t *credentials, char *user_id, const char **why)
{
    if (!streq (mechanism, "CURVE") || !credentials || zframe_size (credentials) != 32) {
        *why = "CURVE required";
        return "400";
    }
    char key [41];
    zmq_z85_encode (key, zframe_data (credentials), 32);
    sn_member_info_t info;
    if (!sn_auth_lookup_key (self, key, &info)) {
        *why = "unknown key";
        return "400";
    }
    if (info.revoked) {
        *why = "member revoked";
        return "400";
    }
    if (streq (domain, SN_ZAP_DOMAIN_EVENTS) && !s_events_admitted (&info)) {
        *why = "events are for services";
        return "400";
    }
    if (!streq (domain, SN_ZAP_DOMAIN) && !streq (domain, SN_ZAP_DOMAIN_EVENTS)) {
        *why = "unknown domain";
        return "400";
    }
    snprintf (user_id, 64, "%s", info.id);
    *why = "OK";
    return "200";
}

//  Counts a refused handshake; logs the first of each window, and with it
//  how many the window before did not log.
static void
s_log_refusal (sn_auth_t *self, const char *address, const char *domain, const char *why)
{
    atomic_fetch_add (&self->refused, 1);
    int64_t now = zclock_mono ();
    if (self->log_window && now - self->log_window < REFUSAL_LOG_WINDOW_MS) {
        self->unlogged++;
        return;
    }
    if (self->unlogged)
        sn_info ("zap: %u more connections refused in %d s", self->unlogged, REFUSAL_LOG_WINDOW_MS / 1000);
    sn_info ("zap: refused connection from %s on %s: %s", address ? address : "?", domain ? domain : "?", why);
    self->log_window = now;
    self->unlogged = 0;
}

static void
s_handle_zap (sn_auth_t *self, zsock_t *handler)
{
    zmsg_t *request = zmsg_recv (handler);
    if (!request)
        return;
    char *version = zmsg_popstr (request);
    zframe_t *request_id = zmsg_pop (request);
    char *domain = zmsg_popstr (request);
    char *address = zmsg_popstr (request);
    zframe_t *identity = zmsg_pop (request);
    char *mechanism = zmsg_popstr (request);
    zframe_t *credentials = zmsg_pop (request);

    char user_id [64] = "";
    const char *why = "malformed ZAP request";
    const char *status = "400";
    if (version && streq (version, "1.0") && request_id && domain && mechanism)
        status = s_decide (self, domain, mechanism, credentials, user_id, &why);
    if (!streq (status, "200"))
        s_log_refusal (self, address, domain, why);

    zmsg_t *reply = zmsg_new ();
    zmsg_addstr (reply, "1.0");
    if (request_id)
        zmsg_append (reply, &request_id);
    else
        zmsg_addstr (reply, "");
    zmsg_addstr (reply, status);
    zmsg_addstr (reply, why);
    zmsg_addstr (reply, user_id);
    zmsg_addmem (reply, NULL, 0);
    zmsg_send (&reply, handler);

    zstr_free (&version);
    zstr_free (&domain);
    zstr_free (&address);
    zstr_free (&mechanism);
    zframe_destroy (&request_id);
    zframe_destroy (&identity);
    zframe_destroy (&credentials);
    zmsg_destroy (&request);
}

void
sn_auth_zap_actor (zsock_t *pipe, void *args)
{
    pthread_setname_np (pthread_self (), "sn-zap");
    sn_auth_t *self = (sn_auth_t *) args;
    zsock_t *handler = zsock_new (ZMQ_REP);
    if (!handler || zsock_bind (handler, "inproc://zeromq.zap.01") != 0) {
        sn_error ("zap: could not bind the ZAP handler (is another one running?)");
        zsock_destroy (&handler);
        zsock_signal (pipe, 1);
        return;
    }
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, handler, NULL);
    while (true) {
        //  refusals not logged yet are said once their window is over
        void *which = zpoller_wait (poller, self->unlogged ? REFUSAL_LOG_WINDOW_MS : -1);
        if (which == pipe) {
            if (sn_actor_ended (pipe))
                break;
        }
        else
        if (which == handler)
            s_handle_zap (self, handler);
        else
        if (zpoller_expired (poller) && self->unlogged) {
            sn_info ("zap: %u more connections refused in %d s", self->unlogged, REFUSAL_LOG_WINDOW_MS / 1000);
            self->unlogged = 0;
            self->log_window = 0;
        }
        else
        if (!zpoller_expired (poller))
            break;
    }
    zpoller_destroy (&poller);
    zsock_destroy (&handler);
}

const char *
sn_member_kind_name (int kind)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value (
        &snodo__member_kind__descriptor, kind);
    if (!v)
        return "UNKNOWN";
    const char *name = v->name;
    return strncmp (name, "MEMBER_KIND_", 12) == 0 ? name + 12 : name;
}
