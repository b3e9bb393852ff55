/*  snodoctl: persons by what operators know them by. Where a command takes
    a person, a codice fiscale names it as well as its id (looked up with
    registry.FindPerson, a read the registry audits like any); a pathway's
    transition is confirmed in one line with the person's name, the state
    before and after and the date as the pathway's history stored them, not
    the whole record (--json gives it). */
#include "snodoctl.h"
#include "sn_validate.h"
#include "sn_json.h"
#include "matching.pb-c.h"
#include <string.h>

//  Calls method with input on service as the caller; the output or NULL
//  (nothing said: the caller falls back to what it has).
static ProtobufCMessage *
s_quiet_call (ctl_t *ctl, const char *service, const char *method, const ProtobufCMessage *input,
              const ProtobufCMessageDescriptor *output_desc)
{
    sn_client_t *client = ctl_kept_client (ctl, service, ctl->identity);
    if (!client)
        return NULL;
    ProtobufCMessage *output = NULL;
    sn_result_t result;
    if (sn_client_call (client, method, ctl->purpose, input, output_desc, &output, &result) != SNODO__CODE__OK)
        output = NULL;
    return output;
}

bool
ctl_is_codice_fiscale (const char *text)
{
    char why [128];
    return strlen (text) == 16 && sn_validate_codice_fiscale (text, why, sizeof why);
}

char *
ctl_person_id (ctl_t *ctl, const char *text)
{
    if (!ctl_is_codice_fiscale (text))
        return strdup (text);
    Snodo__Registry__FindPersonRequest req = SNODO__REGISTRY__FIND_PERSON_REQUEST__INIT;
    req.codice_fiscale = (char *) text;
    sn_client_t *client = ctl_kept_client (ctl, "registry", ctl->identity);
    if (!client)
        return NULL;
    Snodo__Registry__Person *person = NULL;
    int code = ctl_call (ctl, client, "registry.FindPerson", &req.base, &snodo__registry__person__descriptor,
                         (ProtobufCMessage **) &person);
    if (code != SNODO__CODE__OK)
        return NULL;
    char *id = strdup (person->id);
    snodo__registry__person__free_unpacked (person, NULL);
    return id;
}

char *
ctl_pathway_id (ctl_t *ctl, const char *text)
{
    if (!ctl_is_codice_fiscale (text))
        return strdup (text);
    char *person = ctl_person_id (ctl, text);
    if (!person)
        return NULL;
    Snodo__Monitoring__ListPathwaysRequest req = SNODO__MONITORING__LIST_PATHWAYS_REQUEST__INIT;
    req.person_id = person;
    sn_client_t *client = ctl_kept_client (ctl, "monitoring", ctl->identity);
    Snodo__Monitoring__ListPathwaysReply *list = NULL;
    int code = client ? ctl_call (ctl, client, "monitoring.ListPathways", &req.base,
                                  &snodo__monitoring__list_pathways_reply__descriptor, (ProtobufCMessage **) &list)
                      : SNODO__CODE__UNAVAILABLE;
    free (person);
    if (code != SNODO__CODE__OK)
        return NULL;
    //  a person has one open pathway at most
    char *id = NULL;
    for (size_t i = 0; i < list->n_pathways && !id; i++)
        if (list->pathways [i]->state != SNODO__MONITORING__PATHWAY_STATE__PATHWAY_STATE_CLOSED)
            id = strdup (list->pathways [i]->id);
    if (!id)
        fprintf (stderr, "snodoctl: %s has no open pathway you may see\n", text);
    snodo__monitoring__list_pathways_reply__free_unpacked (list, NULL);
    return id;
}

void
ctl_person_label (ctl_t *ctl, const char *person_id, char *out, size_t size)
{
    Snodo__Registry__GetPersonRequest req = SNODO__REGISTRY__GET_PERSON_REQUEST__INIT;
    req.id = (char *) person_id;
    Snodo__Registry__Person *person = (Snodo__Registry__Person *) s_quiet_call (
        ctl, "registry", "registry.GetPerson", &req.base, &snodo__registry__person__descriptor);
    if (person)
        snprintf (out, size, "%s %s (%s)", person->surname, person->name, person->codice_fiscale);
    else
        snprintf (out, size, "person %s", person_id);
    if (person)
        snodo__registry__person__free_unpacked (person, NULL);
}

//  A state's name without its prefix: PATHWAY_STATE_INTAKE -> INTAKE.
static const char *
s_state (int state)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value (&snodo__monitoring__pathway_state__descriptor,
                                                                       state);
    if (!v)
        return "?";
    const char *prefix = "PATHWAY_STATE_";
    return strncmp (v->name, prefix, strlen (prefix)) == 0 ? v->name + strlen (prefix) : v->name;
}

void
ctl_print_transition (ctl_t *ctl, const Snodo__Monitoring__Pathway *after)
{
    char who [256];
    ctl_person_label (ctl, after->person_id, who, sizeof who);
    const Snodo__Monitoring__Agreement *a = after->agreement;
    if (a && a->version > 1 && *a->signed_on
    &&  after->state != SNODO__MONITORING__PATHWAY_STATE__PATHWAY_STATE_AGREEMENT)
        //  an amendment signed: the state stays
        printf ("pathway %s of %s: agreement amendment %u signed, %s\n", after->id, who, a->version, a->signed_on);
    else
    if (after->n_history > 0) {
        //  the transition just made, as the service stored it
        const Snodo__Monitoring__StateChange *last = after->history [after->n_history - 1];
        printf ("pathway %s of %s: %s -> %s, %s\n", after->id, who, s_state ((int) last->from),
                s_state ((int) last->to), last->date);
    }
    else
        printf ("pathway %s of %s: now %s\n", after->id, who, s_state ((int) after->state));
    if (after->state == SNODO__MONITORING__PATHWAY_STATE__PATHWAY_STATE_SUSPENDED && *after->suspension_reason)
        printf ("  reason: %s\n", after->suspension_reason);
    if (after->outcome && after->outcome->kind) {
        const ProtobufCEnumValue *k = protobuf_c_enum_descriptor_get_value (
            &snodo__monitoring__outcome_kind__descriptor, after->outcome->kind);
        printf ("  outcome: %s\n", k ? k->name + strlen ("OUTCOME_KIND_") : "?");
    }
}

//  --- names in lists --------------------------------------------------------------

//  A label column and the id field it names, and how the label is read.
typedef enum { S_PERSON, S_COMPANY, S_POST } s_label_kind_t;
static const struct {
    const char *column;             //  "person": shown in place of the id
    const char *id_field;           //  "personId": the row's id
    s_label_kind_t kind;
} s_labels [] = {
    {"person", "personId", S_PERSON},
    {"employer", "employerId", S_COMPANY},
    {"host", "hostId", S_COMPANY},
    {"post", "postId", S_POST},
    {NULL, NULL, S_PERSON}
};

//  A company's or a cooperative's name (a host is either), or NULL.
static char *
s_host_name (ctl_t *ctl, const char *id)
{
    Snodo__Registry__GetRequest req = SNODO__REGISTRY__GET_REQUEST__INIT;
    req.id = (char *) id;
    char *name = NULL;
    Snodo__Registry__Company *company = (Snodo__Registry__Company *) s_quiet_call (
        ctl, "registry", "registry.GetCompany", &req.base, &snodo__registry__company__descriptor);
    if (company) {
        name = strdup (company->name);
        snodo__registry__company__free_unpacked (company, NULL);
        return name;
    }
    Snodo__Registry__Cooperative *coop = (Snodo__Registry__Cooperative *) s_quiet_call (
        ctl, "registry", "registry.GetCooperative", &req.base, &snodo__registry__cooperative__descriptor);
    if (coop) {
        name = strdup (coop->name);
        snodo__registry__cooperative__free_unpacked (coop, NULL);
    }
    return name;
}

//  A label for id of kind: read once per id (cache), the id itself when it
//  cannot be read (the caller may not see it, or it is gone).
static const char *
s_label (ctl_t *ctl, zhash_t *cache, s_label_kind_t kind, const char *id)
{
    const char *known = (const char *) zhash_lookup (cache, id);
    if (known)
        return known;
    char label [400];
    snprintf (label, sizeof label, "%s", id);
    if (kind == S_PERSON)
        ctl_person_label (ctl, id, label, sizeof label);
    else
    if (kind == S_COMPANY) {
        char *name = s_host_name (ctl, id);
        if (name)
            snprintf (label, sizeof label, "%s", name);
        free (name);
    }
    else {
        Snodo__Registry__GetRequest req = SNODO__REGISTRY__GET_REQUEST__INIT;
        req.id = (char *) id;
        Snodo__Registry__JobPost *post = (Snodo__Registry__JobPost *) s_quiet_call (
            ctl, "registry", "registry.GetJobPost", &req.base, &snodo__registry__job_post__descriptor);
        if (post)
            snprintf (label, sizeof label, "%s", post->title);
        if (post)
            snodo__registry__job_post__free_unpacked (post, NULL);
    }
    zhash_insert (cache, id, strdup (label));
    zhash_freefn (cache, id, free);
    return (const char *) zhash_lookup (cache, id);
}

void
ctl_label_rows (ctl_t *ctl, struct json_object *rows, const char *columns)
{
    if (!rows || !json_object_is_type (rows, json_type_array))
        return;
    char spec [512];
    snprintf (spec, sizeof spec, ",%s,", columns);
    zhash_t *cache = zhash_new ();
    for (int l = 0; s_labels [l].column; l++) {
        char wanted [64];
        snprintf (wanted, sizeof wanted, ",%s,", s_labels [l].column);
        if (!strstr (spec, wanted))
            continue;
        for (size_t r = 0; r < json_object_array_length (rows); r++) {
            struct json_object *row = json_object_array_get_idx (rows, r);
            struct json_object *id = json_object_object_get (row, s_labels [l].id_field);
            const char *text = id ? json_object_get_string (id) : "";
            if (*text)
                json_object_object_add (row, s_labels [l].column,
                                        json_object_new_string (s_label (ctl, cache, s_labels [l].kind, text)));
        }
    }
    zhash_destroy (&cache);
}

//  --- ids by their start ------------------------------------------------------------

#define S_UUID_SHAPE "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"

bool
ctl_is_id_prefix (const char *text)
{
    size_t n = strlen (text);
    if (n < 4 || n >= strlen (S_UUID_SHAPE))
        return false;
    for (size_t i = 0; i < n; i++) {
        bool dash = S_UUID_SHAPE [i] == '-';
        if (dash ? text [i] != '-' : !((text [i] >= '0' && text [i] <= '9') || (text [i] >= 'a' && text [i] <= 'f')))
            return false;
    }
    return true;
}

//  The lists whose pages follow the ids, by what they list: where a start
//  of an id is looked for.
static const struct {
    const char *noun;
    const char *service;
    const char *method;
    const ProtobufCMessageDescriptor *input;
    const ProtobufCMessageDescriptor *output;
} s_listed [] = {
    {"person", "registry", "registry.ListPersons", &snodo__registry__list_persons_request__descriptor,
     &snodo__registry__list_persons_reply__descriptor},
    {"pathway", "monitoring", "monitoring.ListPathways", &snodo__monitoring__list_pathways_request__descriptor,
     &snodo__monitoring__list_pathways_reply__descriptor},
    {"post", "registry", "registry.ListJobPosts", &snodo__registry__list_job_posts_request__descriptor,
     &snodo__registry__list_job_posts_reply__descriptor},
    {"cooperative", "registry", "registry.ListCooperatives", &snodo__registry__list_cooperatives_request__descriptor,
     &snodo__registry__list_cooperatives_reply__descriptor},
    {"proposal", "matching", "matching.ListProposals", &snodo__matching__list_proposals_request__descriptor,
     &snodo__matching__list_proposals_reply__descriptor},
    {NULL, NULL, NULL, NULL, NULL}
};

//  The ids of a list reply's rows (its repeated message field's "id"s), at
//  most two, those starting with prefix into ids. Returns how many.
static int
s_ids_of_reply (const ProtobufCMessage *reply, const char *prefix, char ids [2][37])
{
    int n = 0;
    const ProtobufCMessageDescriptor *desc = reply->descriptor;
    for (unsigned f = 0; f < desc->n_fields; f++) {
        const ProtobufCFieldDescriptor *field = &desc->fields [f];
        if (field->label != PROTOBUF_C_LABEL_REPEATED || field->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        size_t count = *(const size_t *) ((const char *) reply + field->quantifier_offset);
        ProtobufCMessage *const *rows = *(ProtobufCMessage *const *const *) ((const char *) reply + field->offset);
        const ProtobufCFieldDescriptor *id = protobuf_c_message_descriptor_get_field_by_name (
            (const ProtobufCMessageDescriptor *) field->descriptor, "id");
        for (size_t i = 0; id && i < count && i < 2; i++) {
            const char *text = *(char *const *) ((const char *) rows [i] + id->offset);
            if (strncmp (text, prefix, strlen (prefix)) == 0)
                snprintf (ids [n++], 37, "%s", text);
        }
        break;
    }
    return n;
}

//  The first page after the smallest id that starts with prefix: two ids at
//  most, the list's order being the ids'. Fills ids; returns how many there
//  are (-1 when the list failed, said).
static int
s_ids_from (ctl_t *ctl, int list, const char *prefix, char ids [2][37])
{
    char after [37];
    snprintf (after, sizeof after, "%s", "00000000-0000-0000-0000-000000000000");
    memcpy (after, prefix, strlen (prefix));
    struct json_object *page = json_object_new_object ();
    json_object_object_add (page, "after", json_object_new_string (after));
    json_object_object_add (page, "limit", json_object_new_int (2));
    struct json_object *root = page;
    if (protobuf_c_message_descriptor_get_field_by_name (s_listed [list].input, "page")) {
        root = json_object_new_object ();
        json_object_object_add (root, "page", page);
    }
    char err [256];
    ProtobufCMessage *input = sn_json_obj_to_message (s_listed [list].input, root, err, sizeof err);
    json_object_put (root);
    sn_client_t *client = input ? ctl_kept_client (ctl, s_listed [list].service, ctl->identity) : NULL;
    ProtobufCMessage *reply = NULL;
    int code = client ? ctl_call (ctl, client, s_listed [list].method, input, s_listed [list].output, &reply)
                      : SNODO__CODE__UNAVAILABLE;
    if (input)
        protobuf_c_message_free_unpacked (input, NULL);
    if (code != SNODO__CODE__OK)
        return -1;
    int n = s_ids_of_reply (reply, prefix, ids);
    protobuf_c_message_free_unpacked (reply, NULL);
    return n;
}

char *
ctl_id_of_prefix (ctl_t *ctl, const char *noun, const char *prefix)
{
    int list = 0;
    while (s_listed [list].noun && strcmp (s_listed [list].noun, noun))
        list++;
    if (!s_listed [list].noun)
        return strdup (prefix);         //  not looked up: the service says what it makes of it
    char ids [2][37];
    int n = s_ids_from (ctl, list, prefix, ids);
    if (n == 1)
        return strdup (ids [0]);
    if (n == 0)
        fprintf (stderr, "snodoctl: no %s you may see has an id starting %s\n", noun, prefix);
    else
    if (n == 2)
        fprintf (stderr, "snodoctl: %s starts more than one id (%s, %s): give more of it\n", prefix, ids [0], ids [1]);
    return NULL;
}
