/*  The team's notes on a person (approfondimento della conoscenza della
    persona, seed 000): (potential) work capacities, strengths, problems to
    take into account, as the team comes to know them, each dated and signed
    by the member that wrote it, beside the ability profile. A correction is
    a new version of the note; the versions before stay readable. Only a
    member that may see the person (the person rule, as GetPerson applies
    it) reads or writes them, and each access is audited as a read of the
    person's data is. */
#include "registry.h"
#include <string.h>

//  A row n of person_note as the JSON of PersonNote.
#define NOTE_JSON \
    "jsonb_build_object ('id', n.id, 'version', n.version, 'personId', n.person_id, 'kind', n.kind, " \
    "'text', n.text, 'date', to_char (n.noted_on, 'YYYY-MM-DD'), 'writtenBy', n.written_by, " \
    "'writtenAt', ms (n.written_at), 'current', NOT EXISTS (SELECT 1 FROM person_note m " \
    "WHERE m.id = n.id AND m.version > n.version))::text"

//  Who writes notes: those who set the ability profile.
#define NOTE_WRITING_KINDS (REGISTRY_REFERRING_KINDS | SN_KIND (COOPERATIVA))

//  The most notes a list gives.
#define NOTE_LIST_MAX 1000

//  Checks a note's fields (kind 0 refused only if kind_required); today:
//  YYYY-MM-DD. Records violations.
static void
s_check_note (sn_call_t *call, int kind, bool kind_required, const char *text, const char *date)
{
    char today [11];
    sn_date_today (today);
    sn_check_enum (call, "kind", &snodo__registry__note_kind__descriptor, kind, kind_required);
    sn_check_text (call, "text", text, 4000, true);
    sn_check_date (call, "date", date, false);
    if (sn_date_valid (date) && strcmp (date, today) > 0)
        sn_call_violation (call, "date", "%s is in the future (today is %s)", date, today);
}

//  Writes a version of note id (date: YYYY-MM-DD) as the caller, then its
//  event; sets the output. Returns a code.
static int
s_write (sn_call_t *call, const char *id, uint32_t version, const char *person_id, int kind, const char *text,
         const char *date, const char *event, ProtobufCMessage **output)
{
    char version_text [16], kind_text [8];
    snprintf (version_text, sizeof version_text, "%u", version);
    snprintf (kind_text, sizeof kind_text, "%d", kind);
    const char *params [7] = {id, version_text, person_id, kind_text, text, date, sn_call_member_id (call)};
    PGresult *res = sn_call_query (call, "writing the note",
        "INSERT INTO person_note AS n (id, version, person_id, kind, text, noted_on, written_by) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING " NOTE_JSON, 7, params);
    if (!res)
        return sn_call_code (call);
    ProtobufCMessage *note = reg_message_from_json (call, &snodo__registry__person_note__descriptor,
                                                    PQgetvalue (res, 0, 0));
    PQclear (res);
    if (!note)
        return sn_call_code (call);
    if (sn_call_event (call, event, id, person_id, note)) {
        protobuf_c_message_free_unpacked (note, NULL);
        return sn_call_code (call);
    }
    *output = note;
    return SNODO__CODE__OK;
}

static int
s_add_person_note (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Registry__AddPersonNoteRequest *req = (const void *) input;
    s_check_note (call, req->kind, true, req->text, req->date);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    int code = reg_person_may_see (call, "person_id", req->person_id);
    if (code != SNODO__CODE__OK)
        return code;
    char id [37], today [11];
    sn_new_uuid (id);
    sn_date_today (today);
    return s_write (call, id, 1, req->person_id, req->kind, req->text, *req->date ? req->date : today,
                    "registry.person_note.added", output);
}

//  A note's latest version, as the row keeps it.
typedef struct {
    char person_id [37];
    uint32_t version;
    int kind;
    char date [11];
    char *text;                 //  owned
} s_latest_t;

//  Reads (and locks) note id's latest version into latest. Returns OK, or a
//  code set on the call (NOT_FOUND when there is no such note).
static int
s_latest (sn_call_t *call, const char *id, s_latest_t *latest)
{
    const char *params [1] = {id};
    PGresult *res = sn_call_query (call, "reading the note",
        "SELECT person_id, version, kind, to_char (noted_on, 'YYYY-MM-DD'), text FROM person_note "
        "WHERE id = $1 ORDER BY version DESC LIMIT 1 FOR UPDATE", 1, params);
    if (!res)
        return sn_call_code (call);
    int code = SNODO__CODE__OK;
    if (PQntuples (res) == 0)
        code = sn_call_fail (call, SNODO__CODE__NOT_FOUND, "no note %s", id);
    else {
        snprintf (latest->person_id, sizeof latest->person_id, "%s", PQgetvalue (res, 0, 0));
        latest->version = (uint32_t) atoi (PQgetvalue (res, 0, 1));
        latest->kind = atoi (PQgetvalue (res, 0, 2));
        snprintf (latest->date, sizeof latest->date, "%s", PQgetvalue (res, 0, 3));
        latest->text = strdup (PQgetvalue (res, 0, 4));
    }
    PQclear (res);
    return code;
}

static int
s_correct_person_note (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Registry__CorrectPersonNoteRequest *req = (const void *) input;
    if (!sn_is_uuid (req->id))
        sn_call_violation (call, "id", "\"%.40s\" is not a note's id (a UUID)", req->id);
    s_check_note (call, req->kind, false, req->text, req->date);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    s_latest_t latest = {.text = NULL};
    int code = s_latest (call, req->id, &latest);
    if (code == SNODO__CODE__OK)
        code = reg_person_may_see (call, "id", latest.person_id);
    if (code != SNODO__CODE__OK) {
        free (latest.text);
        return code;
    }
    int kind = req->kind ? (int) req->kind : latest.kind;
    const char *date = *req->date ? req->date : latest.date;
    if (req->expected_version && req->expected_version != latest.version)
        code = sn_call_fail (call, SNODO__CODE__ABORTED,
                             "the note changed meanwhile (version %u, expected %u): read it again",
                             latest.version, req->expected_version);
    else
    if (kind == latest.kind && streq (date, latest.date) && streq (req->text, latest.text)) {
        sn_call_violation (call, "text", "is the note as it is (version %u): nothing to correct", latest.version);
        code = sn_call_invalid (call);
    }
    else
        code = s_write (call, req->id, latest.version + 1, latest.person_id, kind, req->text, date,
                        "registry.person_note.corrected", output);
    free (latest.text);
    return code;
}

static int
s_list_person_notes (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Registry__ListPersonNotesRequest *req = (const void *) input;
    sn_check_enum (call, "kind", &snodo__registry__note_kind__descriptor, req->kind, false);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    int code = reg_person_may_see (call, "person_id", req->person_id);
    if (code != SNODO__CODE__OK)
        return code;
    char kind [8], max [16];
    snprintf (kind, sizeof kind, "%d", req->kind);
    snprintf (max, sizeof max, "%d", NOTE_LIST_MAX);
    const char *params [4] = {req->person_id, kind, req->history ? "t" : "f", max};
    PGresult *res = sn_call_query (call, "listing the notes",
        "SELECT " NOTE_JSON " FROM person_note n WHERE n.person_id = $1 AND ($2 = 0 OR n.kind = $2) "
        "AND ($3 OR NOT EXISTS (SELECT 1 FROM person_note m WHERE m.id = n.id AND m.version > n.version)) "
        "ORDER BY n.noted_on DESC, n.id, n.version DESC LIMIT $4", 4, params);
    if (!res)
        return sn_call_code (call);
    Snodo__Registry__ListPersonNotesReply *reply = (Snodo__Registry__ListPersonNotesReply *)
        sn_message_new (&snodo__registry__list_person_notes_reply__descriptor);
    int rows = PQntuples (res);
    reply->notes = (Snodo__Registry__PersonNote **) calloc ((size_t) rows + 1, sizeof (void *));
    for (int i = 0; i < rows; i++) {
        ProtobufCMessage *note = reg_message_from_json (call, &snodo__registry__person_note__descriptor,
                                                        PQgetvalue (res, i, 0));
        if (!note) {
            PQclear (res);
            protobuf_c_message_free_unpacked (&reply->base, NULL);
            return sn_call_code (call);
        }
        reply->notes [reply->n_notes++] = (Snodo__Registry__PersonNote *) note;
    }
    PQclear (res);
    *output = &reply->base;
    return SNODO__CODE__OK;
}

const sn_method_t registry_note_methods [] = {
    SN_METHOD (AddPersonNote, s_add_person_note, NOTE_WRITING_KINDS, SN_WRITE | SN_PERSONAL),
    SN_METHOD (CorrectPersonNote, s_correct_person_note, NOTE_WRITING_KINDS, SN_WRITE | SN_PERSONAL),
    SN_METHOD (ListPersonNotes, s_list_person_notes, REGISTRY_READING_KINDS, SN_PERSONAL),
    SN_METHODS_END
};
