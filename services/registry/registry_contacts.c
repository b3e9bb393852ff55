/*  Contacts with companies (primo contatto con l'azienda, seed 000): each
    contact the Province's or a CPI's operators had with a company, when,
    how, who, with what outcome and next step; listed by company, by member
    and by operator. Companies are not personal data: any member reads the
    contacts (a company only its own), the members that keep the companies
    record them, and each one recorded is audited against the company. */
#include "registry.h"
#include <string.h>

//  A contact row t with its company c, as the JSON of CompanyContact.
#define CONTACT_JSON \
    "(t.data || jsonb_build_object ('id', t.id, 'createdAt', ms (t.created_at), " \
    "'companyName', coalesce (c.data->>'name', '')))::text"
#define CONTACT_FROM " FROM company_contact t JOIN company c ON c.id = t.company_id "

//  Keys the columns keep, or the company (its name is read with the contact).
static const char *const s_drop [] = {"id", "createdAt", "companyName", NULL};

//  The members that record contacts: those that keep the companies.
#define CONTACT_KINDS (SN_KIND (PROVINCIA) | SN_KIND (CPI) | SN_KIND (ADMIN))

//  Checks a contact's fields; today: YYYY-MM-DD. Records violations.
static void
s_check_contact (sn_call_t *call, const Snodo__Registry__AddCompanyContactRequest *req, const char *today)
{
    if (!sn_is_uuid (req->company_id))
        sn_call_violation (call, "company_id", "\"%.40s\" is not a UUID", req->company_id);
    sn_check_date (call, "contacted_on", req->contacted_on, true);
    if (sn_date_valid (req->contacted_on) && strcmp (req->contacted_on, today) > 0)
        sn_call_violation (call, "contacted_on", "%s is in the future (today is %s)", req->contacted_on, today);
    sn_check_enum (call, "how", &snodo__registry__contact_how__descriptor, req->how, true);
    sn_check_text (call, "outcome", req->outcome, 2000, true);
    sn_check_text (call, "next_step", req->next_step, 1000, false);
    sn_check_date (call, "next_on", req->next_on, false);
    if (*req->next_on && !*req->next_step)
        sn_call_violation (call, "next_on", "is the date of a next step: say the step (next_step)");
    if (sn_date_valid (req->next_on) && sn_date_valid (req->contacted_on)
    &&  strcmp (req->next_on, req->contacted_on) < 0)
        sn_call_violation (call, "next_on", "%s is before the contact (%s)", req->next_on, req->contacted_on);
    sn_check_text (call, "operator", req->operator_, 200, false);
}

//  Reads one contact by id (with its company's name). NULL with status set.
static ProtobufCMessage *
s_load (sn_call_t *call, const char *id)
{
    const char *params [1] = {id};
    PGresult *res = sn_call_query (call, "reading the contact",
        "SELECT " CONTACT_JSON CONTACT_FROM "WHERE t.id = $1", 1, params);
    if (!res)
        return NULL;
    ProtobufCMessage *msg = NULL;
    if (PQntuples (res) == 0)
        sn_call_fail (call, SNODO__CODE__NOT_FOUND, "no contact %.40s", id);
    else
        msg = reg_message_from_json (call, &snodo__registry__company_contact__descriptor, PQgetvalue (res, 0, 0));
    PQclear (res);
    return msg;
}

//  Whether company id exists. -1 when it could not be read (status set).
static int
s_company_exists (sn_call_t *call, const char *id)
{
    const char *params [1] = {id};
    PGresult *res = sn_call_query (call, "reading the company", "SELECT 1 FROM company WHERE id = $1", 1, params);
    if (!res)
        return -1;
    int found = PQntuples (res) > 0;
    PQclear (res);
    return found;
}

static int
s_add_company_contact (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Registry__AddCompanyContactRequest *req = (const void *) input;
    char today [11];
    sn_date_today (today);
    s_check_contact (call, req, today);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    int found = s_company_exists (call, req->company_id);
    if (found < 0)
        return sn_call_code (call);
    if (!found) {
        sn_call_violation (call, "company_id", "no company %s", req->company_id);
        return sn_call_invalid (call);
    }
    Snodo__Registry__CompanyContact contact = SNODO__REGISTRY__COMPANY_CONTACT__INIT;
    char id [37], how [8];
    sn_new_uuid (id);
    contact.company_id = req->company_id;
    contact.contacted_on = req->contacted_on;
    contact.how = req->how;
    contact.operator_ = req->operator_;
    contact.member_id = (char *) sn_call_member_id (call);
    contact.outcome = req->outcome;
    contact.next_step = req->next_step;
    contact.next_on = req->next_on;
    char *data = reg_storage_json (&contact.base, s_drop);
    snprintf (how, sizeof how, "%d", req->how);
    const char *params [7] = {id, req->company_id, req->contacted_on, how, req->operator_,
                              sn_call_member_id (call), data};
    PGresult *res = sn_call_query (call, "recording the contact",
        "INSERT INTO company_contact (id, company_id, contacted_on, how, operator, member_id, data) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)", 7, params);
    free (data);
    if (!res)
        return sn_call_code (call);
    PQclear (res);
    sn_call_audit (call, req->company_id);
    ProtobufCMessage *stored = s_load (call, id);
    if (!stored)
        return sn_call_code (call);
    if (sn_call_event (call, "registry.company_contact.added", id, NULL, stored)) {
        protobuf_c_message_free_unpacked (stored, NULL);
        return sn_call_code (call);
    }
    *output = stored;
    return SNODO__CODE__OK;
}

//  Newest first. A company (AZIENDA) sees only the contacts with itself.
static int
s_list_company_contacts (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Registry__ListCompanyContactsRequest *req = (const void *) input;
    const char *after;
    uint32_t limit = reg_page_limit (call, req->page, &after);
    if (*req->company && !sn_is_uuid (req->company))
        sn_call_violation (call, "company", "\"%.40s\" is not a company's id (a UUID)", req->company);
    sn_check_text (call, "member", req->member, 64, false);
    sn_check_text (call, "operator", req->operator_, 200, false);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    char limit_text [16];
    snprintf (limit_text, sizeof limit_text, "%u", limit);
    bool company_itself = sn_call_member_kind (call) == SNODO__MEMBER_KIND__MEMBER_KIND_AZIENDA;
    const char *params [6] = {*req->company ? req->company : NULL, req->member, req->operator_,
                              company_itself ? sn_call_member_id (call) : NULL, after, limit_text};
    PGresult *res = sn_call_query (call, "listing contacts",
        "SELECT " CONTACT_JSON ", t.id" CONTACT_FROM
        "WHERE ($1::uuid IS NULL OR t.company_id = $1::uuid) AND ($2 = '' OR t.member_id = $2) "
        "AND ($3 = '' OR lower (t.operator) = lower ($3)) AND ($4::text IS NULL OR c.data->>'memberId' = $4) "
        "AND ($5::uuid IS NULL OR (t.contacted_on, t.created_at, t.id) < "
        "     (SELECT contacted_on, created_at, id FROM company_contact WHERE id = $5::uuid)) "
        "ORDER BY t.contacted_on DESC, t.created_at DESC, t.id DESC LIMIT $6", 6, params);
    if (!res)
        return sn_call_code (call);
    *output = reg_list_reply (call, res, &snodo__registry__list_company_contacts_reply__descriptor,
                              &snodo__registry__company_contact__descriptor, limit);
    PQclear (res);
    return *output ? SNODO__CODE__OK : sn_call_code (call);
}

const sn_method_t registry_contact_methods [] = {
    SN_METHOD (AddCompanyContact, s_add_company_contact, CONTACT_KINDS, SN_WRITE),
    SN_METHOD (ListCompanyContacts, s_list_company_contacts, SN_ANY_KIND, 0),
    SN_METHODS_END
};
