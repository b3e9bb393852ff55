/*  Members of the federation: the directory that clients bootstrap from. */
#include "registry.h"
#include <string.h>

#define MEMBER_JSON \
    "(data || jsonb_build_object ('id', id, 'revoked', revoked, " \
    " 'createdAt', ms (created_at), 'updatedAt', ms (updated_at)))::text"

static const char *const s_member_drop [] = {"revoked", "createdAt", "updatedAt", NULL};

static bool
s_valid_id (const char *id)
{
    size_t n = id ? strlen (id) : 0;
    if (n < 2 || n > 63 || id [0] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((id [i] >= 'a' && id [i] <= 'z') || (id [i] >= '0' && id [i] <= '9') || id [i] == '-'))
            return false;
    return true;
}

//  An endpoint another host can connect to: tcp:// or ipc://, and not a
//  wildcard (a service bound to every address says which one it is reached at).
static bool
s_valid_endpoint (const char *endpoint)
{
    if (strncmp (endpoint, "ipc://", 6) == 0)
        return endpoint [6] != 0;
    return strncmp (endpoint, "tcp://", 6) == 0 && endpoint [6] && endpoint [6] != '*'
        && strncmp (endpoint + 6, "0.0.0.0:", 8) != 0 && strchr (endpoint + 6, ':');
}

static void
s_check_endpoints (sn_call_t *call, const char *prefix, Snodo__Endpoint *const *endpoints, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const Snodo__Endpoint *e = endpoints [i];
        char field [64];
        snprintf (field, sizeof field, "%s[%zu]", prefix, i);
        sn_check_text (call, field, e->service, 63, true);
        for (size_t j = 0; j < i; j++)
            if (streq (endpoints [j]->service, e->service))
                sn_call_violation (call, field, "service \"%.63s\" is listed twice", e->service);
        if (!s_valid_endpoint (e->request))
            sn_call_violation (call, field, "request must be a tcp://HOST:PORT or ipc:// endpoint "
                               "a client can connect to (not a wildcard)");
        if (*e->events && !s_valid_endpoint (e->events))
            sn_call_violation (call, field, "events must be a tcp://HOST:PORT or ipc:// endpoint "
                               "a client can connect to (not a wildcard)");
    }
}

static void
s_check_member (sn_call_t *call, const Snodo__Member *m)
{
    if (!s_valid_id (m->id))
        sn_call_violation (call, "member.id", "must be 2-63 characters of a-z, 0-9 and '-'");
    sn_check_enum (call, "member.kind", &snodo__member_kind__descriptor, m->kind, true);
    sn_check_text (call, "member.name", m->name, 200, true);
    reg_check_ambito (call, "member.ambito", m->ambito,
                      m->kind == SNODO__MEMBER_KIND__MEMBER_KIND_SSC);
    uint8_t key [32];
    if (!m->public_key || strlen (m->public_key) != 40 || !zmq_z85_decode (key, m->public_key))
        sn_call_violation (call, "member.public_key", "must be a CURVE public key in Z85 (40 characters)");
    s_check_endpoints (call, "member.endpoints", m->endpoints, m->n_endpoints);
    if (m->parent_id && *m->parent_id && streq (m->parent_id, m->id))
        sn_call_violation (call, "member.parent_id", "a member cannot be its own parent");
}

//  Reads one member by id. Returns it, or NULL with the call's status set.
static Snodo__Member *
s_load (sn_call_t *call, const char *id, bool for_update)
{
    const char *params [1] = {id};
    PGresult *res = sn_call_query (call, "reading the member",
        for_update ? "SELECT " MEMBER_JSON " FROM member WHERE id = $1 FOR UPDATE"
                   : "SELECT " MEMBER_JSON " FROM member WHERE id = $1", 1, params);
    if (!res)
        return NULL;
    Snodo__Member *member = NULL;
    if (PQntuples (res) == 0)
        sn_call_fail (call, SNODO__CODE__NOT_FOUND, "no member \"%.64s\"", id);
    else
        member = (Snodo__Member *) reg_message_from_json (
            call, &snodo__member__descriptor, PQgetvalue (res, 0, 0));
    PQclear (res);
    return member;
}

//  Writes a member (insert or update), emits the event, returns the stored one.
static int
s_save (sn_call_t *call, const Snodo__Member *m, bool insert, const char *event,
        ProtobufCMessage **output)
{
    char *data = reg_storage_json (&m->base, s_member_drop);
    char kind [8];
    snprintf (kind, sizeof kind, "%d", m->kind);
    const char *params [7] = {m->id, kind, *m->ambito ? m->ambito : NULL, m->public_key,
                              *m->parent_id ? m->parent_id : NULL, data, m->revoked ? "t" : "f"};
    PGresult *res = sn_call_query (call, insert ? "registering the member" : "updating the member",
        insert ? "INSERT INTO member (id, kind, ambito, public_key, parent_id, data, revoked) "
                 "VALUES ($1, $2, $3, $4, $5, $6, $7)"
               : "UPDATE member SET kind = $2, ambito = $3, public_key = $4, parent_id = $5, "
                 "data = $6, revoked = $7, updated_at = now () WHERE id = $1",
        7, params);
    free (data);
    if (!res)
        return sn_call_code (call);
    PQclear (res);
    Snodo__Member *stored = s_load (call, m->id, false);
    if (!stored)
        return SNODO__CODE__INTERNAL;
    if (sn_call_event (call, event, stored->id, NULL, &stored->base)) {
        protobuf_c_message_free_unpacked (&stored->base, NULL);
        return SNODO__CODE__INTERNAL;
    }
    *output = &stored->base;
    return SNODO__CODE__OK;
}

static int
s_register_member (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Registry__RegisterMemberRequest *req = (const void *) input;
    if (!req->member) {
        sn_call_violation (call, "member", "is required");
        return sn_call_invalid (call);
    }
    s_check_member (call, req->member);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    Snodo__Member copy = *req->member;
    copy.revoked = false;
    copy.created_at = copy.updated_at = 0;
    return s_save (call, &copy, true, "registry.member.registered", output);
}

static int
s_get_member (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Registry__GetMemberRequest *req = (const void *) input;
    Snodo__Member *member = s_load (call, req->id, false);
    if (!member)
        return sn_call_code (call);
    *output = &member->base;
    return SNODO__CODE__OK;
}

static int
s_who_am_i (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    Snodo__Member *member = s_load (call, sn_call_member_id (call), false);
    if (!member)
        return SNODO__CODE__NOT_FOUND;
    *output = &member->base;
    return SNODO__CODE__OK;
}

static int
s_list_where (sn_call_t *call, const char *where, int kind, bool include_revoked,
              ProtobufCMessage **output)
{
    char kind_text [8];
    snprintf (kind_text, sizeof kind_text, "%d", kind);
    const char *params [2] = {kind_text, include_revoked ? "t" : "f"};
    char sql [512];
    snprintf (sql, sizeof sql,
              "SELECT " MEMBER_JSON " FROM member WHERE ($1 = 0 OR kind = $1) "
              "AND ($2 OR NOT revoked) %s ORDER BY id", where);
    PGresult *res = sn_call_query (call, "listing members", sql, 2, params);
    if (!res)
        return SNODO__CODE__INTERNAL;
    Snodo__Registry__ListMembersReply *reply = (Snodo__Registry__ListMembersReply *)
        sn_message_new (&snodo__registry__list_members_reply__descriptor);
    int rows = PQntuples (res);
    reply->members = (Snodo__Member **) calloc ((size_t) rows + 1, sizeof (void *));
    for (int i = 0; i < rows; i++) {
        Snodo__Member *m = (Snodo__Member *) reg_message_from_json (
            call, &snodo__member__descriptor, PQgetvalue (res, i, 0));
        if (!m)
            break;
        reply->members [reply->n_members++] = m;
    }
    PQclear (res);
    if (reply->n_members != (size_t) rows) {
        protobuf_c_message_free_unpacked (&reply->base, NULL);
        return SNODO__CODE__INTERNAL;
    }
    *output = &reply->base;
    return SNODO__CODE__OK;
}

static int
s_list_members (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Registry__ListMembersRequest *req = (const void *) input;
    sn_check_enum (call, "kind", &snodo__member_kind__descriptor, req->kind, false);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    return s_list_where (call, "", req->kind, req->include_revoked, output);
}

static int
s_directory (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    return s_list_where (call, "", 0, false, output);
}

static int
s_update_member (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Registry__UpdateMemberRequest *req = (const void *) input;
    if (!req->member) {
        sn_call_violation (call, "member", "is required");
        return sn_call_invalid (call);
    }
    s_check_member (call, req->member);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    Snodo__Member *old = s_load (call, req->member->id, true);
    if (!old)
        return SNODO__CODE__NOT_FOUND;
    bool revoked = old->revoked;
    protobuf_c_message_free_unpacked (&old->base, NULL);
    if (revoked)
        return sn_call_fail (call, SNODO__CODE__FAILED_PRECONDITION, "member \"%s\" is revoked",
                             req->member->id);
    Snodo__Member copy = *req->member;
    copy.revoked = false;
    return s_save (call, &copy, false, "registry.member.updated", output);
}

static int
s_revoke_member (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Registry__RevokeMemberRequest *req = (const void *) input;
    if (streq (req->id, sn_call_member_id (call)))
        return sn_call_fail (call, SNODO__CODE__FAILED_PRECONDITION, "a member cannot revoke itself");
    Snodo__Member *member = s_load (call, req->id, true);
    if (!member)
        return SNODO__CODE__NOT_FOUND;
    if (member->revoked) {
        protobuf_c_message_free_unpacked (&member->base, NULL);
        return sn_call_fail (call, SNODO__CODE__FAILED_PRECONDITION, "member \"%s\" is already revoked",
                             req->id);
    }
    member->revoked = true;
    int code = s_save (call, member, false, "registry.member.revoked", output);
    protobuf_c_message_free_unpacked (&member->base, NULL);
    return code;
}

//  True if a member's endpoints are those of the request, in any order.
static bool
s_same_endpoints (const Snodo__Member *m, Snodo__Endpoint *const *endpoints, size_t n)
{
    if (m->n_endpoints != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < m->n_endpoints && !found; j++)
            found = streq (m->endpoints [j]->service, endpoints [i]->service)
                 && streq (m->endpoints [j]->request, endpoints [i]->request)
                 && streq (m->endpoints [j]->events, endpoints [i]->events);
        if (!found)
            return false;
    }
    return true;
}

//  Announce: a service says where it listens. Its own member's endpoints are
//  replaced (registry.member.updated), or left as they are when nothing
//  moved: a service announces at every start.
static int
s_announce (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__AnnounceRequest *req = (const void *) input;
    if (req->n_endpoints == 0)
        sn_call_violation (call, "endpoints", "at least one is required");
    s_check_endpoints (call, "endpoints", req->endpoints, req->n_endpoints);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    Snodo__Member *member = s_load (call, sn_call_member_id (call), true);
    if (!member)
        return sn_call_code (call);
    if (s_same_endpoints (member, req->endpoints, req->n_endpoints)) {
        *output = &member->base;
        return SNODO__CODE__OK;
    }
    Snodo__Member copy = *member;
    copy.endpoints = req->endpoints;
    copy.n_endpoints = req->n_endpoints;
    int code = s_save (call, &copy, false, "registry.member.updated", output);
    protobuf_c_message_free_unpacked (&member->base, NULL);
    return code;
}

const sn_method_t registry_member_methods [] = {
    SN_METHOD (RegisterMember, s_register_member, SN_KIND (ADMIN), SN_WRITE),
    SN_METHOD (GetMember, s_get_member, SN_ANY_KIND, 0),
    SN_METHOD (ListMembers, s_list_members, SN_ANY_KIND, 0),
    SN_METHOD (UpdateMember, s_update_member, SN_KIND (ADMIN), SN_WRITE),
    SN_METHOD (RevokeMember, s_revoke_member, SN_KIND (ADMIN), SN_WRITE),
    SN_METHOD (Directory, s_directory, SN_ANY_KIND, 0),
    SN_METHOD (WhoAmI, s_who_am_i, SN_ANY_KIND, 0),
    SN_METHOD (Announce, s_announce, SN_KIND (SERVICE) | SN_KIND (BRIDGE), SN_WRITE),
    SN_METHODS_END
};
