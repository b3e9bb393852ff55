/*  sn_auth: who is calling. A table of members' CURVE public keys (fed by the
    registry's members) and a ZAP handler that admits only known, unrevoked
    keys. The handler names the member in ZAP's User-Id, which a server reads
    off each request frame; the caller's identity never comes from a field the
    caller writes.

    Domains: "snodo" (request sockets) admits every known member; "snodo.events"
    (PUB sockets: events carry personal data) admits only members of kind
    SERVICE, ADMIN or BRIDGE (a service run by the hub that writes out only
    what it referred).
*/
#ifndef SN_AUTH_H_INCLUDED
#define SN_AUTH_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>

#define SN_ZAP_DOMAIN         "snodo"
#define SN_ZAP_DOMAIN_EVENTS  "snodo.events"

typedef struct {
    char id [64];           //  member id
    int kind;               //  snodo.registry.MemberKind
    char ambito [32];       //  the member's ambito, may be empty
    bool revoked;           //  a revoked member is known but refused
} sn_member_info_t;

typedef struct _sn_auth_t sn_auth_t;

//  Creates an empty table. Thread-safe: the ZAP actor and the workers share it.
sn_auth_t *sn_auth_new (void);
void sn_auth_destroy (sn_auth_t **self_p);

//  Adds or replaces a member (by id; its previous key, if another, is dropped).
//  public_key is Z85, 40 characters. Returns 0, or -1 if the key is malformed.
int sn_auth_set (sn_auth_t *self, const char *public_key, const sn_member_info_t *info);

//  The same from its fields (ambito may be NULL or empty).
int sn_auth_put (sn_auth_t *self, const char *id, int kind, const char *ambito, const char *public_key,
                 bool revoked);

//  Looks a member up by id. Returns true and fills info if known.
bool sn_auth_lookup (sn_auth_t *self, const char *member_id, sn_member_info_t *info);

//  Looks a member up by public key (Z85). Returns true and fills info if known.
bool sn_auth_lookup_key (sn_auth_t *self, const char *public_key, sn_member_info_t *info);

//  The handshakes the ZAP handler refused since it started. (It logs the
//  first refusal of each 10 s, and how many more there were.)
uint64_t sn_auth_refused (sn_auth_t *self);

//  How many times a member admitted to events stopped being so (revoked,
//  given another key or kind): a PUB socket binds again when this grows, so
//  that the member's live subscription ends (ZeroMQ checks a key only at
//  the handshake).
uint64_t sn_auth_cut (sn_auth_t *self);

//  Number of members in the table.
size_t sn_auth_size (sn_auth_t *self);

//  The ZAP handler, as an actor: args is the sn_auth_t (borrowed, must outlive
//  the actor). One per process (ZAP is bound per ZeroMQ context).
//  zactor_new (sn_auth_zap_actor, auth)
void sn_auth_zap_actor (zsock_t *pipe, void *args);

//  Name of a member kind ("SIL"), for messages. Never NULL.
const char *sn_member_kind_name (int kind);

#endif
