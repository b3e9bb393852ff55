/*  br_calls: a record as requests to the registry and monitoring. See br_calls.h. */
#include "br_calls.h"
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
            zsys_warning ("bridge: %s: %s: %s; trying again in %d ms", method, sn_code_name (code),
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
static int
s_create_person (br_caller_t *self, br_item_t *item, const atomic_bool *stop)
{
    br_record_t *r = &item->record;
    Snodo__Registry__Person person = SNODO__REGISTRY__PERSON__INIT;
    person.codice_fiscale = r->codice_fiscale;
    person.surname = r->surname;
    person.name = r->name;
    person.birth_date = r->birth_date;
    person.sex = streq (r->sex, "F") ? SNODO__REGISTRY__SEX__SEX_F
               : streq (r->sex, "M") ? SNODO__REGISTRY__SEX__SEX_M : SNODO__REGISTRY__SEX__SEX_UNSPECIFIED;
    person.municipality = r->municipality;
    person.address = r->address;
    person.phone = r->phone;
    person.email = r->email;
    person.ambito = r->ambito;
    person.referring_member_id = item->ssc;
    Snodo__Registry__Category categories [BR_MAX_CATEGORIES];
    for (size_t i = 0; i < r->n_categories; i++)
        categories [i] = (Snodo__Registry__Category) r->categories [i];
    person.categories = categories;
    person.n_categories = r->n_categories;
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
static int
s_refer (br_caller_t *self, br_item_t *item, const atomic_bool *stop)
{
    br_record_t *r = &item->record;
    char reason [2100];
    snprintf (reason, sizeof reason, "Obiettivo %d (seed 004): %s", r->objective, r->reason);
    Snodo__Monitoring__PresentationForm form = SNODO__MONITORING__PRESENTATION_FORM__INIT;
    form.referral_reason = reason;
    form.contact_person = r->social_worker;
    Snodo__Monitoring__ReferRequest refer = SNODO__MONITORING__REFER_REQUEST__INIT;
    refer.person_id = item->person_id;
    refer.kind = (Snodo__Monitoring__PathwayKind) r->pathway_kind;
    refer.referred_on = r->date;
    refer.presentation = &form;
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
