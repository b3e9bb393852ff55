/*  ReferBatch: many referrals in one request and one transaction. Each item
    is checked as Refer checks its request (the same checks on the call, so
    the same violations and messages), its person read and judged as Refer
    judges it, and its pathway made as Refer makes it; each gets its own
    outcome, and is stored under its own request_id as Refer's reply would
    be: a retry of the item, in a batch or alone, gets it. The persons are
    read in one statement and the pathways written in one. */
#include "monitoring.h"
#include <string.h>

//  The single method an item is stored as.
#define SINGLE "monitoring.Refer"

//  An item while it is served.
typedef struct {
    Snodo__Monitoring__ReferBatchItem *in;          //  the request's
    Snodo__Monitoring__ReferBatchOutcome *out;      //  the reply's
    bool go;                                        //  still to be made
    const uint8_t *digest;                          //  its Refer's (sn_call_item_digest)
    Snodo__Monitoring__Pathway *pathway;            //  the new one, once made
} s_item_t;

//  Takes the call's status into the item's outcome. Returns its code.
static int
s_outcome (sn_call_t *call, s_item_t *item)
{
    if (item->out->status)
        protobuf_c_message_free_unpacked (&item->out->status->base, NULL);
    int code = sn_call_item_status (call, &item->out->status);
    item->go = code == SNODO__CODE__OK;
    return code;
}

//  Each item checked as Refer checks its request before it reads anything.
static void
s_check_items (sn_call_t *call, s_item_t *items, size_t n, const ProtobufCBinaryData *ids, const char *today)
{
    for (size_t i = 0; i < n; i++) {
        Snodo__Monitoring__ReferBatchItem *in = items [i].in;
        sn_call_check_item_id (call, ids, i);
        if (!in->refer)
            sn_call_violation (call, "refer", "is required");
        else
            mon_check_refer (call, in->refer, today);
        if (sn_call_violations (call))
            sn_call_invalid (call);
        s_outcome (call, &items [i]);
    }
}

//  An item stored before (a retry) takes its stored reply, once its own
//  checks passed (sn_item_reply_fn).
static void
s_take_stored (void *arg, size_t i, Snodo__Status *status, ProtobufCMessage *output)
{
    s_item_t *item = &((s_item_t *) arg) [i];
    if (item->go) {
        item->go = false;
        protobuf_c_message_free_unpacked (&item->out->status->base, NULL);
        item->out->status = status;
        item->out->pathway = (Snodo__Monitoring__Pathway *) output;
        return;
    }
    protobuf_c_message_free_unpacked (&status->base, NULL);
    if (output)
        protobuf_c_message_free_unpacked (output, NULL);
}

//  A pathway this batch made for person, or NULL.
static const Snodo__Monitoring__Pathway *
s_made_for (const s_item_t *items, size_t before, const char *person_id)
{
    for (size_t k = 0; k < before; k++)
        if (items [k].pathway && streq (items [k].pathway->person_id, person_id))
            return items [k].pathway;
    return NULL;
}

//  Item i judged as Refer judges it once its person is read (row of res,
//  or -1: not known); its pathway made if it may be.
static void
s_judge (sn_call_t *call, s_item_t *items, size_t i, PGresult *res, int row, const char *today)
{
    Snodo__Monitoring__ReferRequest *req = items [i].in->refer;
    if (row < 0) {
        sn_call_fail (call, SNODO__CODE__FAILED_PRECONDITION, MON_NOT_KNOWN, req->person_id);
        s_outcome (call, &items [i]);
        return;
    }
    mon_referred_person_t person;
    mon_referred_person (res, row, &person);
    const Snodo__Monitoring__Pathway *earlier = s_made_for (items, i, req->person_id);
    if (earlier && !*person.open)
        snprintf (person.open, sizeof person.open, "%s %d", earlier->id, earlier->state);
    const char *referrer = NULL;
    if (mon_refer_allowed (call, req, &person, &referrer) == SNODO__CODE__OK)
        items [i].pathway = mon_referral_new (call, req, referrer, &person, today);
    else      //  a refusal on what was read is audited now; a referral once it is made
        sn_call_audit_item (call, req->person_id, sn_call_code (call), items [i].in->request_id.data);
    s_outcome (call, &items [i]);
}

//  Reads the persons of the items that go, in one statement, and judges
//  each item. Returns OK or the call's failure.
static int
s_read_persons (sn_call_t *call, s_item_t *items, size_t n, const char *today)
{
    sn_array_t ids = SN_ARRAY_INIT;
    for (size_t i = 0; i < n; i++)
        if (items [i].go)
            sn_array_text (&ids, items [i].in->refer->person_id);
    if (sn_array_size (&ids) == 0) {
        sn_array_free (&ids);
        return SNODO__CODE__OK;
    }
    const char *params [1] = {sn_array_end (&ids)};
    PGresult *res = sn_call_query_planned (call, "reading the persons", MON_REFERRED_PERSON_SQL
                                           "WHERE id = ANY ($1::uuid [])", 1, params);
    sn_array_free (&ids);
    if (!res)
        return sn_call_code (call);
    for (size_t i = 0; i < n; i++) {
        if (!items [i].go)
            continue;
        int row = 0;
        const char *person = items [i].in->refer->person_id;
        while (row < PQntuples (res) && strcasecmp (PQgetvalue (res, row, 5), person) != 0)
            row++;
        s_judge (call, items, i, res, row < PQntuples (res) ? row : -1, today);
    }
    PQclear (res);
    return SNODO__CODE__OK;
}

//  Writes the pathways made, in one statement; one whose person has an open
//  pathway by now (a referral alongside) is left out, and refused. Returns
//  OK or the call's failure.
static int
s_insert (sn_call_t *call, s_item_t *items, size_t n)
{
    sn_array_t a [7];
    for (int k = 0; k < 7; k++)
        a [k] = (sn_array_t) SN_ARRAY_INIT;
    for (size_t i = 0; i < n; i++) {
        Snodo__Monitoring__Pathway *p = items [i].pathway;
        if (!p)
            continue;
        char *data = mon_referral_data (p);
        const char *texts [7] = {p->id, p->person_id, NULL, p->referring_member_id, p->ambito, data,
                                 p->referred_via};
        for (int k = 0; k < 7; k++)
            if (k == 2)
                sn_array_int (&a [k], p->kind);
            else
                sn_array_text (&a [k], texts [k]);
        free (data);
    }
    if (sn_array_size (&a [0]) == 0)
        return SNODO__CODE__OK;
    const char *params [7];
    for (int k = 0; k < 7; k++)
        params [k] = sn_array_end (&a [k]);
    PGresult *res = sn_call_query (call, "creating the pathways",
        "INSERT INTO pathway (id, person_id, state, kind, referring_member_id, ambito, data, referred_via) "
        "SELECT i::uuid, p::uuid, 1, k, r, a, d::jsonb, v FROM unnest ($1::text [], $2::text [], "
        "$3::integer [], $4::text [], $5::text [], $6::text [], $7::text []) AS u (i, p, k, r, a, d, v) "
        "ON CONFLICT DO NOTHING RETURNING id::text, version, ms (created_at)", 7, params);
    for (int k = 0; k < 7; k++)
        sn_array_free (&a [k]);
    if (!res)
        return sn_call_code (call);
    for (size_t i = 0; i < n; i++) {
        Snodo__Monitoring__Pathway *p = items [i].pathway;
        int row = 0;
        while (p && row < PQntuples (res) && !streq (PQgetvalue (res, row, 0), p->id))
            row++;
        if (!p)
            continue;
        if (row == PQntuples (res)) {
            sn_call_fail (call, SNODO__CODE__ALREADY_EXISTS,
                          "the person has an open pathway (referred meanwhile)");
            sn_call_audit_item (call, p->person_id, SNODO__CODE__ALREADY_EXISTS,
                                items [i].in->request_id.data);
            s_outcome (call, &items [i]);
            protobuf_c_message_free_unpacked (&p->base, NULL);
            items [i].pathway = NULL;
            continue;
        }
        p->version = (uint32_t) atoi (PQgetvalue (res, row, 1));
        p->created_at = p->updated_at = atoll (PQgetvalue (res, row, 2));
    }
    PQclear (res);
    return SNODO__CODE__OK;
}

//  Each pathway made: its event, its stored reply, and the pathway into the
//  item's outcome. Returns OK or the call's failure.
static int
s_made (sn_call_t *call, s_item_t *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        Snodo__Monitoring__Pathway *p = items [i].pathway;
        if (!p)
            continue;
        if (mon_pathway_event (call, "monitoring.pathway.referred", p))
            return sn_call_code (call);
        sn_call_audit_item (call, p->person_id, SNODO__CODE__OK, items [i].in->request_id.data);
        sn_call_item_reply (call, SINGLE, items [i].in->request_id.data, items [i].digest, &p->base);
        items [i].out->pathway = p;
        items [i].pathway = NULL;
    }
    return SNODO__CODE__OK;
}

static int
s_refer_batch (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    Snodo__Monitoring__ReferBatchRequest *req = (Snodo__Monitoring__ReferBatchRequest *) input;
    size_t n = req->n_items;
    char today [11];
    mon_today (call, today);
    Snodo__Monitoring__ReferBatchReply *reply = (Snodo__Monitoring__ReferBatchReply *)
        sn_message_new (&snodo__monitoring__refer_batch_reply__descriptor);
    reply->items = (Snodo__Monitoring__ReferBatchOutcome **) calloc (n + 1, sizeof (void *));
    s_item_t *items = (s_item_t *) calloc (n + 1, sizeof (s_item_t));
    assert (reply->items && items);
    for (size_t i = 0; i < n; i++) {
        items [i].in = req->items [i];
        items [i].out = (Snodo__Monitoring__ReferBatchOutcome *)
            sn_message_new (&snodo__monitoring__refer_batch_outcome__descriptor);
        reply->items [reply->n_items++] = items [i].out;
    }
    ProtobufCBinaryData *ids = (ProtobufCBinaryData *) calloc (n + 1, sizeof *ids);
    uint8_t (*digests) [SN_ITEM_DIGEST] = (uint8_t (*) [SN_ITEM_DIGEST]) calloc (n + 1, SN_ITEM_DIGEST);
    assert (ids && digests);
    for (size_t i = 0; i < n; i++) {
        ids [i] = items [i].in->request_id;
        //  what a Refer of this item would have sent (none when it has none: refused anyway)
        if (items [i].in->refer)
            sn_call_item_digest (&items [i].in->refer->base, digests [i]);
        items [i].digest = digests [i];
    }
    s_check_items (call, items, n, ids, today);
    int code = sn_call_item_replies (call, SINGLE, ids, (const uint8_t (*) [SN_ITEM_DIGEST]) digests, n,
                                     &snodo__monitoring__pathway__descriptor, s_take_stored, items)
             ? sn_call_code (call) : SNODO__CODE__OK;
    free (ids);
    if (code == SNODO__CODE__OK)
        code = s_read_persons (call, items, n, today);
    if (code == SNODO__CODE__OK)
        code = s_insert (call, items, n);
    if (code == SNODO__CODE__OK)
        code = s_made (call, items, n);
    for (size_t i = 0; i < n; i++)
        if (items [i].pathway)
            protobuf_c_message_free_unpacked (&items [i].pathway->base, NULL);
    free (digests);
    free (items);
    if (code != SNODO__CODE__OK) {
        protobuf_c_message_free_unpacked (&reply->base, NULL);
        return code;
    }
    *output = &reply->base;
    return SNODO__CODE__OK;
}

//  Who may refer, as for Refer.
#define REFERRING_KINDS (SN_KIND (PROVINCIA) | SN_KIND (CPI) | SN_KIND (ASS) | SN_KIND (SIL) | SN_KIND (DSM) \
                         | SN_KIND (SERT) | SN_KIND (SSC) | SN_KIND (ADMIN) | SN_KIND (BRIDGE))

const sn_method_t mon_batch_methods [] = {
    SN_METHOD (ReferBatch, s_refer_batch, REFERRING_KINDS, SN_WRITE | SN_PERSONAL),
    SN_METHODS_END
};
