/*  The registry service: members (the directory), persons with consents and
    profiles, companies, cooperatives, job posts. */
#ifndef REGISTRY_H_INCLUDED
#define REGISTRY_H_INCLUDED

#include "registry.pb-c.h"
#include "sn_check.h"
#include "sn_json.h"
#include "sn_server.h"
#include "sn_validate.h"
#include <json-c/json.h>

typedef struct _registry_t registry_t;

//  The member kinds that refer persons, and those that may read them (each
//  one only the persons it may see).
#define REGISTRY_REFERRING_KINDS (SN_KIND (PROVINCIA) | SN_KIND (CPI) | SN_KIND (ASS) | SN_KIND (SIL) \
                         | SN_KIND (DSM) | SN_KIND (SERT) | SN_KIND (SSC))
#define REGISTRY_READING_KINDS (REGISTRY_REFERRING_KINDS | SN_KIND (COOPERATIVA) | SN_KIND (REGIONE) \
                         | SN_KIND (SERVICE) | SN_KIND (AZIENDA) | SN_KIND (BRIDGE))

//  The registry's own member id: it lists itself in the directory.
#define REGISTRY_MEMBER_ID "registry"

//  Creates the registry's state. auth is borrowed: the registry keeps it in
//  step with its members. admin_id/admin_key: the bootstrap operator (may be NULL).
//  own_key: the registry's own public key: it lists itself as the member
//  REGISTRY_MEMBER_ID (may be NULL: not listed).
registry_t *registry_new (sn_auth_t *auth, const char *admin_id, const char *admin_key, const char *own_key);
void registry_destroy (registry_t **self_p);

//  For the other services (library registry_access): keeps their
//  person_access from the registry's registry.person.* events (an
//  sn_apply_fn; other events are left alone). Returns 0 or -1.
int registry_access_apply (PGconn *db, const Snodo__Event *event, void *arg);

//  The service description for sn_server_new; state points to self.
sn_service_t registry_service (registry_t *self);

extern const sn_migration_t registry_migrations [];

//  --- inside the registry --------------------------------------------------

extern const sn_method_t registry_member_methods [];
extern const sn_method_t registry_person_methods [];
extern const sn_method_t registry_org_methods [];

//  True if s is a known ambito code.
bool registry_ambito_known (registry_t *self, const char *code);
sn_auth_t *registry_auth (registry_t *self);

//  Checks shared by handlers: each records violations on the call.
void reg_check_ambito (sn_call_t *call, const char *field, const char *ambito, bool required);
void reg_check_coords (sn_call_t *call, const char *prefix, double latitude, double longitude);
void reg_check_ateco (sn_call_t *call, const char *field, const char *code, bool required);

//  A MELBA profile: 29 scores, each 0 (not assessed or not required) to 5.
#define REG_SCORE_MAX 5
static inline void
reg_check_profile (sn_call_t *call, const char *field, const Snodo__Registry__Profile *profile, bool required)
{
    sn_check_scores (call, field, (const ProtobufCMessage *) profile, REG_SCORE_MAX, required);
}

//  What CreatePerson checks of a new person (registry_persons.c): the
//  fields the registry sets left empty, who may refer for whom (the bridge
//  for the SSC of the person's ambito), every field; fills birth date and
//  sex from the codice fiscale, keeps each category once. Records
//  violations on the call.
void reg_check_new_person (sn_call_t *call, Snodo__Registry__Person *p);

//  What GrantConsent and RevokeConsent check of a consent's purpose and
//  member kind; prefix goes before the fields' names ("consents[0].").
void reg_check_consent (sn_call_t *call, const char *prefix, int purpose, int member_kind);

//  A person's data column (its JSON without what the columns keep), and its
//  categories as an array literal. Caller frees both.
char *reg_person_storage_json (const Snodo__Registry__Person *p);
char *reg_person_categories (const Snodo__Registry__Person *p);

extern const sn_method_t registry_batch_methods [];
extern const sn_method_t registry_outcome_methods [];

//  Reads the person id the caller may see (registry_persons.c), for_update
//  locking the row; audited. NULL with the status set (INVALID_ARGUMENT on
//  person_id, NOT_FOUND, PERMISSION_DENIED) otherwise. Caller frees.
Snodo__Registry__Person *reg_person_load (sn_call_t *call, const char *id, bool for_update);
//  Saves a changed person (version + 1), emits event with it and sets
//  *output to it as stored (a new message; p stays the caller's). Returns a code.
int reg_person_update (sn_call_t *call, Snodo__Registry__Person *p, const char *event, ProtobufCMessage **output);

//  Whether a person counts under law 68/1999 in the registry's reckoning:
//  a certified invalidity above 45 % (art. 1, civil invalids).
#define REGISTRY_LAW68_INVALIDITY 45

//  Law 68/1999 reserved quota for a workforce.
uint32_t registry_law68_quota (uint32_t employees);

//  A list reply ({repeated items = 1; string next = 2}) from rows whose
//  first column is an item's JSON and second its id (next, when the page is
//  full). NULL with INTERNAL set when a row cannot be read.
ProtobufCMessage *reg_list_reply (sn_call_t *call, PGresult *res, const ProtobufCMessageDescriptor *reply_desc,
                                  const ProtobufCMessageDescriptor *item_desc, uint32_t limit);

//  A page's limit (0: 50; above 1000 a violation of page.limit) and its
//  after (NULL when none; not a UUID: a violation of page.after).
uint32_t reg_page_limit (sn_call_t *call, const Snodo__Registry__Page *page, const char **after);

//  Contacts with companies (registry_contacts.c).
extern const sn_method_t registry_contact_methods [];

//  The team's notes on persons (registry_notes.c).
extern const sn_method_t registry_note_methods [];

//  Whether the caller may see person_id's data (the person rule, as
//  GetPerson applies it; the read audited, a denial too). Returns OK, or the
//  code set on the call: INVALID_ARGUMENT on field (not a UUID), NOT_FOUND,
//  PERMISSION_DENIED.
int reg_person_may_see (sn_call_t *call, const char *field, const char *person_id);

//  JSON of a message for the data column, without the keys the columns keep.
//  Caller owns the return value.
char *reg_storage_json (const ProtobufCMessage *msg, const char *const *drop);

//  Reads the JSON of a row into a message. On failure sets INTERNAL and
//  returns NULL.
ProtobufCMessage *reg_message_from_json (sn_call_t *call, const ProtobufCMessageDescriptor *desc,
                                         const char *json);
#endif
