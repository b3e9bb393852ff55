/*  snodoctl demo load, the operators' own records: the employment office's
    contacts with the companies whose law 68/1999 quota is most uncovered
    (the collocamento mirato's outreach), and the SIL's notes on the first
    persons it refers (capacities, strengths, problems to take into
    account), so that "companies contacts" and "persons notes" show
    something in a first session. Deterministic; once the office has a
    contact, or a person a note, a second load adds none. */
#include "snodoctl.h"
#include <string.h>

#define HOW(x) SNODO__REGISTRY__CONTACT_HOW__CONTACT_HOW_##x
#define NOTE(x) SNODO__REGISTRY__NOTE_KIND__NOTE_KIND_##x
#define CONTACTED 5             //  companies the office contacted
#define NOTED 3                 //  persons the SIL wrote notes on

//  A contact the office made: when, how, what came of it and what next.
typedef struct {
    const char *on;
    int how;
    const char *outcome, *next_step, *next_on;
} s_contact_t;

static const s_contact_t s_contacts [] = {
    {"2026-10-06", HOW (PHONE), "interessati a un tirocinio in magazzino", "visita in azienda", "2026-10-20"},
    {"2026-10-20", HOW (VISIT), "disponibili ad accogliere una persona con tutor interno",
     "proposta di convenzione art. 11", "2026-11-10"},
    {"2026-10-13", HOW (EMAIL), "inviato il prospetto della quota scoperta", "", ""},
    {"2026-10-27", HOW (MEETING), "incontro con il responsabile del personale: nessuna posizione per ora",
     "ricontattare a gennaio", "2027-01-15"},
    {"2026-11-03", HOW (PHONE), "chiedono profili per l'ufficio amministrativo", "invio di due candidature",
     "2026-11-17"},
};

//  A note of the SIL's team: its kind and text.
typedef struct {
    int kind;
    const char *text;
} s_note_t;

static const s_note_t s_notes [] = {
    {NOTE (STRENGTH), "puntuale e precisa nei compiti ripetitivi"},
    {NOTE (PROBLEM), "si affatica nei turni oltre le quattro ore: prevedere pause"},
    {NOTE (CAPACITY), "potenziale per mansioni d'ufficio semplici, con affiancamento"},
};

//  The office's contacts, unless it has some already. Sets *added.
static int
s_contacts_load (ctl_t *ctl, int *added)
{
    Snodo__Registry__ListCompanyContactsRequest mine = SNODO__REGISTRY__LIST_COMPANY_CONTACTS_REQUEST__INIT;
    Snodo__Registry__Page one = SNODO__REGISTRY__PAGE__INIT;
    one.limit = 1;
    mine.member = "cpi-pordenone";
    mine.page = &one;
    Snodo__Registry__ListCompanyContactsReply *known = NULL;
    if (ctl_demo_call (ctl, "cpi-pordenone", "registry.ListCompanyContacts", &mine.base,
                       &snodo__registry__list_company_contacts_reply__descriptor, (ProtobufCMessage **) &known))
        return -1;
    bool loaded = known->n_contacts > 0;
    protobuf_c_message_free_unpacked (&known->base, NULL);
    if (loaded)
        return 0;
    Snodo__Registry__ListCompaniesRequest list = SNODO__REGISTRY__LIST_COMPANIES_REQUEST__INIT;
    Snodo__Registry__Page page = SNODO__REGISTRY__PAGE__INIT;
    page.limit = CONTACTED;
    list.uncovered_only = true;
    list.page = &page;
    Snodo__Registry__ListCompaniesReply *companies = NULL;
    if (ctl_demo_call (ctl, "cpi-pordenone", "registry.ListCompanies", &list.base,
                       &snodo__registry__list_companies_reply__descriptor, (ProtobufCMessage **) &companies))
        return -1;
    int rc = 0;
    for (size_t i = 0; i < companies->n_companies && i < CONTACTED && rc == 0; i++) {
        const s_contact_t *c = &s_contacts [i];
        Snodo__Registry__AddCompanyContactRequest req = SNODO__REGISTRY__ADD_COMPANY_CONTACT_REQUEST__INIT;
        req.company_id = companies->companies [i]->id;
        req.contacted_on = (char *) c->on;
        req.how = (Snodo__Registry__ContactHow) c->how;
        req.outcome = (char *) c->outcome;
        req.next_step = (char *) c->next_step;
        req.next_on = (char *) c->next_on;
        req.operator_ = i % 2 ? "Marta Colussi" : "Paolo De Marchi";
        rc = ctl_demo_call (ctl, "cpi-pordenone", "registry.AddCompanyContact", &req.base, NULL, NULL) ? -1 : 0;
        *added += rc == 0;
    }
    protobuf_c_message_free_unpacked (&companies->base, NULL);
    return rc;
}

//  The SIL's notes on its first persons, each unless it has some already.
//  Sets *added.
static int
s_notes_load (ctl_t *ctl, int *added)
{
    Snodo__Registry__ListPersonsRequest list = SNODO__REGISTRY__LIST_PERSONS_REQUEST__INIT;
    Snodo__Registry__Page page = SNODO__REGISTRY__PAGE__INIT;
    page.limit = NOTED;
    list.referring_member_id = "ass6-sil";
    list.page = &page;
    Snodo__Registry__ListPersonsReply *persons = NULL;
    if (ctl_demo_call (ctl, "ass6-sil", "registry.ListPersons", &list.base,
                       &snodo__registry__list_persons_reply__descriptor, (ProtobufCMessage **) &persons))
        return -1;
    int rc = 0;
    for (size_t i = 0; i < persons->n_persons && rc == 0; i++) {
        Snodo__Registry__ListPersonNotesRequest mine = SNODO__REGISTRY__LIST_PERSON_NOTES_REQUEST__INIT;
        mine.person_id = persons->persons [i]->id;
        Snodo__Registry__ListPersonNotesReply *known = NULL;
        rc = ctl_demo_call (ctl, "ass6-sil", "registry.ListPersonNotes", &mine.base,
                            &snodo__registry__list_person_notes_reply__descriptor, (ProtobufCMessage **) &known)
           ? -1 : 0;
        bool loaded = rc == 0 && known->n_notes > 0;
        if (known)
            protobuf_c_message_free_unpacked (&known->base, NULL);
        for (size_t k = 0; rc == 0 && !loaded && k <= i; k++) {
            Snodo__Registry__AddPersonNoteRequest req = SNODO__REGISTRY__ADD_PERSON_NOTE_REQUEST__INIT;
            req.person_id = persons->persons [i]->id;
            req.kind = (Snodo__Registry__NoteKind) s_notes [k].kind;
            req.text = (char *) s_notes [k].text;
            req.date = k ? "2026-10-22" : "2026-10-08";
            rc = ctl_demo_call (ctl, "ass6-sil", "registry.AddPersonNote", &req.base, NULL, NULL) ? -1 : 0;
            *added += rc == 0;
        }
    }
    protobuf_c_message_free_unpacked (&persons->base, NULL);
    return rc;
}

int
ctl_demo_contacts (ctl_t *ctl)
{
    int contacts = 0, notes = 0;
    if (s_contacts_load (ctl, &contacts) || s_notes_load (ctl, &notes))
        return -1;
    printf ("demo: %d contacts of the employment office with companies, %d notes of the SIL on its persons\n",
            contacts, notes);
    return 0;
}
