/*  The registry as the operators live seed 000 (issue 19): who assessed a
    profile, a consent granted twice, contacts with companies, the team's
    notes on a person, the law 68/1999 quota and how it was computed.
    Against a real PostgreSQL, over CURVE on loopback. */
#include "testsupport.h"
#include "sn_law68.h"
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

static ts_registry_t *reg;

static void
setup (void)
{
    reg = ts_registry_start ("ops", 2);
}

static void
teardown (void)
{
    ts_registry_destroy (&reg);
}

TestSuite (operators, .init = setup, .fini = teardown, .timeout = 120);

//  The person as member sees it (NULL unless OK).
static Snodo__Registry__Person *
s_person (sn_client_t *client, const char *id)
{
    Snodo__Registry__GetPersonRequest req = SNODO__REGISTRY__GET_PERSON_REQUEST__INIT;
    req.id = (char *) id;
    Snodo__Registry__Person *person = NULL;
    sn_client_call (client, "registry.GetPerson", "placement", &req.base, &snodo__registry__person__descriptor,
                    (ProtobufCMessage **) &person, NULL);
    return person;
}

//  SetProfile of person id as client, assessed by by; the result in *result.
static int
s_set_profile (sn_client_t *client, const char *id, const char *by, sn_result_t *result)
{
    Snodo__Registry__Profile scores = SNODO__REGISTRY__PROFILE__INIT;
    scores.attention = 4;
    Snodo__Registry__AbilityProfile profile = SNODO__REGISTRY__ABILITY_PROFILE__INIT;
    profile.scores = &scores;
    profile.assessed_on = "2026-10-01";
    profile.assessed_by = (char *) by;
    Snodo__Registry__SetProfileRequest req = SNODO__REGISTRY__SET_PROFILE_REQUEST__INIT;
    req.person_id = (char *) id;
    req.profile = &profile;
    return sn_client_call (client, "registry.SetProfile", "placement", &req.base, NULL, NULL, result);
}

static long
s_events (const char *type)
{
    return ts_count (reg->dbname, "SELECT count (*) FROM registry.outbox WHERE type = '%s'", type);
}

//  --- checks that hold ---------------------------------------------------------

Test (operators, a_profile_is_assessed_by_the_caller_or_a_team_member_and_never_by_anyone_else)
{
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, NULL);
    sn_client_t *coop = ts_member_client (reg, "coop-guida", TS_KIND (COOPERATIVA), NULL, NULL);
    sn_client_t *stranger = ts_member_client (reg, "coop-altra", TS_KIND (COOPERATIVA), NULL, NULL);
    char *id = ts_create_person (sil, 401, NULL);
    sn_result_t result;
    //  neither the caller nor in the team: a member, or no member at all
    static const char *refused [] = {"coop-altra", "chiunque"};
    for (int i = 0; i < 2; i++) {
        cr_assert_eq (s_set_profile (sil, id, refused [i], &result), TS_CODE (INVALID_ARGUMENT),
                      "%s was taken as the assessor", refused [i]);
        cr_assert_str_eq (result.fields [0], "profile.assessed_by");
        cr_assert (strstr (result.descriptions [0], refused [i]) && strstr (result.descriptions [0], "team"),
                   "%s", result.descriptions [0]);
    }
    Snodo__Registry__Person *p = s_person (sil, id);
    cr_assert_eq (p->version, 1, "a refused profile changed the person");
    cr_assert_null (p->profile);
    snodo__registry__person__free_unpacked (p, NULL);
    cr_assert_eq (s_events ("registry.person.profile_set"), 0);

    //  the caller, named or not, and the referring service
    cr_assert_eq (s_set_profile (sil, id, "ass6-sil", &result), TS_CODE (OK), "%s", result.message);
    //  a member of the person's team, once it is in it
    sn_client_t *service = ts_member_client (reg, "monitoring", TS_KIND (SERVICE), NULL, NULL);
    Snodo__Registry__TeamRequest team = SNODO__REGISTRY__TEAM_REQUEST__INIT;
    team.person_id = id;
    team.member_id = "coop-guida";
    team.pathway_id = "p1";
    cr_assert_eq (sn_client_call (service, "registry.AddTeamMember", "monitoring", &team.base, NULL, NULL, NULL),
                  TS_CODE (OK));
    cr_assert_eq (s_set_profile (sil, id, "coop-guida", &result), TS_CODE (OK), "%s", result.message);
    p = s_person (sil, id);
    cr_assert_str_eq (p->profile->assessed_by, "coop-guida");
    cr_assert_eq (p->version, 3);
    //  the team member records it itself; a stranger still cannot be named
    cr_assert_eq (s_set_profile (coop, id, "", &result), TS_CODE (OK), "%s", result.message);
    cr_assert_eq (s_set_profile (coop, id, "coop-altra", &result), TS_CODE (INVALID_ARGUMENT));

    //  UpdatePerson holds the same rule when it changes the assessor
    Snodo__Registry__UpdatePersonRequest update = SNODO__REGISTRY__UPDATE_PERSON_REQUEST__INIT;
    update.person = p;
    sn_set_string (&p->profile->assessed_by, "coop-altra");
    cr_assert_eq (sn_client_call (sil, "registry.UpdatePerson", "placement", &update.base, NULL, NULL, &result),
                  TS_CODE (INVALID_ARGUMENT));
    cr_assert_str_eq (result.fields [0], "person.profile.assessed_by");
    sn_set_string (&p->profile->assessed_by, "coop-guida");
    cr_assert_eq (sn_client_call (sil, "registry.UpdatePerson", "placement", &update.base, NULL, NULL, &result),
                  TS_CODE (OK), "%s", result.message);
    snodo__registry__person__free_unpacked (p, NULL);

    //  a new person has no team yet: its profile is the caller's or the referring service's
    Snodo__Registry__Person person;
    char cf [17];
    ts_person_init (&person, 402, cf);
    Snodo__Registry__AbilityProfile profile = SNODO__REGISTRY__ABILITY_PROFILE__INIT;
    Snodo__Registry__Profile scores = SNODO__REGISTRY__PROFILE__INIT;
    profile.scores = &scores;
    profile.assessed_by = "coop-guida";
    person.profile = &profile;
    Snodo__Registry__CreatePersonRequest create = SNODO__REGISTRY__CREATE_PERSON_REQUEST__INIT;
    create.person = &person;
    cr_assert_eq (sn_client_call (sil, "registry.CreatePerson", "placement", &create.base, NULL, NULL, &result),
                  TS_CODE (INVALID_ARGUMENT));
    cr_assert_str_eq (result.fields [0], "person.profile.assessed_by");
    profile.assessed_by = "ass6-sil";
    cr_assert_eq (sn_client_call (sil, "registry.CreatePerson", "placement", &create.base, NULL, NULL, &result),
                  TS_CODE (OK), "%s", result.message);
    free (id);
    sn_client_destroy (&service);
    sn_client_destroy (&stranger);
    sn_client_destroy (&coop);
    sn_client_destroy (&sil);
}

Test (operators, granting_a_consent_already_in_force_changes_nothing)
{
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, NULL);
    char *id = ts_create_person (sil, 410, NULL);
    Snodo__Registry__ConsentRequest consent = SNODO__REGISTRY__CONSENT_REQUEST__INIT;
    consent.person_id = id;
    consent.purpose = SNODO__PURPOSE__PURPOSE_PLACEMENT;
    consent.member_kind = TS_KIND (COOPERATIVA);
    Snodo__Registry__Person *first = NULL, *again = NULL;
    cr_assert_eq (sn_client_call (sil, "registry.GrantConsent", "placement", &consent.base,
                                  &snodo__registry__person__descriptor, (ProtobufCMessage **) &first, NULL),
                  TS_CODE (OK));
    cr_assert_eq (first->version, 2);
    cr_assert_eq (first->n_consents, 1);
    cr_assert_eq (sn_client_call (sil, "registry.GrantConsent", "placement", &consent.base,
                                  &snodo__registry__person__descriptor, (ProtobufCMessage **) &again, NULL),
                  TS_CODE (OK));
    //  the person as it is: same version, same grant, one row, one event
    cr_assert_eq (again->version, 2, "granting again made version %u", again->version);
    cr_assert_eq (again->updated_at, first->updated_at);
    cr_assert_eq (again->n_consents, 1);
    cr_assert_eq (again->consents [0]->granted_at, first->consents [0]->granted_at);
    cr_assert_eq (ts_count (reg->dbname, "SELECT count (*) FROM registry.consent WHERE person_id = '%s'", id), 1);
    cr_assert_eq (s_events ("registry.person.consent_granted"), 1);
    snodo__registry__person__free_unpacked (again, NULL);
    //  revoked, then granted again: that one is a change
    cr_assert_eq (sn_client_call (sil, "registry.RevokeConsent", "placement", &consent.base, NULL, NULL, NULL),
                  TS_CODE (OK));
    cr_assert_eq (sn_client_call (sil, "registry.GrantConsent", "placement", &consent.base,
                                  &snodo__registry__person__descriptor, (ProtobufCMessage **) &again, NULL),
                  TS_CODE (OK));
    cr_assert_eq (again->version, 4);
    cr_assert_eq (again->consents [0]->revoked_at, 0);
    cr_assert_eq (s_events ("registry.person.consent_granted"), 2);
    snodo__registry__person__free_unpacked (again, NULL);
    snodo__registry__person__free_unpacked (first, NULL);
    free (id);
    sn_client_destroy (&sil);
}

//  --- contacts with companies ---------------------------------------------------

//  A date days from today (negative: before), YYYY-MM-DD, into out (11 bytes).
static void
s_day (int days, char *out)
{
    time_t t = time (NULL) + (time_t) days * 86400;
    struct tm tm;
    localtime_r (&t, &tm);
    strftime (out, 11, "%Y-%m-%d", &tm);
}

//  Creates a company (its member member_id, "" for none) as client; its id
//  (caller frees).
static char *
s_company (sn_client_t *client, const char *partita_iva, const char *name, uint32_t employees,
           const char *member_id)
{
    Snodo__Registry__Company company = SNODO__REGISTRY__COMPANY__INIT;
    company.partita_iva = (char *) partita_iva;
    company.name = (char *) name;
    company.ateco = "25.62";
    company.employees = employees;
    company.member_id = (char *) member_id;
    Snodo__Registry__CreateCompanyRequest req = SNODO__REGISTRY__CREATE_COMPANY_REQUEST__INIT;
    req.company = &company;
    Snodo__Registry__Company *out = NULL;
    sn_result_t result;
    cr_assert_eq (sn_client_call (client, "registry.CreateCompany", "", &req.base, &snodo__registry__company__descriptor,
                                  (ProtobufCMessage **) &out, &result), TS_CODE (OK), "%s", result.message);
    char *id = strdup (out->id);
    snodo__registry__company__free_unpacked (out, NULL);
    return id;
}

//  The contacts client lists with these filters (caller frees).
static Snodo__Registry__ListCompanyContactsReply *
s_contacts (sn_client_t *client, const char *company, const char *member, const char *operator_)
{
    Snodo__Registry__ListCompanyContactsRequest req = SNODO__REGISTRY__LIST_COMPANY_CONTACTS_REQUEST__INIT;
    req.company = (char *) company;
    req.member = (char *) member;
    req.operator_ = (char *) operator_;
    Snodo__Registry__ListCompanyContactsReply *reply = NULL;
    sn_result_t result;
    cr_assert_eq (sn_client_call (client, "registry.ListCompanyContacts", "", &req.base,
                                  &snodo__registry__list_company_contacts_reply__descriptor,
                                  (ProtobufCMessage **) &reply, &result), TS_CODE (OK), "%s", result.message);
    return reply;
}

Test (operators, a_contact_with_a_company_is_checked_recorded_audited_and_listed_by_company_member_and_operator)
{
    sn_client_t *prov = ts_member_client (reg, "provincia-pn", TS_KIND (PROVINCIA), NULL, NULL);
    sn_client_t *cpi = ts_member_client (reg, "cpi-pn", TS_KIND (CPI), NULL, NULL);
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, NULL);
    sn_client_t *firm = ts_member_client (reg, "az-officina", TS_KIND (AZIENDA), NULL, NULL);
    char *a = s_company (prov, "00743110157", "Officina Zanè", 57, "az-officina");
    char *b = s_company (prov, "01234560934", "Società Agricola Nord", 20, "");
    char earlier [11], yesterday [11], today [11], tomorrow [11];
    s_day (-10, earlier);
    s_day (-1, yesterday);
    s_day (0, today);
    s_day (1, tomorrow);

    Snodo__Registry__AddCompanyContactRequest req = SNODO__REGISTRY__ADD_COMPANY_CONTACT_REQUEST__INIT;
    //  each bad field named, and nothing written
    req.company_id = b;
    req.contacted_on = tomorrow;
    req.next_step = "visita";
    req.next_on = earlier;
    sn_result_t result;
    cr_assert_eq (sn_client_call (prov, "registry.AddCompanyContact", "", &req.base, NULL, NULL, &result),
                  TS_CODE (INVALID_ARGUMENT));
    cr_assert_eq (result.n_violations, 4, "got %zu: %s", result.n_violations, result.message);
    cr_assert_str_eq (result.fields [0], "contacted_on");
    cr_assert (strstr (result.descriptions [0], "in the future"), "%s", result.descriptions [0]);
    cr_assert_str_eq (result.fields [1], "how");
    cr_assert_str_eq (result.fields [2], "outcome");
    cr_assert_str_eq (result.fields [3], "next_on");
    cr_assert (strstr (result.descriptions [3], "before the contact"), "%s", result.descriptions [3]);
    req.contacted_on = earlier;
    req.how = SNODO__REGISTRY__CONTACT_HOW__CONTACT_HOW_PHONE;
    req.outcome = "interessati a un tirocinio";
    req.next_step = "";
    req.next_on = tomorrow;
    cr_assert_eq (sn_client_call (prov, "registry.AddCompanyContact", "", &req.base, NULL, NULL, &result),
                  TS_CODE (INVALID_ARGUMENT));
    cr_assert_str_eq (result.fields [0], "next_on", "a date with no step: %s", result.message);
    req.company_id = "5b1f3c2e-8d4a-4c61-9e2b-7a0d6f1c2b3e";
    req.next_step = "visita in azienda";
    cr_assert_eq (sn_client_call (prov, "registry.AddCompanyContact", "", &req.base, NULL, NULL, &result),
                  TS_CODE (INVALID_ARGUMENT));
    cr_assert_str_eq (result.fields [0], "company_id");
    cr_assert_eq (ts_count (reg->dbname, "SELECT count (*) FROM registry.company_contact"), 0);
    //  the SIL does not keep the companies
    req.company_id = a;
    cr_assert_eq (sn_client_call (sil, "registry.AddCompanyContact", "", &req.base, NULL, NULL, &result),
                  TS_CODE (PERMISSION_DENIED));

    //  recorded: who (the operator, the member), when, how, outcome, next step
    req.operator_ = "Giulia Bassi";
    Snodo__Registry__CompanyContact *c = NULL;
    cr_assert_eq (sn_client_call (prov, "registry.AddCompanyContact", "", &req.base,
                                  &snodo__registry__company_contact__descriptor, (ProtobufCMessage **) &c, &result),
                  TS_CODE (OK), "%s", result.message);
    cr_assert (sn_is_uuid (c->id));
    cr_assert_str_eq (c->company_name, "Officina Zanè");
    cr_assert_str_eq (c->member_id, "provincia-pn");
    cr_assert_str_eq (c->operator_, "Giulia Bassi");
    cr_assert_str_eq (c->contacted_on, earlier);
    cr_assert_eq (c->how, SNODO__REGISTRY__CONTACT_HOW__CONTACT_HOW_PHONE);
    cr_assert_str_eq (c->next_on, tomorrow);
    cr_assert_gt (c->created_at, 0);
    snodo__registry__company_contact__free_unpacked (c, NULL);
    //  today is not the future; the CPI, at the other company, with no next step
    Snodo__Registry__AddCompanyContactRequest visit = SNODO__REGISTRY__ADD_COMPANY_CONTACT_REQUEST__INIT;
    visit.company_id = b;
    visit.contacted_on = yesterday;
    visit.how = SNODO__REGISTRY__CONTACT_HOW__CONTACT_HOW_VISIT;
    visit.outcome = "nessun posto per ora";
    visit.operator_ = "Marco Neri";
    cr_assert_eq (sn_client_call (cpi, "registry.AddCompanyContact", "", &visit.base, NULL, NULL, &result),
                  TS_CODE (OK), "%s", result.message);
    visit.contacted_on = today;
    visit.how = SNODO__REGISTRY__CONTACT_HOW__CONTACT_HOW_MEETING;
    cr_assert_eq (sn_client_call (cpi, "registry.AddCompanyContact", "", &visit.base, NULL, NULL, &result),
                  TS_CODE (OK), "%s", result.message);

    //  every one, newest first; by company, by member, by operator (any case)
    Snodo__Registry__ListCompanyContactsReply *list = s_contacts (sil, "", "", "");
    cr_assert_eq (list->n_contacts, 3);
    cr_assert_str_eq (list->contacts [0]->contacted_on, today);
    cr_assert_str_eq (list->contacts [2]->contacted_on, earlier);
    cr_assert_str_eq (list->contacts [1]->company_name, "Società Agricola Nord");
    snodo__registry__list_company_contacts_reply__free_unpacked (list, NULL);
    list = s_contacts (prov, a, "", "");
    cr_assert_eq (list->n_contacts, 1);
    cr_assert_str_eq (list->contacts [0]->outcome, "interessati a un tirocinio");
    snodo__registry__list_company_contacts_reply__free_unpacked (list, NULL);
    list = s_contacts (prov, "", "cpi-pn", "");
    cr_assert_eq (list->n_contacts, 2);
    cr_assert_str_eq (list->contacts [0]->operator_, "Marco Neri");
    snodo__registry__list_company_contacts_reply__free_unpacked (list, NULL);
    list = s_contacts (prov, "", "", "giulia BASSI");
    cr_assert_eq (list->n_contacts, 1);
    cr_assert_str_eq (list->contacts [0]->member_id, "provincia-pn");
    snodo__registry__list_company_contacts_reply__free_unpacked (list, NULL);
    //  a company sees the contacts with itself, and no other
    list = s_contacts (firm, "", "", "");
    cr_assert_eq (list->n_contacts, 1);
    cr_assert_str_eq (list->contacts [0]->company_id, a);
    snodo__registry__list_company_contacts_reply__free_unpacked (list, NULL);
    list = s_contacts (firm, b, "", "");
    cr_assert_eq (list->n_contacts, 0);
    snodo__registry__list_company_contacts_reply__free_unpacked (list, NULL);
    //  page by page, in the same order
    Snodo__Registry__Page page = SNODO__REGISTRY__PAGE__INIT;
    page.limit = 2;
    Snodo__Registry__ListCompanyContactsRequest paged = SNODO__REGISTRY__LIST_COMPANY_CONTACTS_REQUEST__INIT;
    paged.page = &page;
    cr_assert_eq (sn_client_call (prov, "registry.ListCompanyContacts", "", &paged.base,
                                  &snodo__registry__list_company_contacts_reply__descriptor,
                                  (ProtobufCMessage **) &list, &result), TS_CODE (OK), "%s", result.message);
    cr_assert_eq (list->n_contacts, 2);
    cr_assert_str_eq (list->contacts [1]->contacted_on, yesterday);
    cr_assert_str_eq (list->next, list->contacts [1]->id);
    char *next = strdup (list->next);
    snodo__registry__list_company_contacts_reply__free_unpacked (list, NULL);
    page.after = next;
    cr_assert_eq (sn_client_call (prov, "registry.ListCompanyContacts", "", &paged.base,
                                  &snodo__registry__list_company_contacts_reply__descriptor,
                                  (ProtobufCMessage **) &list, &result), TS_CODE (OK), "%s", result.message);
    cr_assert_eq (list->n_contacts, 1);
    cr_assert_str_eq (list->contacts [0]->contacted_on, earlier);
    cr_assert_str_empty (list->next);
    snodo__registry__list_company_contacts_reply__free_unpacked (list, NULL);
    free (next);
    //  a bad filter is named
    Snodo__Registry__ListCompanyContactsRequest bad = SNODO__REGISTRY__LIST_COMPANY_CONTACTS_REQUEST__INIT;
    bad.company = "Officina";
    cr_assert_eq (sn_client_call (prov, "registry.ListCompanyContacts", "", &bad.base, NULL, NULL, &result),
                  TS_CODE (INVALID_ARGUMENT));
    cr_assert_str_eq (result.fields [0], "company");

    //  each one audited against its company, and an event for the services
    cr_assert_eq (ts_count (reg->dbname, "SELECT count (*) FROM registry.audit WHERE method = "
                            "'registry.AddCompanyContact' AND subject = '%s' AND member_id = 'provincia-pn' "
                            "AND outcome = 0", a), 1);
    cr_assert_eq (ts_count (reg->dbname, "SELECT count (*) FROM registry.audit WHERE method = "
                            "'registry.AddCompanyContact' AND subject = '%s' AND outcome = 0", b), 2);
    cr_assert_eq (s_events ("registry.company_contact.added"), 3);
    free (a);
    free (b);
    sn_client_destroy (&firm);
    sn_client_destroy (&sil);
    sn_client_destroy (&cpi);
    sn_client_destroy (&prov);
}

static void
s_rmdir (const char *dir)
{
    char cmd [600];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq (system (cmd), 0);
}

Test (operators, snodoctl_records_a_company_contact_and_lists_it_with_the_company_name)
{
    sn_client_t *prov = ts_member_client (reg, "provincia-pn", TS_KIND (PROVINCIA), NULL, NULL);
    char *a = s_company (prov, "00743110157", "Officina Zanè", 57, "");
    char dir [] = "/tmp/snodoctl-ops-XXXXXX";
    ts_snodoctl_dir (dir, reg, "admin", NULL, NULL, NULL, NULL, NULL);
    char earlier [11], later [11];
    s_day (-3, earlier);
    s_day (5, later);
    cr_assert_eq (ts_snodoctl (dir, "companies contact %s %s visit \"disponibili due posti\" --operator "
                                    "\"Giulia Bassi\" --next-step \"richiamare\" --next-on %s", a, earlier, later), 0);
    char *out = ts_read (dir, "out.txt");
    cr_assert (strstr (out, "companyName: Officina Zanè") && strstr (out, "how: VISIT"), "%s", out);
    free (out);
    cr_assert_eq (ts_snodoctl (dir, "companies contacts --operator \"Giulia Bassi\""), 0);
    out = ts_read (dir, "out.txt");
    cr_assert (strstr (out, "Officina Zanè") && strstr (out, "disponibili due posti") && strstr (out, "VISIT")
               && strstr (out, "admin") && strstr (out, later) && strstr (out, "(1)"), "%s", out);
    free (out);
    //  a missing argument never reaches the registry; a date to come is refused there
    cr_assert_eq (ts_snodoctl (dir, "companies contact %s %s visit", a, earlier), 2);
    cr_assert_eq (ts_snodoctl (dir, "companies contact %s %s phone \"x\"", a, later), 1);
    char *err = ts_read (dir, "err.txt");
    cr_assert (strstr (err, "contacted_on") && strstr (err, "in the future"), "%s", err);
    free (err);
    cr_assert_eq (ts_count (reg->dbname, "SELECT count (*) FROM registry.company_contact"), 1);
    s_rmdir (dir);
    free (a);
    sn_client_destroy (&prov);
}

//  --- the team's notes on a person ----------------------------------------------

//  AddPersonNote as client; the note in *out when given (caller frees).
static int
s_note (sn_client_t *client, const char *person_id, int kind, const char *text, const char *date,
        Snodo__Registry__PersonNote **out, sn_result_t *result)
{
    Snodo__Registry__AddPersonNoteRequest req = SNODO__REGISTRY__ADD_PERSON_NOTE_REQUEST__INIT;
    req.person_id = (char *) person_id;
    req.kind = (Snodo__Registry__NoteKind) kind;
    req.text = (char *) text;
    req.date = (char *) date;
    return sn_client_call (client, "registry.AddPersonNote", "placement", &req.base,
                           &snodo__registry__person_note__descriptor, (ProtobufCMessage **) out, result);
}

//  CorrectPersonNote as client.
static int
s_correct (sn_client_t *client, const char *id, const char *text, uint32_t expected, sn_result_t *result)
{
    Snodo__Registry__CorrectPersonNoteRequest req = SNODO__REGISTRY__CORRECT_PERSON_NOTE_REQUEST__INIT;
    req.id = (char *) id;
    req.text = (char *) text;
    req.expected_version = expected;
    return sn_client_call (client, "registry.CorrectPersonNote", "placement", &req.base, NULL, NULL, result);
}

//  ListPersonNotes as client: the code, the reply in *out when OK.
static int
s_notes (sn_client_t *client, const char *person_id, bool history, Snodo__Registry__ListPersonNotesReply **out)
{
    Snodo__Registry__ListPersonNotesRequest req = SNODO__REGISTRY__LIST_PERSON_NOTES_REQUEST__INIT;
    req.person_id = (char *) person_id;
    req.history = history;
    *out = NULL;
    return sn_client_call (client, "registry.ListPersonNotes", "placement", &req.base,
                           &snodo__registry__list_person_notes_reply__descriptor, (ProtobufCMessage **) out, NULL);
}

Test (operators, notes_on_a_person_are_only_for_who_may_see_the_person_and_keep_every_version)
{
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, NULL);
    sn_client_t *coop = ts_member_client (reg, "coop-guida", TS_KIND (COOPERATIVA), NULL, NULL);
    sn_client_t *stranger = ts_member_client (reg, "coop-altra", TS_KIND (COOPERATIVA), NULL, NULL);
    char *id = ts_create_person (sil, 420, NULL);
    char earlier [11], today [11], tomorrow [11];
    s_day (-7, earlier);
    s_day (0, today);
    s_day (1, tomorrow);
    sn_result_t result;
    //  each bad field named, nothing written
    cr_assert_eq (s_note (sil, id, 0, "", tomorrow, NULL, &result), TS_CODE (INVALID_ARGUMENT));
    cr_assert_eq (result.n_violations, 3, "%s", result.message);
    cr_assert_str_eq (result.fields [0], "kind");
    cr_assert_str_eq (result.fields [1], "text");
    cr_assert_str_eq (result.fields [2], "date");
    cr_assert (strstr (result.descriptions [2], "in the future"), "%s", result.descriptions [2]);
    cr_assert_eq (ts_count (reg->dbname, "SELECT count (*) FROM registry.person_note"), 0);

    //  the referring service writes one, dated; the date left out is today
    Snodo__Registry__PersonNote *strength = NULL, *problem = NULL;
    cr_assert_eq (s_note (sil, id, SNODO__REGISTRY__NOTE_KIND__NOTE_KIND_STRENGTH, "puntuale e preciso",
                          earlier, &strength, &result), TS_CODE (OK), "%s", result.message);
    cr_assert_eq (strength->version, 1);
    cr_assert_str_eq (strength->date, earlier);
    cr_assert_str_eq (strength->written_by, "ass6-sil");
    cr_assert (strength->current);
    //  someone with no relationship reads nothing, writes nothing, corrects nothing; audited
    Snodo__Registry__ListPersonNotesReply *list = NULL;
    cr_assert_eq (s_notes (stranger, id, false, &list), TS_CODE (PERMISSION_DENIED));
    cr_assert_eq (s_note (stranger, id, SNODO__REGISTRY__NOTE_KIND__NOTE_KIND_PROBLEM, "x", "", NULL, &result),
                  TS_CODE (PERMISSION_DENIED));
    cr_assert_eq (s_correct (stranger, strength->id, "falso", 0, &result), TS_CODE (PERMISSION_DENIED));
    cr_assert_eq (ts_count (reg->dbname, "SELECT count (*) FROM registry.audit WHERE member_id = 'coop-altra' "
                            "AND subject = '%s' AND outcome = %d AND method = 'registry.ListPersonNotes'",
                            id, TS_CODE (PERMISSION_DENIED)), 1);
    cr_assert_eq (ts_count (reg->dbname, "SELECT count (*) FROM registry.person_note"), 1);

    //  a member of the team writes, and corrects the other's note: a new version
    sn_client_t *service = ts_member_client (reg, "monitoring", TS_KIND (SERVICE), NULL, NULL);
    Snodo__Registry__TeamRequest team = SNODO__REGISTRY__TEAM_REQUEST__INIT;
    team.person_id = id;
    team.member_id = "coop-guida";
    team.pathway_id = "p1";
    cr_assert_eq (sn_client_call (service, "registry.AddTeamMember", "monitoring", &team.base, NULL, NULL, NULL),
                  TS_CODE (OK));
    cr_assert_eq (s_note (coop, id, SNODO__REGISTRY__NOTE_KIND__NOTE_KIND_PROBLEM, "fatica nei turni lunghi", "",
                          &problem, &result), TS_CODE (OK), "%s", result.message);
    cr_assert_str_eq (problem->date, today);
    cr_assert_eq (s_correct (coop, strength->id, "puntuale, preciso e ordinato", 1, &result), TS_CODE (OK),
                  "%s", result.message);
    //  a correction on a version that is no longer the latest, or one that changes nothing
    cr_assert_eq (s_correct (sil, strength->id, "puntuale", 1, &result), TS_CODE (ABORTED));
    cr_assert_eq (s_correct (sil, strength->id, "puntuale, preciso e ordinato", 0, &result),
                  TS_CODE (INVALID_ARGUMENT));
    cr_assert_str_eq (result.fields [0], "text");

    //  the current versions, then every version: the old one still readable
    cr_assert_eq (s_notes (sil, id, false, &list), TS_CODE (OK));
    cr_assert_eq (list->n_notes, 2);
    cr_assert_str_eq (list->notes [0]->id, problem->id, "today's note first");
    cr_assert_str_eq (list->notes [1]->text, "puntuale, preciso e ordinato");
    cr_assert_eq (list->notes [1]->version, 2);
    cr_assert_str_eq (list->notes [1]->written_by, "coop-guida");
    cr_assert_str_eq (list->notes [1]->date, earlier, "the date kept from the version before");
    snodo__registry__list_person_notes_reply__free_unpacked (list, NULL);
    cr_assert_eq (s_notes (coop, id, true, &list), TS_CODE (OK));
    cr_assert_eq (list->n_notes, 3);
    cr_assert_eq (list->notes [2]->version, 1);
    cr_assert_str_eq (list->notes [2]->text, "puntuale e preciso");
    cr_assert_str_eq (list->notes [2]->written_by, "ass6-sil");
    cr_assert_not (list->notes [2]->current);
    cr_assert (list->notes [1]->current);
    snodo__registry__list_person_notes_reply__free_unpacked (list, NULL);
    //  the table keeps them: a version is never changed in place
    PGconn *db = ts_db_connect (reg->dbname);
    PGresult *res = PQexec (db, "UPDATE registry.person_note SET text = 'altro'");
    cr_assert_eq (PQresultStatus (res), PGRES_FATAL_ERROR, "a note's version was changed in place");
    PQclear (res);
    PQfinish (db);

    //  reads audited as the person's data is; events for those who may see the person
    cr_assert_geq (ts_count (reg->dbname, "SELECT count (*) FROM registry.audit WHERE member_id = 'ass6-sil' "
                             "AND subject = '%s' AND outcome = 0 AND method = 'registry.ListPersonNotes' "
                             "AND purpose = 'placement'", id), 1);
    cr_assert_eq (s_events ("registry.person_note.added"), 2);
    cr_assert_eq (s_events ("registry.person_note.corrected"), 1);
    //  personal data: a purpose is needed
    Snodo__Registry__ListPersonNotesRequest bare = SNODO__REGISTRY__LIST_PERSON_NOTES_REQUEST__INIT;
    bare.person_id = id;
    cr_assert_eq (sn_client_call (sil, "registry.ListPersonNotes", "", &bare.base, NULL, NULL, &result),
                  TS_CODE (INVALID_ARGUMENT));
    cr_assert_str_eq (result.fields [0], "purpose");
    snodo__registry__person_note__free_unpacked (problem, NULL);
    snodo__registry__person_note__free_unpacked (strength, NULL);
    free (id);
    sn_client_destroy (&service);
    sn_client_destroy (&stranger);
    sn_client_destroy (&coop);
    sn_client_destroy (&sil);
}

Test (operators, snodoctl_writes_and_lists_the_notes_on_a_person_by_codice_fiscale)
{
    zcert_t *sil_cert = NULL;
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, &sil_cert);
    char *id = ts_create_person (sil, 430, NULL);
    char cf [17], earlier [11];
    ts_codice_fiscale (430, cf);
    s_day (-2, earlier);
    char dir [] = "/tmp/snodoctl-notes-XXXXXX";
    ts_snodoctl_dir (dir, reg, "admin", "ass6-sil", sil_cert, NULL, NULL, NULL);
    cr_assert_eq (ts_snodoctl (dir, "--as ass6-sil persons note %s capacity \"sa usare il tornio\" --date %s",
                               cf, earlier), 0);
    char *out = ts_read (dir, "out.txt");
    cr_assert (strstr (out, "kind: CAPACITY") && strstr (out, "writtenBy: ass6-sil"), "%s", out);
    free (out);
    cr_assert_eq (ts_snodoctl (dir, "--as ass6-sil persons notes %s", cf), 0);
    out = ts_read (dir, "out.txt");
    cr_assert (strstr (out, "sa usare il tornio") && strstr (out, "CAPACITY") && strstr (out, earlier)
               && strstr (out, "(1)"), "%s", out);
    free (out);
    //  the operator has no relationship with the person
    cr_assert_eq (ts_snodoctl (dir, "persons notes %s", id), 1);
    char *err = ts_read (dir, "err.txt");
    cr_assert (strstr (err, "PERMISSION_DENIED"), "%s", err);
    free (err);
    cr_assert_eq (ts_snodoctl (dir, "--as ass6-sil persons note %s capacity", cf), 2);
    s_rmdir (dir);
    free (id);
    zcert_destroy (&sil_cert);
    sn_client_destroy (&sil);
}

//  --- the law 68/1999 quota ---------------------------------------------------------

Test (operators, the_law_68_quota_counts_a_fraction_above_one_half_as_one_more_worker_and_says_how)
{
    static const struct {
        uint32_t employees, quota;
        const char *how;
    } cases [] = {
        {0, 0, "0 (0 employees, under 15: no reserved job)"},
        {14, 0, "0 (14 employees, under 15: no reserved job)"},
        {15, 1, "1 (15 employees, 15-35: 1 worker)"},
        {35, 1, "1 (35 employees, 15-35: 1 worker)"},
        {36, 2, "2 (36 employees, 36-50: 2 workers)"},
        {50, 2, "2 (50 employees, 36-50: 2 workers)"},
        {51, 4, "4 (7 % of 51 = 3.57 → 4: a fraction above one half counts as one more worker)"},
        {57, 4, "4 (7 % of 57 = 3.99 → 4: a fraction above one half counts as one more worker)"},
        {100, 7, "7 (7 % of 100 = 7.00 → 7)"},
        {107, 7, "7 (7 % of 107 = 7.49 → 7: a fraction of one half or less is dropped)"},
        {108, 8, "8 (7 % of 108 = 7.56 → 8: a fraction above one half counts as one more worker)"},
        {120, 8, "8 (7 % of 120 = 8.40 → 8: a fraction of one half or less is dropped)"},
        {150, 10, "10 (7 % of 150 = 10.50 → 10: a fraction of one half or less is dropped)"},
        {151, 11, "11 (7 % of 151 = 10.57 → 11: a fraction above one half counts as one more worker)"},
        {1000000, 70000, "70000 (7 % of 1000000 = 70000.00 → 70000)"},
        {4000000000u, 280000000, "280000000 (7 % of 4000000000 = 280000000.00 → 280000000)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char how [200];
        cr_expect_eq (registry_law68_quota (cases [i].employees), cases [i].quota, "%u employees",
                      cases [i].employees);
        cr_expect_eq (sn_law68_explain (cases [i].employees, how, sizeof how), cases [i].quota);
        cr_expect_str_eq (how, cases [i].how);
    }
}

Test (operators, snodoctl_shows_a_company_s_quota_with_how_it_was_computed)
{
    sn_client_t *prov = ts_member_client (reg, "provincia-pn", TS_KIND (PROVINCIA), NULL, NULL);
    char *a = s_company (prov, "00743110157", "Officina Zanè", 57, "");
    char *b = s_company (prov, "01234560934", "Società Agricola Nord", 20, "");
    char dir [] = "/tmp/snodoctl-quota-XXXXXX";
    ts_snodoctl_dir (dir, reg, "admin", NULL, NULL, NULL, NULL, NULL);
    cr_assert_eq (ts_snodoctl (dir, "companies get %s", a), 0);
    char *out = ts_read (dir, "out.txt");
    cr_assert (strstr (out, "quota: 4 (7 % of 57 = 3.99 → 4: a fraction above one half counts as one more worker)")
               && strstr (out, "uncovered: 4"), "%s", out);
    free (out);
    cr_assert_eq (ts_snodoctl (dir, "companies get %s", b), 0);
    out = ts_read (dir, "out.txt");
    cr_assert (strstr (out, "quota: 1 (20 employees, 15-35: 1 worker)"), "%s", out);
    free (out);
    //  scripts get the number
    cr_assert_eq (ts_snodoctl (dir, "--json companies get %s", a), 0);
    out = ts_read (dir, "out.txt");
    cr_assert (strstr (out, "\"quota\": 4,"), "%s", out);
    free (out);
    s_rmdir (dir);
    free (a);
    free (b);
    sn_client_destroy (&prov);
}
