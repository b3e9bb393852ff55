/*  CreatePersons: many persons in one request and one transaction. Each
    item is a person with the consents to record for it; it is checked as
    CreatePerson checks its person and as GrantConsent checks each consent
    (the same checks on the call, so the same violations and messages), and
    it is created with its consents, or nothing of it is. Each item gets its
    own outcome, and is stored under its own request_id as CreatePerson's
    reply would be: a retry of the item, in a batch or alone, gets it.

    The rows go in two statements for the whole batch (the persons, then
    their consents), where one CreatePerson and its GrantConsents take a
    transaction and five statements each. One event per person,
    registry.person.created, whose body is the person with its consents
    (followers take every person event as the whole person). */
#include "registry.h"
#include <string.h>

//  The single method an item is stored as.
#define SINGLE "registry.CreatePerson"
//  CreatePerson's answer for a codice fiscale registered already.
#define ALREADY "a person with codice fiscale %s is already registered"

//  An item while it is served.
typedef struct {
    Snodo__Registry__CreatePersonsItem *in;     //  the request's (its person moves to the output)
    Snodo__Registry__CreatePersonsOutcome *out; //  the reply's
    bool go;                                    //  checked, nothing stored for it: to create
    const uint8_t *digest;                      //  its input's, as CreatePerson's (sn_call_item_digest)
    char id [37];                               //  the new person's
} s_item_t;

//  The consents of an item as a set: each purpose and kind once, in order.
static void
s_consent_set (Snodo__Registry__CreatePersonsItem *in)
{
    size_t kept = 0;
    for (size_t i = 0; i < in->n_consents; i++) {
        Snodo__Registry__ConsentRequest *c = in->consents [i];
        size_t k = 0;
        const Snodo__Registry__ConsentRequest *seen = k < kept ? in->consents [k] : NULL;
        while (k < kept && (seen->purpose != c->purpose || seen->member_kind != c->member_kind))
            seen = ++k < kept ? in->consents [k] : NULL;
        if (k == kept)
            in->consents [kept++] = c;
        else
            protobuf_c_message_free_unpacked (&c->base, NULL);
    }
    in->n_consents = kept;
}

//  Checks an item on the call as CreatePerson and GrantConsent would.
static void
s_check_item (sn_call_t *call, Snodo__Registry__CreatePersonsItem *in)
{
    if (!in->person) {
        sn_call_violation (call, "person", "is required");
        sn_call_invalid (call);
        return;
    }
    reg_check_new_person (call, in->person);
    for (size_t i = 0; i < in->n_consents; i++) {
        char prefix [48];
        snprintf (prefix, sizeof prefix, "consents[%zu].", i);
        reg_check_consent (call, prefix, in->consents [i]->purpose, in->consents [i]->member_kind);
        if (*in->consents [i]->person_id)
            sn_call_violation (call, strcat (prefix, "person_id"),
                               "is left empty: the consent is this person's");
    }
    if (sn_call_violations (call)) {
        sn_call_invalid (call);
        return;
    }
    s_consent_set (in);
    //  GrantConsent's rule: the referring service, or the member that referred the person for it
    const Snodo__Registry__Person *p = in->person;
    const char *caller = sn_call_member_id (call);
    if (in->n_consents && !streq (p->referring_member_id, caller) && !streq (p->referred_via, caller))
        sn_call_fail (call, SNODO__CODE__PERMISSION_DENIED,
                      "consent is recorded by the referring service (or the member that "
                      "referred the person for it) or a team member");
}

//  True if an item before i goes with the same codice fiscale.
static bool
s_taken_before (const s_item_t *items, size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (items [k].go
        &&  streq (items [k].in->person->codice_fiscale, items [i].in->person->codice_fiscale))
            return true;
    return false;
}

//  The items' outcomes that need no database: each item checked, and the
//  second of two with one codice fiscale refused as CreatePerson would
//  refuse it after the first.
static void
s_check_items (sn_call_t *call, s_item_t *items, size_t n, const ProtobufCBinaryData *ids)
{
    for (size_t i = 0; i < n; i++) {
        sn_call_check_item_id (call, ids, i);
        s_check_item (call, items [i].in);
        if (sn_call_code (call) == SNODO__CODE__OK && s_taken_before (items, i))
            sn_call_fail (call, SNODO__CODE__ALREADY_EXISTS, ALREADY, items [i].in->person->codice_fiscale);
        items [i].go = sn_call_item_status (call, &items [i].out->status) == SNODO__CODE__OK;
    }
}

//  An item stored before (a retry) takes its stored reply, once its own
//  checks passed (sn_item_reply_fn).
static void
s_take_stored (void *arg, size_t i, Snodo__Status *status, ProtobufCMessage *output)
{
    s_item_t *item = &((s_item_t *) arg) [i];
    if (!item->go) {
        protobuf_c_message_free_unpacked (&status->base, NULL);
        if (output)
            protobuf_c_message_free_unpacked (output, NULL);
        return;
    }
    item->go = false;
    protobuf_c_message_free_unpacked (&item->out->status->base, NULL);
    item->out->status = status;
    item->out->person = (Snodo__Registry__Person *) output;
}


//  Inserts the persons of the items that go, each with a new id; one
//  already registered (its codice fiscale) is left out, and refused.
//  Returns OK or the call's failure.
static int
s_insert_persons (sn_call_t *call, s_item_t *items, size_t n)
{
    size_t going = 0;
    for (size_t i = 0; i < n; i++)
        going += items [i].go;
    if (going == 0)
        return SNODO__CODE__OK;
    sn_array_t a [7];
    for (int k = 0; k < 7; k++)
        a [k] = (sn_array_t) SN_ARRAY_INIT;
    for (size_t i = 0; i < n; i++) {
        if (!items [i].go)
            continue;
        Snodo__Registry__Person *p = items [i].in->person;
        sn_new_uuid (items [i].id);
        char *data = reg_person_storage_json (p), *categories = reg_person_categories (p);
        sn_array_text (&a [0], items [i].id);
        sn_array_text (&a [1], p->codice_fiscale);
        sn_array_text (&a [2], *p->ambito ? p->ambito : NULL);
        sn_array_text (&a [3], p->referring_member_id);
        sn_array_text (&a [4], categories);
        sn_array_text (&a [5], data);
        sn_array_text (&a [6], *p->referred_via ? p->referred_via : NULL);
        free (data);
        free (categories);
    }
    const char *params [7];
    for (int k = 0; k < 7; k++)
        params [k] = sn_array_end (&a [k]);
    PGresult *res = sn_call_query (call, "creating the persons",
        "INSERT INTO person (id, codice_fiscale, ambito, referring_member_id, categories, data, "
        "referred_via) SELECT i::uuid, c, a, r, k::integer [], d::jsonb, v FROM unnest ($1::text [], "
        "$2::text [], $3::text [], $4::text [], $5::text [], $6::text [], $7::text []) AS u (i, c, a, r, k, d, v) "
        "ON CONFLICT DO NOTHING RETURNING id::text, version, ms (created_at), ms (updated_at)", 7, params);
    for (int k = 0; k < 7; k++)
        sn_array_free (&a [k]);
    if (!res)
        return sn_call_code (call);
    for (size_t i = 0; i < n; i++) {
        if (!items [i].go)
            continue;
        Snodo__Registry__Person *p = items [i].in->person;
        int row = 0;
        while (row < PQntuples (res) && !streq (PQgetvalue (res, row, 0), items [i].id))
            row++;
        if (row == PQntuples (res)) {
            sn_call_fail (call, SNODO__CODE__ALREADY_EXISTS, ALREADY, p->codice_fiscale);
            protobuf_c_message_free_unpacked (&items [i].out->status->base, NULL);
            sn_call_item_status (call, &items [i].out->status);
            items [i].go = false;
            continue;
        }
        sn_set_string (&p->id, items [i].id);
        p->version = (uint32_t) atoi (PQgetvalue (res, row, 1));
        p->created_at = atoll (PQgetvalue (res, row, 2));
        p->updated_at = atoll (PQgetvalue (res, row, 3));
    }
    PQclear (res);
    return SNODO__CODE__OK;
}

//  The consent of a new person, as the row says it.
static Snodo__Registry__Consent *
s_consent (const Snodo__Registry__ConsentRequest *c, const char *recorded_by, int64_t granted_at)
{
    Snodo__Registry__Consent *out =
        (Snodo__Registry__Consent *) sn_message_new (&snodo__registry__consent__descriptor);
    out->purpose = c->purpose;
    out->member_kind = c->member_kind;
    out->granted_at = granted_at;
    sn_set_string (&out->recorded_by, recorded_by);
    return out;
}

//  Records the consents of the persons just created, each person's sorted
//  by purpose and kind as a read gives them. Returns OK or the call's failure.
static int
s_insert_consents (sn_call_t *call, s_item_t *items, size_t n)
{
    sn_array_t persons = SN_ARRAY_INIT, purposes = SN_ARRAY_INIT, kinds = SN_ARRAY_INIT;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; items [i].go && c < items [i].in->n_consents; c++) {
            sn_array_text (&persons, items [i].id);
            sn_array_int (&purposes, items [i].in->consents [c]->purpose);
            sn_array_int (&kinds, items [i].in->consents [c]->member_kind);
        }
    if (sn_array_size (&persons) == 0)
        return SNODO__CODE__OK;
    const char *params [4] = {sn_array_end (&persons), sn_array_end (&purposes), sn_array_end (&kinds),
                              sn_call_member_id (call)};
    PGresult *res = sn_call_query (call, "recording the consents",
        "INSERT INTO consent (person_id, purpose, member_kind, recorded_by) "
        "SELECT p::uuid, k, m, $4 FROM unnest ($1::text [], $2::integer [], $3::integer []) AS u (p, k, m) "
        "RETURNING ms (granted_at)", 4, params);
    sn_array_free (&persons);
    sn_array_free (&purposes);
    sn_array_free (&kinds);
    if (!res)
        return sn_call_code (call);
    int64_t granted_at = PQntuples (res) ? atoll (PQgetvalue (res, 0, 0)) : 0;     //  now (): one for all
    PQclear (res);
    for (size_t i = 0; i < n; i++) {
        Snodo__Registry__CreatePersonsItem *in = items [i].in;
        if (!items [i].go || !in->n_consents)
            continue;
        Snodo__Registry__Person *p = in->person;
        p->consents = (Snodo__Registry__Consent **) calloc (in->n_consents, sizeof (void *));
        assert (p->consents);
        for (size_t c = 0; c < in->n_consents; c++) {
            //  in order of purpose, then kind: an insertion sort of a handful
            Snodo__Registry__Consent *k = s_consent (in->consents [c], sn_call_member_id (call), granted_at);
            size_t at = p->n_consents;
            while (at > 0 && (p->consents [at - 1]->purpose > k->purpose
                              || (p->consents [at - 1]->purpose == k->purpose
                                  && p->consents [at - 1]->member_kind > k->member_kind))) {
                p->consents [at] = p->consents [at - 1];
                at--;
            }
            p->consents [at] = k;
            p->n_consents++;
        }
    }
    return SNODO__CODE__OK;
}

//  Each person created: its event, its audit entry, its stored reply, and
//  the person into the item's outcome. Returns OK or the call's failure.
static int
s_created (sn_call_t *call, s_item_t *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!items [i].go)
            continue;
        Snodo__Registry__Person *p = items [i].in->person;
        if (sn_call_event (call, "registry.person.created", p->id, p->id, &p->base))
            return sn_call_code (call);
        sn_call_audit_item (call, p->id, SNODO__CODE__OK, items [i].in->request_id.data);
        sn_call_item_reply (call, SINGLE, items [i].in->request_id.data, items [i].digest, &p->base);
        items [i].out->person = p;
        items [i].in->person = NULL;        //  moved into the output
    }
    return SNODO__CODE__OK;
}

static int
s_create_persons (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    Snodo__Registry__CreatePersonsRequest *req = (Snodo__Registry__CreatePersonsRequest *) input;
    size_t n = req->n_items;
    Snodo__Registry__CreatePersonsReply *reply = (Snodo__Registry__CreatePersonsReply *)
        sn_message_new (&snodo__registry__create_persons_reply__descriptor);
    reply->items = (Snodo__Registry__CreatePersonsOutcome **) calloc (n + 1, sizeof (void *));
    s_item_t *items = (s_item_t *) calloc (n + 1, sizeof (s_item_t));
    assert (reply->items && items);
    for (size_t i = 0; i < n; i++) {
        items [i].in = req->items [i];
        items [i].out = (Snodo__Registry__CreatePersonsOutcome *)
            sn_message_new (&snodo__registry__create_persons_outcome__descriptor);
        reply->items [reply->n_items++] = items [i].out;
    }
    ProtobufCBinaryData *ids = (ProtobufCBinaryData *) calloc (n + 1, sizeof *ids);
    uint8_t (*digests) [SN_ITEM_DIGEST] = (uint8_t (*) [SN_ITEM_DIGEST]) calloc (n + 1, SN_ITEM_DIGEST);
    assert (ids && digests);
    for (size_t i = 0; i < n; i++) {
        ids [i] = items [i].in->request_id;
        //  what a CreatePerson of this person would have sent, before the checks change it
        Snodo__Registry__CreatePersonRequest single = SNODO__REGISTRY__CREATE_PERSON_REQUEST__INIT;
        single.person = items [i].in->person;
        sn_call_item_digest (&single.base, digests [i]);
        items [i].digest = digests [i];
    }
    s_check_items (call, items, n, ids);
    int code = sn_call_item_replies (call, SINGLE, ids, (const uint8_t (*) [SN_ITEM_DIGEST]) digests, n,
                                     &snodo__registry__person__descriptor, s_take_stored, items)
             ? sn_call_code (call) : SNODO__CODE__OK;
    free (ids);
    if (code == SNODO__CODE__OK)
        code = s_insert_persons (call, items, n);
    if (code == SNODO__CODE__OK)
        code = s_insert_consents (call, items, n);
    if (code == SNODO__CODE__OK)
        code = s_created (call, items, n);
    free (digests);
    free (items);
    if (code != SNODO__CODE__OK) {
        protobuf_c_message_free_unpacked (&reply->base, NULL);
        return code;
    }
    *output = &reply->base;
    return SNODO__CODE__OK;
}

//  The bridge and the referring services, as for CreatePerson.
#define CREATING_KINDS (SN_KIND (PROVINCIA) | SN_KIND (CPI) | SN_KIND (ASS) | SN_KIND (SIL) | SN_KIND (DSM) \
                        | SN_KIND (SERT) | SN_KIND (SSC) | SN_KIND (BRIDGE))

const sn_method_t registry_batch_methods [] = {
    SN_METHOD (CreatePersons, s_create_persons, CREATING_KINDS, SN_WRITE | SN_PERSONAL),
    SN_METHODS_END
};
