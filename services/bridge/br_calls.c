/*  br_calls: a record as requests to the registry and monitoring. See br_calls.h. */
#include "br_calls.h"
#include "sn_log.h"
#include "monitoring.pb-c.h"
#include "registry.pb-c.h"
#include "sn_check.h"
#include <sodium.h>
#include <string.h>

#define PURPOSE "placement"
//  How long a referral waits for the monitoring service to hear of the
//  person the registry just created (its event is usually milliseconds away).
#define NOT_KNOWN_MS 30000
//  A fault of a service (INTERNAL) is tried this many times, then the record
//  is rejected with it: one bad record must not hold the file forever.
#define INTERNAL_TRIES 5

struct _br_caller_t {
    char *self_id;              //  the bridge's member id
    sn_client_t *registry;      //  as the bridge
    sn_client_t *monitoring;
};

br_caller_t *
br_caller_new (const char *self_id, zcert_t *cert, const sn_peer_t *registry, const sn_peer_t *monitoring)
{
    sn_client_t *reg = sn_client_new (registry->request, cert, registry->public_key);
    sn_client_t *mon = sn_client_new (monitoring->request, cert, monitoring->public_key);
    if (!reg || !mon) {
        sn_client_destroy (&reg);
        sn_client_destroy (&mon);
        return NULL;
    }
    br_caller_t *self = (br_caller_t *) zmalloc (sizeof (br_caller_t));
    self->self_id = strdup (self_id);
    self->registry = reg;
    self->monitoring = mon;
    return self;
}

void
br_caller_destroy (br_caller_t **self_p)
{
    br_caller_t *self = *self_p;
    if (!self)
        return;
    sn_client_destroy (&self->registry);
    sn_client_destroy (&self->monitoring);
    free (self->self_id);
    free (self);
    *self_p = NULL;
}

void
br_request_id (const br_record_t *record, const char *step, uint8_t id [16])
{
    char key [96];
    br_record_key (record, key);
    crypto_hash_sha256_state sha;
    crypto_hash_sha256_init (&sha);
    crypto_hash_sha256_update (&sha, (const uint8_t *) "snodo.bridge.1", 15);
    crypto_hash_sha256_update (&sha, (const uint8_t *) key, strlen (key) + 1);
    crypto_hash_sha256_update (&sha, record->content, sizeof record->content);
    crypto_hash_sha256_update (&sha, (const uint8_t *) step, strlen (step) + 1);
    uint8_t digest [32];
    crypto_hash_sha256_final (&sha, digest);
    memcpy (id, digest, 16);
}

//  True for an answer that may change if the same request comes again later.
static bool
s_transient (int code, const sn_result_t *result, int *internal, int64_t known_until)
{
    if (code == SNODO__CODE__UNAVAILABLE || code == SNODO__CODE__DEADLINE_EXCEEDED
    ||  code == SNODO__CODE__ABORTED || code == SNODO__CODE__UNAUTHENTICATED
    ||  code == SNODO__CODE__CANCELLED || code == SNODO__CODE__UNKNOWN
    ||  code == SNODO__CODE__UNIMPLEMENTED)
        return true;
    if (code == SNODO__CODE__INTERNAL)
        return ++*internal < INTERNAL_TRIES;
    return code == SNODO__CODE__FAILED_PRECONDITION && strstr (result->message, "is not known here")
        && zclock_mono () < known_until;
}

//  Sleeps ms, in steps, unless stop is set. Returns true if stopped.
static bool
s_pause (int ms, const atomic_bool *stop)
{
    for (int slept = 0; slept < ms && !atomic_load (stop); slept += 50)
        zclock_sleep (50);
    return atomic_load (stop);
}

//  Calls method until its answer is final: OK or a refusal. id NULL for a
//  read (any id does). Returns the code, or -1 when stopped.
static int
s_call (sn_client_t *client, const uint8_t *id, const char *method, const ProtobufCMessage *input,
        const ProtobufCMessageDescriptor *out_desc, ProtobufCMessage **output, sn_result_t *result,
        int known_ms, const atomic_bool *stop)
{
    int delay = 10, internal = 0;
    int64_t known_until = zclock_mono () + known_ms;
    while (!atomic_load (stop)) {
        int code = id ? sn_client_call_id (client, id, method, PURPOSE, input, out_desc, output, result)
                      : sn_client_call (client, method, PURPOSE, input, out_desc, output, result);
        if (code == SNODO__CODE__OK || !s_transient (code, result, &internal, known_until))
            return code;
        if (code != SNODO__CODE__FAILED_PRECONDITION)
            sn_warning ("bridge: %s: %s: %s; trying again in %d ms", method, sn_code_name (code),
                          result->message, delay);
        if (s_pause (delay, stop))
            break;
        int most = code == SNODO__CODE__FAILED_PRECONDITION ? 200 : 5000;
        delay = delay * 2 > most ? most : delay * 2;
    }
    return -1;
}

//  The item is rejected with the service's answer.
static void
s_refused (br_item_t *item, const char *method, int code, const sn_result_t *result)
{
    int n = snprintf (item->reason, sizeof item->reason, "%s: %s: %s", method, sn_code_name (code),
                      result->message);
    for (size_t i = 0; result->n_violations > 1 && i < result->n_violations && i < 16; i++)
        if (n > 0 && (size_t) n < sizeof item->reason)
            n += snprintf (item->reason + n, sizeof item->reason - (size_t) n, "; %s: %s", result->fields [i],
                           result->descriptions [i]);
    item->outcome = BR_REJECTED;
}

//  A person the bridge referred before, by codice fiscale: its id into item.
//  Returns OK, another code, or -1 when stopped.
static int
s_find_own (br_caller_t *self, br_item_t *item, const atomic_bool *stop)
{
    Snodo__Registry__FindPersonRequest find = SNODO__REGISTRY__FIND_PERSON_REQUEST__INIT;
    find.codice_fiscale = item->record.codice_fiscale;
    Snodo__Registry__Person *found = NULL;
    sn_result_t result;
    int code = s_call (self->registry, NULL, "registry.FindPerson", &find.base,
                       &snodo__registry__person__descriptor, (ProtobufCMessage **) &found, &result, 0, stop);
    if (code == SNODO__CODE__OK) {
        if (streq (found->referred_via, self->self_id))
            snprintf (item->person_id, sizeof item->person_id, "%s", found->id);
        else
            code = SNODO__CODE__ALREADY_EXISTS;
        protobuf_c_message_free_unpacked (&found->base, NULL);
    }
    return code;
}

//  registry.CreatePerson for the SSC of the ambito; a person the bridge
//  referred before is found instead. Returns OK (person_id set), a refusal
//  (the item rejected), or -1 when stopped.
//  The person of a referral, for the SSC of its ambito (strings borrowed
//  from item; categories: BR_MAX_CATEGORIES of room).
static void
s_person (br_item_t *item, Snodo__Registry__Person *person, Snodo__Registry__Category *categories)
{
    br_record_t *r = &item->record;
    snodo__registry__person__init (person);
    person->codice_fiscale = r->codice_fiscale;
    person->surname = r->surname;
    person->name = r->name;
    person->birth_date = r->birth_date;
    person->sex = streq (r->sex, "F") ? SNODO__REGISTRY__SEX__SEX_F
                : streq (r->sex, "M") ? SNODO__REGISTRY__SEX__SEX_M : SNODO__REGISTRY__SEX__SEX_UNSPECIFIED;
    person->municipality = r->municipality;
    person->address = r->address;
    person->phone = r->phone;
    person->email = r->email;
    person->ambito = r->ambito;
    person->referring_member_id = item->ssc;
    for (size_t i = 0; i < r->n_categories; i++)
        categories [i] = (Snodo__Registry__Category) r->categories [i];
    person->categories = categories;
    person->n_categories = r->n_categories;
}

static int
s_create_person (br_caller_t *self, br_item_t *item, const atomic_bool *stop)
{
    br_record_t *r = &item->record;
    Snodo__Registry__Person person;
    Snodo__Registry__Category categories [BR_MAX_CATEGORIES];
    s_person (item, &person, categories);
    Snodo__Registry__CreatePersonRequest create = SNODO__REGISTRY__CREATE_PERSON_REQUEST__INIT;
    create.person = &person;
    uint8_t id [16];
    br_request_id (r, "person", id);
    Snodo__Registry__Person *made = NULL;
    sn_result_t result;
    int code = s_call (self->registry, id, "registry.CreatePerson", &create.base,
                       &snodo__registry__person__descriptor, (ProtobufCMessage **) &made, &result, 0, stop);
    if (code == SNODO__CODE__OK) {
        snprintf (item->person_id, sizeof item->person_id, "%s", made->id);
        protobuf_c_message_free_unpacked (&made->base, NULL);
    }
    else
    if (code == SNODO__CODE__ALREADY_EXISTS) {
        int found = s_find_own (self, item, stop);
        if (found < 0)
            return -1;
        if (found == SNODO__CODE__OK)
            return SNODO__CODE__OK;
    }
    if (code > 0)
        s_refused (item, "registry.CreatePerson", code, &result);
    return code;
}

//  registry.GrantConsent or RevokeConsent for each of the record's grants.
//  Returns OK, a refusal (the item rejected), or -1 when stopped.
static int
s_consents (br_caller_t *self, br_item_t *item, bool grant, const atomic_bool *stop)
{
    const br_record_t *r = &item->record;
    const char *method = grant ? "registry.GrantConsent" : "registry.RevokeConsent";
    for (size_t i = 0; i < r->n_grants; i++) {
        Snodo__Registry__ConsentRequest consent = SNODO__REGISTRY__CONSENT_REQUEST__INIT;
        consent.person_id = item->person_id;
        consent.purpose = (Snodo__Purpose) r->grants [i].purpose;
        consent.member_kind = (Snodo__MemberKind) r->grants [i].kind;
        char step [32];
        snprintf (step, sizeof step, "%s.%zu", grant ? "consent" : "revoke", i);
        uint8_t id [16];
        br_request_id (r, step, id);
        sn_result_t result;
        int code = s_call (self->registry, id, method, &consent.base, &snodo__registry__person__descriptor,
                           NULL, &result, 0, stop);
        if (code > 0)
            s_refused (item, method, code, &result);
        if (code != SNODO__CODE__OK)
            return code;
    }
    return SNODO__CODE__OK;
}

//  monitoring.Refer: the pathway, in REFERRED. Returns OK (pathway_id
//  set), a refusal, or -1 when stopped.
//  A referral's Refer (strings borrowed from item; reason: 2100 bytes).
static void
s_refer_request (br_item_t *item, Snodo__Monitoring__ReferRequest *refer,
                 Snodo__Monitoring__PresentationForm *form, char *reason)
{
    br_record_t *r = &item->record;
    snprintf (reason, 2100, "Obiettivo %d (seed 004): %s", r->objective, r->reason);
    snodo__monitoring__presentation_form__init (form);
    form->referral_reason = reason;
    form->contact_person = r->social_worker;
    snodo__monitoring__refer_request__init (refer);
    refer->person_id = item->person_id;
    refer->kind = (Snodo__Monitoring__PathwayKind) r->pathway_kind;
    refer->referred_on = r->date;
    refer->presentation = form;
}

static int
s_refer (br_caller_t *self, br_item_t *item, const atomic_bool *stop)
{
    br_record_t *r = &item->record;
    char reason [2100];
    Snodo__Monitoring__PresentationForm form;
    Snodo__Monitoring__ReferRequest refer;
    s_refer_request (item, &refer, &form, reason);
    uint8_t id [16];
    br_request_id (r, "refer", id);
    Snodo__Monitoring__Pathway *pathway = NULL;
    sn_result_t result;
    int code = s_call (self->monitoring, id, "monitoring.Refer", &refer.base,
                       &snodo__monitoring__pathway__descriptor, (ProtobufCMessage **) &pathway, &result,
                       NOT_KNOWN_MS, stop);
    if (code == SNODO__CODE__OK) {
        snprintf (item->pathway_id, sizeof item->pathway_id, "%s", pathway->id);
        protobuf_c_message_free_unpacked (&pathway->base, NULL);
    }
    else
    if (code > 0)
        s_refused (item, "monitoring.Refer", code, &result);
    return code;
}

//  New contact data: the person as the registry has it, with the record's
//  fields given. Returns OK, a refusal, or -1 when stopped.
static int
s_contact (br_caller_t *self, br_item_t *item, const atomic_bool *stop)
{
    br_record_t *r = &item->record;
    Snodo__Registry__GetPersonRequest get = SNODO__REGISTRY__GET_PERSON_REQUEST__INIT;
    get.id = item->person_id;
    Snodo__Registry__Person *person = NULL;
    sn_result_t result;
    int code = s_call (self->registry, NULL, "registry.GetPerson", &get.base,
                       &snodo__registry__person__descriptor, (ProtobufCMessage **) &person, &result, 0, stop);
    if (code != SNODO__CODE__OK) {
        if (code > 0)
            s_refused (item, "registry.GetPerson", code, &result);
        return code;
    }
    if (*r->municipality)
        sn_set_string (&person->municipality, r->municipality);
    if (*r->address)
        sn_set_string (&person->address, r->address);
    if (*r->phone)
        sn_set_string (&person->phone, r->phone);
    if (*r->email)
        sn_set_string (&person->email, r->email);
    Snodo__Registry__UpdatePersonRequest update = SNODO__REGISTRY__UPDATE_PERSON_REQUEST__INIT;
    update.person = person;
    update.expected_version = person->version;
    uint8_t id [16];
    br_request_id (r, "contact", id);
    code = s_call (self->registry, id, "registry.UpdatePerson", &update.base,
                   &snodo__registry__person__descriptor, NULL, &result, 0, stop);
    if (code > 0 && code != SNODO__CODE__OK)
        s_refused (item, "registry.UpdatePerson", code, &result);
    protobuf_c_message_free_unpacked (&person->base, NULL);
    return code;
}

//  The referral withdrawn: monitoring.Close as INTERRUPTED. Returns OK, a
//  refusal, or -1 when stopped.
static int
s_withdraw (br_caller_t *self, br_item_t *item, const atomic_bool *stop)
{
    br_record_t *r = &item->record;
    char note [160];
    snprintf (note, sizeof note, "withdrawn by the social services (cartella sociale, %.80s)", r->id);
    Snodo__Monitoring__Outcome outcome = SNODO__MONITORING__OUTCOME__INIT;
    outcome.kind = SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_INTERRUPTED;
    outcome.reason = r->reason;
    Snodo__Monitoring__TransitionRequest close = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    close.pathway_id = item->pathway_id;
    close.date = r->date;
    close.note = note;
    close.outcome = &outcome;
    uint8_t id [16];
    br_request_id (r, "withdraw", id);
    sn_result_t result;
    int code = s_call (self->monitoring, id, "monitoring.Close", &close.base,
                       &snodo__monitoring__pathway__descriptor, NULL, &result, 0, stop);
    if (code > 0 && code != SNODO__CODE__OK)
        s_refused (item, "monitoring.Close", code, &result);
    return code;
}

int
br_caller_apply (br_caller_t *self, br_item_t *item, int phase, const atomic_bool *stop)
{
    assert (item->outcome == BR_PENDING && (phase == 1 || phase == 2));
    const br_record_t *r = &item->record;
    bool referral = r->kind == BR_RECORD_REFERRAL, withdrawal = r->update == BR_UPDATE_WITHDRAWN;
    int code = SNODO__CODE__OK;
    if (phase == 1 && referral) {
        code = s_create_person (self, item, stop);
        if (code == SNODO__CODE__OK)
            code = s_consents (self, item, true, stop);
        item->registered = code == SNODO__CODE__OK;
    }
    else
    if (phase == 1 && r->update == BR_UPDATE_CONTACT)
        code = s_contact (self, item, stop);
    else
    if (phase == 1 && r->update == BR_UPDATE_CONSENT_REVOKED)
        code = s_consents (self, item, false, stop);
    else
    if (phase == 2 && referral && item->registered)
        code = s_refer (self, item, stop);
    else
    if (phase == 2 && withdrawal)
        code = s_withdraw (self, item, stop);
    else
        return 0;       //  nothing of this record in this phase
    if (code < 0) {
        item->outcome = BR_PENDING;
        return -1;
    }
    bool more = phase == 1 && (referral || withdrawal);
    if (code == SNODO__CODE__OK && !more)
        item->outcome = BR_ACCEPTED;
    return 0;
}

//  --- batches: many records' requests in one ------------------------------------------------

void
br_batch_id (const uint8_t digest [32], const char *method, int attempt, const ProtobufCBinaryData *ids,
             size_t n, uint8_t id [16])
{
    char round [16];
    snprintf (round, sizeof round, "%d", attempt);
    crypto_hash_sha256_state sha;
    crypto_hash_sha256_init (&sha);
    crypto_hash_sha256_update (&sha, (const uint8_t *) "snodo.bridge.batch.1", 21);
    crypto_hash_sha256_update (&sha, digest, 32);
    crypto_hash_sha256_update (&sha, (const uint8_t *) method, strlen (method) + 1);
    crypto_hash_sha256_update (&sha, (const uint8_t *) round, strlen (round) + 1);
    for (size_t i = 0; i < n; i++)
        crypto_hash_sha256_update (&sha, ids [i].data, ids [i].len);
    uint8_t out [32];
    crypto_hash_sha256_final (&sha, out);
    memcpy (id, out, 16);
}

//  The item is rejected with an item's status from a batch (as method's answer).
static void
s_refused_item (br_item_t *item, const char *method, const Snodo__Status *status)
{
    sn_result_t result;
    sn_result_from_status (&result, status);
    if (!status)
        snprintf (result.message, sizeof result.message, "no outcome");
    s_refused (item, method, result.code, &result);
}

//  True if the person has every consent the referral gives, in force.
static bool
s_has_grants (const br_item_t *item, const Snodo__Registry__Person *person)
{
    const br_record_t *r = &item->record;
    for (size_t g = 0; g < r->n_grants; g++) {
        bool found = false;
        for (size_t c = 0; c < person->n_consents && !found; c++) {
            const Snodo__Registry__Consent *k = person->consents [c];
            found = (int) k->purpose == r->grants [g].purpose && (int) k->member_kind == r->grants [g].kind
                 && !k->revoked_at;
        }
        if (!found)
            return false;
    }
    return true;
}

//  One item's outcome of CreatePersons: the person registered (its
//  consents granted alone if it came without them: stored by an older
//  CreatePerson), found if the bridge referred it before, or refused.
//  Returns 0, or -1 when stopped.
static int
s_person_outcome (br_caller_t *self, br_item_t *item, const Snodo__Registry__CreatePersonsOutcome *out,
                  const atomic_bool *stop)
{
    int code = out && out->status ? (int) out->status->code : SNODO__CODE__UNKNOWN;
    if (code == SNODO__CODE__OK && out->person) {
        snprintf (item->person_id, sizeof item->person_id, "%s", out->person->id);
        if (!s_has_grants (item, out->person))
            code = s_consents (self, item, true, stop);
    }
    else
    if (code == SNODO__CODE__ALREADY_EXISTS) {
        code = s_find_own (self, item, stop);
        if (code == SNODO__CODE__OK)
            code = s_consents (self, item, true, stop);
        else
        if (code > 0)
            s_refused_item (item, "registry.CreatePerson", out->status);
    }
    else {
        s_refused_item (item, "registry.CreatePerson", out ? out->status : NULL);
        return 0;
    }
    if (code < 0)
        return -1;
    item->registered = code == SNODO__CODE__OK;
    return 0;
}

//  A referral's item of CreatePersons (strings borrowed from item; the
//  arrays must outlive the request).
static void
s_persons_item (br_item_t *item, Snodo__Registry__CreatePersonsItem *in, Snodo__Registry__Person *person,
                Snodo__Registry__Category *categories, Snodo__Registry__ConsentRequest *grants,
                Snodo__Registry__ConsentRequest **grant_ptrs, uint8_t *id)
{
    const br_record_t *r = &item->record;
    snodo__registry__create_persons_item__init (in);
    br_request_id (r, "person", id);
    in->request_id.data = id;
    in->request_id.len = 16;
    s_person (item, person, categories);
    in->person = person;
    for (size_t g = 0; g < r->n_grants; g++) {
        snodo__registry__consent_request__init (&grants [g]);
        grants [g].purpose = (Snodo__Purpose) r->grants [g].purpose;
        grants [g].member_kind = (Snodo__MemberKind) r->grants [g].kind;
        grant_ptrs [g] = &grants [g];
    }
    in->consents = grant_ptrs;
    in->n_consents = r->n_grants;
}

//  The room the items of one batch request take.
typedef struct {
    Snodo__Registry__CreatePersonsItem person_item;
    Snodo__Registry__Person person;
    Snodo__Registry__Category categories [BR_MAX_CATEGORIES];
    Snodo__Registry__ConsentRequest grants [BR_MAX_GRANTS];
    Snodo__Registry__ConsentRequest *grant_ptrs [BR_MAX_GRANTS];
    Snodo__Monitoring__ReferBatchItem refer_item;
    Snodo__Monitoring__ReferRequest refer;
    Snodo__Monitoring__PresentationForm form;
    char reason [2100];
    uint8_t id [16];
} s_room_t;

//  Sends a batch request (its n items' request_ids ids) under the batch's
//  own request_id (br_batch_id) until its answer is final. A batch refused
//  whole, or answered with another count of items, is logged: its records
//  go one by one. Returns the code, OK only with *reply of n items, or -1
//  when stopped.
static int
s_batch_call (sn_client_t *client, const char *method, const ProtobufCMessage *req, const ProtobufCBinaryData *ids,
              size_t n, const uint8_t digest [32], int attempt, const ProtobufCMessageDescriptor *reply_desc,
              ProtobufCMessage **reply, const atomic_bool *stop)
{
    uint8_t id [16];
    br_batch_id (digest, method, attempt, ids, n, id);
    sn_result_t result;
    int code = s_call (client, id, method, req, reply_desc, reply, &result, 0, stop);
    //  every batch reply's first field is its repeated outcomes
    assert (reply_desc->fields [0].label == PROTOBUF_C_LABEL_REPEATED);
    size_t answered = code == SNODO__CODE__OK ? *(const size_t *) ((const char *) *reply
                                                + reply_desc->fields [0].quantifier_offset) : n;
    if (code == SNODO__CODE__OK && answered != n) {
        snprintf (result.message, sizeof result.message, "%zu outcomes for %zu items", answered, n);
        code = SNODO__CODE__INTERNAL;
    }
    if (code > 0 && code != SNODO__CODE__OK)
        sn_warning ("bridge: %s: %s: %s; the %zu records one by one", method, sn_code_name (code),
                      result.message, n);
    return code;
}

int
br_caller_create_persons (br_caller_t *self, br_item_t **items, size_t n, const uint8_t digest [32],
                          const atomic_bool *stop)
{
    s_room_t *room = (s_room_t *) calloc (n ? n : 1, sizeof (s_room_t));
    Snodo__Registry__CreatePersonsItem **in =
        (Snodo__Registry__CreatePersonsItem **) calloc (n ? n : 1, sizeof (void *));
    ProtobufCBinaryData *ids = (ProtobufCBinaryData *) calloc (n ? n : 1, sizeof *ids);
    assert (room && in && ids);
    for (size_t i = 0; i < n; i++) {
        s_room_t *r = &room [i];
        s_persons_item (items [i], &r->person_item, &r->person, r->categories, r->grants, r->grant_ptrs, r->id);
        in [i] = &room [i].person_item;
        ids [i] = in [i]->request_id;
    }
    Snodo__Registry__CreatePersonsRequest req = SNODO__REGISTRY__CREATE_PERSONS_REQUEST__INIT;
    req.items = in;
    req.n_items = n;
    Snodo__Registry__CreatePersonsReply *reply = NULL;
    int code = s_batch_call (self->registry, "registry.CreatePersons", &req.base, ids, n, digest, 0,
                             &snodo__registry__create_persons_reply__descriptor, (ProtobufCMessage **) &reply, stop);
    int rc = code < 0 ? -1 : 0;
    for (size_t i = 0; code == SNODO__CODE__OK && i < n && rc == 0; i++)
        rc = s_person_outcome (self, items [i], reply->items [i], stop);
    //  a batch refused whole: each record alone, as before batches
    for (size_t i = 0; code > 0 && code != SNODO__CODE__OK && i < n && rc == 0; i++)
        rc = br_caller_apply (self, items [i], 1, stop);
    if (reply)
        protobuf_c_message_free_unpacked (&reply->base, NULL);
    free (room);
    free (in);
    free (ids);
    return rc;
}

//  Sends one ReferBatch of the n items (attempt: its round) and takes each
//  outcome; an item whose person monitoring has not heard of yet stays
//  pending while known_until lasts. Returns the items still pending, or -1
//  when stopped; -2 when the batch was refused whole.
static int
s_refer_round (br_caller_t *self, br_item_t **items, size_t n, const uint8_t digest [32], int attempt,
               int64_t known_until, const atomic_bool *stop)
{
    s_room_t *room = (s_room_t *) calloc (n, sizeof (s_room_t));
    Snodo__Monitoring__ReferBatchItem **in =
        (Snodo__Monitoring__ReferBatchItem **) calloc (n, sizeof (void *));
    ProtobufCBinaryData *ids = (ProtobufCBinaryData *) calloc (n, sizeof *ids);
    assert (room && in && ids);
    for (size_t i = 0; i < n; i++) {
        snodo__monitoring__refer_batch_item__init (&room [i].refer_item);
        br_request_id (&items [i]->record, "refer", room [i].id);
        room [i].refer_item.request_id.data = room [i].id;
        room [i].refer_item.request_id.len = 16;
        s_refer_request (items [i], &room [i].refer, &room [i].form, room [i].reason);
        room [i].refer_item.refer = &room [i].refer;
        in [i] = &room [i].refer_item;
        ids [i] = in [i]->request_id;
    }
    Snodo__Monitoring__ReferBatchRequest req = SNODO__MONITORING__REFER_BATCH_REQUEST__INIT;
    req.items = in;
    req.n_items = n;
    Snodo__Monitoring__ReferBatchReply *reply = NULL;
    int code = s_batch_call (self->monitoring, "monitoring.ReferBatch", &req.base, ids, n, digest, attempt,
                             &snodo__monitoring__refer_batch_reply__descriptor, (ProtobufCMessage **) &reply, stop);
    int pending = code < 0 ? -1 : code != SNODO__CODE__OK ? -2 : 0;
    for (size_t i = 0; pending >= 0 && i < n; i++) {
        const Snodo__Monitoring__ReferBatchOutcome *out = reply->items [i];
        int item_code = out->status ? (int) out->status->code : SNODO__CODE__UNKNOWN;
        if (item_code == SNODO__CODE__OK && out->pathway) {
            snprintf (items [i]->pathway_id, sizeof items [i]->pathway_id, "%s", out->pathway->id);
            items [i]->outcome = BR_ACCEPTED;
        }
        else
        if (item_code == SNODO__CODE__FAILED_PRECONDITION
        &&  strstr (out->status->message, "is not known here") && zclock_mono () < known_until)
            pending++;
        else
            s_refused_item (items [i], "monitoring.Refer", out->status);
    }
    if (reply)
        protobuf_c_message_free_unpacked (&reply->base, NULL);
    free (room);
    free (in);
    free (ids);
    return pending;
}

int
br_caller_refer (br_caller_t *self, br_item_t **items, size_t n, const uint8_t digest [32],
                 const atomic_bool *stop)
{
    int64_t known_until = zclock_mono () + NOT_KNOWN_MS;
    int delay = 10;
    br_item_t **pending = (br_item_t **) malloc ((n ? n : 1) * sizeof (br_item_t *));
    assert (pending);
    memcpy (pending, items, n * sizeof (br_item_t *));
    int rc = 0;
    for (int attempt = 0; n > 0 && rc == 0; attempt++) {
        int left = s_refer_round (self, pending, n, digest, attempt, known_until, stop);
        if (left == -2)
            for (size_t i = 0; i < n && rc == 0; i++)
                rc = br_caller_apply (self, pending [i], 2, stop);
        if (left < 0)
            rc = left == -1 ? -1 : rc;
        if (left <= 0)
            break;
        size_t kept = 0;
        for (size_t i = 0; i < n; i++)
            if (pending [i]->outcome == BR_PENDING)
                pending [kept++] = pending [i];
        n = kept;
        if (s_pause (delay, stop))
            rc = -1;
        delay = delay * 2 > 200 ? 200 : delay * 2;
    }
    free (pending);
    return rc;
}
