/*  Members' own streams of the registry's events (journal.Follow): a
    cooperative sees the events of the persons it has consent for, and no
    others; nothing more about a person once the consent is revoked; a
    stream read again from its cursor, over new connections, has no gap and
    no repeat; every event about a person delivered is in the audit trail. */
#include "testsupport.h"
#include <criterion/criterion.h>
#include <string.h>

#define OK SNODO__CODE__OK

static ts_registry_t *reg;

static void
setup (void)
{
    reg = ts_registry_start ("follow", 2);
}

static void
teardown (void)
{
    ts_registry_destroy (&reg);
}

TestSuite (follow, .init = setup, .fini = teardown, .timeout = 60);

//  Follows as client from after, for purpose, at most max: the reply
//  (caller frees).
static Snodo__FollowReply *
s_follow (sn_client_t *client, const char *purpose, uint64_t after, uint32_t max)
{
    Snodo__FollowRequest req = SNODO__FOLLOW_REQUEST__INIT;
    req.after_seq = after;
    req.max = max;
    Snodo__FollowReply *reply = NULL;
    sn_result_t result;
    int code = sn_client_call (client, "journal.Follow", purpose, &req.base, &snodo__follow_reply__descriptor,
                               (ProtobufCMessage **) &reply, &result);
    cr_assert_eq (code, OK, "%s", result.message);
    return reply;
}

//  The types of the events about subject in reply, in order, joined by
//  spaces ("" if none).
static void
s_types_of (const Snodo__FollowReply *reply, const char *subject, char *out, size_t size)
{
    out [0] = 0;
    for (size_t i = 0; i < reply->n_events; i++)
        if (streq (reply->events [i]->subject, subject)) {
            size_t len = strlen (out);
            snprintf (out + len, size - len, "%s%s", len ? " " : "", reply->events [i]->type);
        }
}

static void
s_consent (sn_client_t *client, const char *person, bool grant)
{
    Snodo__Registry__ConsentRequest req = SNODO__REGISTRY__CONSENT_REQUEST__INIT;
    req.person_id = (char *) person;
    req.purpose = SNODO__PURPOSE__PURPOSE_PLACEMENT;
    req.member_kind = SNODO__MEMBER_KIND__MEMBER_KIND_COOPERATIVA;
    sn_result_t result;
    cr_assert_eq (sn_client_call (client, grant ? "registry.GrantConsent" : "registry.RevokeConsent", "placement",
                                  &req.base, NULL, NULL, &result), OK, "%s", result.message);
}

static void
s_constraints (sn_client_t *client, const char *person, uint32_t hours)
{
    Snodo__Registry__Constraints constraints = SNODO__REGISTRY__CONSTRAINTS__INIT;
    constraints.max_weekly_hours = hours;
    Snodo__Registry__SetConstraintsRequest req = SNODO__REGISTRY__SET_CONSTRAINTS_REQUEST__INIT;
    req.person_id = (char *) person;
    req.constraints = &constraints;
    sn_result_t result;
    cr_assert_eq (sn_client_call (client, "registry.SetConstraints", "placement", &req.base, NULL, NULL, &result),
                  OK, "%s", result.message);
}

//  The whole stream, once it holds the event about marker (a member
//  registered after everything else: events are published within
//  milliseconds of their commit).
static Snodo__FollowReply *
s_whole_stream (sn_client_t *client, const char *purpose, const char *marker)
{
    Snodo__FollowReply *reply = NULL;
    char types [256] = "";
    for (int i = 0; i < 100 && !*types; i++) {
        protobuf_c_message_free_unpacked ((ProtobufCMessage *) reply, NULL);
        reply = s_follow (client, purpose, 0, 1000);
        s_types_of (reply, marker, types, sizeof types);
        if (!*types)
            zclock_sleep (50);
    }
    cr_assert (*types, "the stream never reached %s", marker);
    return reply;
}

Test (follow, a_cooperative_sees_only_the_persons_it_has_consent_for_while_it_has_it)
{
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", SNODO__MEMBER_KIND__MEMBER_KIND_SIL, NULL, NULL);
    sn_client_t *coop = ts_member_client (reg, "coop-alfa", SNODO__MEMBER_KIND__MEMBER_KIND_COOPERATIVA,
                                          NULL, NULL);
    char *a = ts_create_person (sil, 1, NULL);
    char *b = ts_create_person (sil, 2, NULL);
    cr_assert (a && b);
    s_consent (sil, a, true);           //  the cooperative may see a, for placement
    s_constraints (sil, a, 20);
    s_constraints (sil, b, 20);
    s_consent (sil, a, false);          //  and no longer
    s_constraints (sil, a, 30);
    //  a marker: a non-personal event after all of it, for s_whole_stream
    sn_client_t *late = ts_member_client (reg, "coop-beta", SNODO__MEMBER_KIND__MEMBER_KIND_COOPERATIVA,
                                          NULL, NULL);
    sn_client_destroy (&late);

    Snodo__FollowReply *stream = s_whole_stream (coop, "placement", "coop-beta");
    char types [512];
    s_types_of (stream, a, types, sizeof types);
    //  a's creation came before the consent, its revocation and what came
    //  after it after: only what was written while it was in force
    cr_expect_str_eq (types, "registry.person.consent_granted registry.person.constraints_set");
    s_types_of (stream, b, types, sizeof types);
    cr_expect_str_eq (types, "", "b was never consented to the cooperative");
    s_types_of (stream, "coop-beta", types, sizeof types);
    cr_expect_str_eq (types, "registry.member.registered", "the directory's changes are for every member");
    //  each event about a person delivered, audited as a read of that person
    sn_client_t *admin = ts_admin_client (reg);
    Snodo__ListAuditRequest list = SNODO__LIST_AUDIT_REQUEST__INIT;
    list.member_id = "coop-alfa";
    list.subject = a;
    Snodo__ListAuditReply *audit = NULL;
    cr_assert_eq (sn_client_call (admin, "journal.ListAudit", "administration", &list.base,
                                  &snodo__list_audit_reply__descriptor, (ProtobufCMessage **) &audit, NULL), OK);
    size_t follows = 0;
    for (size_t i = 0; i < audit->n_entries; i++)
        follows += streq (audit->entries [i]->method, "journal.Follow") && audit->entries [i]->outcome == OK;
    cr_expect_geq (follows, 1, "the deliveries about a were not audited");
    protobuf_c_message_free_unpacked (&audit->base, NULL);
    protobuf_c_message_free_unpacked (&stream->base, NULL);

    //  the consent was for placement: for another purpose, nothing about a
    stream = s_whole_stream (coop, "care", "coop-beta");
    s_types_of (stream, a, types, sizeof types);
    cr_expect_str_eq (types, "", "the consent was for placement, not care");
    protobuf_c_message_free_unpacked (&stream->base, NULL);

    //  the referring service sees all of it
    stream = s_whole_stream (sil, "placement", "coop-beta");
    s_types_of (stream, a, types, sizeof types);
    cr_expect_str_eq (types, "registry.person.created registry.person.consent_granted "
                      "registry.person.constraints_set registry.person.consent_revoked "
                      "registry.person.constraints_set");
    protobuf_c_message_free_unpacked (&stream->base, NULL);
    sn_client_destroy (&admin);
    sn_client_destroy (&coop);
    sn_client_destroy (&sil);
    free (a);
    free (b);
}

//  A stream read a few events at a time, each time over a new connection
//  (a disconnect), from the cursor each reply gave: the same events as in
//  one read, in order, none twice, none missing.
Test (follow, a_stream_resumed_from_its_cursor_has_no_gap_and_no_repeat)
{
    zcert_t *cert = NULL;
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", SNODO__MEMBER_KIND__MEMBER_KIND_SIL, NULL, &cert);
    for (int i = 0; i < 12; i++) {
        char *id = ts_create_person (sil, 10 + i, NULL);
        cr_assert (id);
        if (i % 3 == 0)
            s_constraints (sil, id, 25);
        free (id);
    }
    sn_client_t *late = ts_member_client (reg, "coop-gamma", SNODO__MEMBER_KIND__MEMBER_KIND_COOPERATIVA, NULL, NULL);
    sn_client_destroy (&late);
    Snodo__FollowReply *whole = s_whole_stream (sil, "placement", "coop-gamma");
    cr_assert_geq (whole->n_events, 16);
    //  (the stream goes on meanwhile: the relay's seals of the audit trail
    //  that these reads write; what comes after the whole read is not compared)
    uint64_t cursor = 0, end = whole->next_after;
    size_t seen = 0;
    for (int round = 0; round < 100 && cursor < end; round++) {
        sn_client_t *again = ts_client_as (reg->request, cert, reg->cert);
        Snodo__FollowReply *part = s_follow (again, "placement", cursor, 3);
        cr_assert_leq (part->n_events, 3);
        for (size_t i = 0; i < part->n_events && part->events [i]->seq <= end; i++, seen++) {
            cr_assert_lt (seen, whole->n_events, "more events than in one read");
            cr_expect_eq (part->events [i]->seq, whole->events [seen]->seq, "event %zu", seen);
            cr_expect_gt (part->events [i]->seq, cursor, "an event at or before the cursor");
        }
        cursor = part->next_after;
        protobuf_c_message_free_unpacked (&part->base, NULL);
        sn_client_destroy (&again);
    }
    cr_expect_eq (seen, whole->n_events, "%zu of %zu events", seen, whole->n_events);
    cr_expect_geq (cursor, end);
    protobuf_c_message_free_unpacked (&whole->base, NULL);
    zcert_destroy (&cert);
    sn_client_destroy (&sil);
}
