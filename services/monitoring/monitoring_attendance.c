/*  Attendance (controllo delle presenze): daily presence or absence, with
    hours, recorded one at a time or in batches of up to MAX_BATCH records in
    one transaction and one statement; totals per ISO week and per month. */
#include "monitoring.h"
#include <math.h>
#include <string.h>

#define MAX_BATCH 500
#define PRESENCE(x) SNODO__MONITORING__PRESENCE__PRESENCE_##x

//  The field prefix of record i: "records[i]." in a batch, "record." alone.
static void
s_prefix (char *out, size_t size, bool batch, size_t i)
{
    if (batch)
        snprintf (out, size, "records[%zu].", i);
    else
        snprintf (out, size, "record.");
}

//  Checks one record on its own (not against its pathway). The field's name
//  is made only for a violation: most records have none, and a batch checks
//  hundreds.
static void
s_check_record (sn_call_t *call, bool batch, size_t i, const Snodo__Monitoring__AttendanceRecord *r,
                const char *today)
{
    char prefix [48], field [64];
#define FIELD(name) (s_prefix (prefix, sizeof prefix, batch, i), \
                     snprintf (field, sizeof field, "%s" name, prefix), field)
    if (!sn_is_uuid (r->pathway_id))
        sn_call_violation (call, FIELD ("pathway_id"), "\"%.40s\" is not a UUID", r->pathway_id);
    if (!sn_date_valid (r->day))
        sn_check_date (call, FIELD ("day"), r->day, true);
    else
    if (strcmp (r->day, today) > 0)
        sn_call_violation (call, FIELD ("day"), "%s is in the future", r->day);
    bool presence_ok = r->presence != 0
        && protobuf_c_enum_descriptor_get_value (&snodo__monitoring__presence__descriptor, r->presence);
    if (!presence_ok)
        sn_check_enum (call, FIELD ("presence"), &snodo__monitoring__presence__descriptor, r->presence, true);
    if (!isfinite (r->hours) || r->hours < 0 || r->hours > 12)
        sn_call_violation (call, FIELD ("hours"), "%g is out of range 0-12", isfinite (r->hours) ? r->hours : -1.0);
    else
    if (!presence_ok)
        ;       //  the hours that go with it cannot be told
    else
    if (r->presence == PRESENCE (PRESENT) && lround (r->hours * 100) <= 0)
        //  kept to the hundredth: 0.004 hours would be stored as none
        sn_call_violation (call, FIELD ("hours"), "a day present needs its hours (0.01 to 12)");
    else
    if (r->presence != PRESENCE (PRESENT) && r->hours != 0)
        sn_call_violation (call, FIELD ("hours"), "an absence has 0 hours, not %g", r->hours);
    if (r->note && strlen (r->note) > 500)
        sn_check_text (call, FIELD ("note"), r->note, 500, false);
#undef FIELD
}

//  A record's "pathway day" key, the pathway's id in lower case (as
//  PostgreSQL reads it), and its index.
typedef struct {
    char key [64];
    size_t index;
} s_key_t;

static void
s_key_set (s_key_t *self, const Snodo__Monitoring__AttendanceRecord *r, size_t index)
{
    memset (self->key, 0, sizeof self->key);
    for (size_t i = 0; i < 40 && r->pathway_id [i]; i++) {
        char c = r->pathway_id [i];
        self->key [i] = c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
    }
    for (size_t i = 0; i < 20 && r->day [i]; i++)
        self->key [41 + i] = r->day [i];
    self->index = index;
}

//  By key, then by index: the first of equal keys is the earliest record.
static int
s_key_compare (const void *a, const void *b)
{
    const s_key_t *x = (const s_key_t *) a, *y = (const s_key_t *) b;
    int rc = memcmp (x->key, y->key, sizeof x->key);
    return rc ? rc : x->index < y->index ? -1 : x->index > y->index;
}

//  A request's records while they are recorded: their keys, sorted, and the
//  pathways they name.
typedef struct {
    Snodo__Monitoring__AttendanceRecord *const *records;   //  the request's (borrowed)
    size_t n;
    bool batch;                     //  RecordAttendanceBatch: fields are "records[i]."
    s_key_t *keys;                  //  the records' keys, sorted
    char **ids;                     //  the pathways, each once, in key order (into keys)
    size_t n_ids;
    size_t *runs;                   //  ids [j]'s keys are runs [j] to runs [j + 1]
    size_t *pathway_of;             //  record i's pathway is ids [pathway_of [i]]
    char **persons;                 //  ids [j]'s person (owned), once the pathways are read
} s_records_t;

static void
s_records_free (s_records_t *self)
{
    for (size_t j = 0; self->persons && j < self->n_ids; j++)
        free (self->persons [j]);
    free (self->persons);
    free (self->pathway_of);
    free (self->runs);
    free (self->ids);
    free (self->keys);
}

//  Checks each record on its own, and that no pathway and day comes twice.
//  The keys, sorted: the same pathway and day twice is a run of equal keys
//  (its first the record the others repeat), and a pathway's records are
//  one run of keys with that pathway, its days in order.
static int
s_records_check (sn_call_t *call, s_records_t *self)
{
    char today [11];
    mon_today (call, today);
    if (self->n == 0)
        sn_call_violation (call, self->batch ? "records" : "record", "at least one record is required");
    if (self->n > MAX_BATCH)
        sn_call_violation (call, "records", "%zu records: at most %d in one batch", self->n, MAX_BATCH);
    size_t checked = self->n < MAX_BATCH ? self->n : MAX_BATCH;
    self->keys = (s_key_t *) malloc ((checked ? checked : 1) * sizeof (s_key_t));
    for (size_t i = 0; i < checked; i++)
        s_key_set (&self->keys [i], self->records [i], i);
    qsort (self->keys, checked, sizeof (s_key_t), s_key_compare);
    size_t *first = (size_t *) malloc ((checked ? checked : 1) * sizeof (size_t));
    const s_key_t *keys = self->keys;
    for (size_t k = 0; k < checked; k++)
        first [keys [k].index] = k > 0 && memcmp (keys [k].key, keys [k - 1].key, sizeof keys [k].key) == 0
                               ? first [keys [k - 1].index] : keys [k].index;
    for (size_t i = 0; i < checked; i++) {
        s_check_record (call, self->batch, i, self->records [i], today);
        if (first [i] != i) {
            char prefix [48], field [64];
            s_prefix (prefix, sizeof prefix, self->batch, i);
            snprintf (field, sizeof field, "%sday", prefix);
            sn_call_violation (call, field, "%s is also in records[%zu]", self->records [i]->day, first [i]);
        }
    }
    free (first);
    return sn_call_violations (call) ? sn_call_invalid (call) : SNODO__CODE__OK;
}

//  The pathways, each once, in lower case and in order (as PostgreSQL orders
//  them), from the sorted keys.
static void
s_records_group (s_records_t *self)
{
    self->ids = (char **) calloc (self->n, sizeof (char *));
    self->runs = (size_t *) calloc (self->n + 1, sizeof (size_t));
    self->pathway_of = (size_t *) calloc (self->n, sizeof (size_t));
    self->persons = (char **) calloc (self->n, sizeof (char *));
    for (size_t k = 0; k < self->n; k++) {
        if (k == 0 || strcmp (self->keys [k].key, self->keys [k - 1].key) != 0) {
            self->runs [self->n_ids] = k;
            self->ids [self->n_ids++] = self->keys [k].key;
        }
        self->pathway_of [self->keys [k].index] = self->n_ids - 1;
    }
    self->runs [self->n_ids] = self->n;
}

//  One round trip: the pathways (locked against a concurrent close) and
//  every record written. The records are checked against their pathways'
//  rows after (s_records_verify): any that should not have been written
//  fails the call, and a failed call's writes are rolled back with it (its
//  savepoint or its transaction). Filtering in the statement (a join, and
//  RETURNING to count the rows) cost the database a fifth more than the
//  insert alone; writing first, 6-8 % more (bench_monitoring prints it).
//  Returns the pathways' rows in the order of ids, or NULL with the call's
//  status set.
static PGresult *
s_records_write (sn_call_t *call, s_records_t *self)
{
    //  checked before: a date of 10 characters, a presence of one digit,
    //  hours within 0-12, kept to the hundredth as the column does
    sn_array_t pathways = SN_ARRAY_INIT, days = SN_ARRAY_INIT, presences = SN_ARRAY_INIT,
               hours = SN_ARRAY_INIT, notes = SN_ARRAY_INIT, ids = SN_ARRAY_INIT;
    sn_array_reserve (&days, self->n * 12);
    sn_array_reserve (&presences, self->n * 2);
    sn_array_reserve (&hours, self->n * 6);
    sn_array_reserve (&pathways, self->n * 40);
    for (size_t i = 0; i < self->n; i++) {
        const Snodo__Monitoring__AttendanceRecord *r = self->records [i];
        sn_array_raw (&days, r->day, 10);
        char digit = (char) ('0' + r->presence);
        sn_array_raw (&presences, &digit, 1);
        sn_array_cents (&hours, r->hours);
        sn_array_text (&pathways, r->pathway_id);
        sn_array_text (&notes, r->note);
    }
    sn_array_texts (&ids, self->ids, self->n_ids);
    char kind [8];
    snprintf (kind, sizeof kind, "%d", sn_call_member_kind (call));
    const char *params [8] = {sn_array_end (&ids), sn_call_member_id (call), kind,
                              sn_array_end (&pathways), sn_array_end (&days), sn_array_end (&presences),
                              sn_array_end (&hours), sn_array_end (&notes)};
    PGresult *res = sn_call_query (call, "recording the attendance", MON_ATTENDANCE_SQL, 8, params);
    sn_array_free (&ids);
    sn_array_free (&days);
    sn_array_free (&presences);
    sn_array_free (&hours);
    sn_array_free (&pathways);
    sn_array_free (&notes);
    return res;
}

//  Checks the written records against their pathways' rows (res, in the
//  order of ids): each pathway found, the caller's to touch and ACTIVE, and
//  no day before its start. Keeps each pathway's person and audits it.
static int
s_records_verify (sn_call_t *call, s_records_t *self, const PGresult *res)
{
    int rows = PQntuples (res), code = SNODO__CODE__OK;
    int *row_of = (int *) calloc (self->n_ids ? self->n_ids : 1, sizeof (int));
    for (size_t j = 0, row = 0; code == SNODO__CODE__OK && j < self->n_ids; j++) {
        while ((int) row < rows && strcmp (PQgetvalue (res, (int) row, 0), self->ids [j]) < 0)
            row++;
        if ((int) row == rows || strcmp (PQgetvalue (res, (int) row, 0), self->ids [j]) != 0) {
            code = sn_call_fail (call, SNODO__CODE__NOT_FOUND, "no such pathway %s", self->ids [j]);
            break;
        }
        row_of [j] = (int) row;
        sn_call_audit (call, PQgetvalue (res, (int) row, 1));
        self->persons [j] = strdup (PQgetvalue (res, (int) row, 1));
        int state = atoi (PQgetvalue (res, (int) row, 2));
        if (PQgetvalue (res, (int) row, 4) [0] != 't')
            code = sn_call_fail (call, SNODO__CODE__PERMISSION_DENIED,
                                 "member %s is not the referring service of pathway %s nor in its team",
                                 sn_call_member_id (call), self->ids [j]);
        else
        if (state != MON_STATE (ACTIVE))
            code = sn_call_fail (call, SNODO__CODE__FAILED_PRECONDITION,
                                 "pathway %s is %s: attendance is recorded while it is ACTIVE",
                                 self->ids [j], mon_state_name (state));
    }
    for (size_t i = 0; code == SNODO__CODE__OK && i < self->n; i++) {
        const char *start = PQgetvalue (res, row_of [self->pathway_of [i]], 3);
        if (strcmp (self->records [i]->day, start) < 0) {
            char prefix [48], field [64];
            s_prefix (prefix, sizeof prefix, self->batch, i);
            snprintf (field, sizeof field, "%sday", prefix);
            sn_call_violation (call, field, "%s is before the start of the pathway (%s)",
                               self->records [i]->day, start);
        }
    }
    free (row_of);
    if (code == SNODO__CODE__OK && sn_call_violations (call))
        code = sn_call_invalid (call);
    return code;
}

//  One event per pathway, with what was recorded (not the records: small
//  events).
static int
s_records_emit (sn_call_t *call, const s_records_t *self)
{
    for (size_t j = 0; j < self->n_ids; j++) {
        Snodo__Monitoring__AttendanceRecorded body = SNODO__MONITORING__ATTENDANCE_RECORDED__INIT;
        body.pathway_id = self->ids [j];
        body.person_id = self->persons [j];
        //  its keys: its days in order
        size_t from = self->runs [j], to = self->runs [j + 1];
        body.first_day = self->records [self->keys [from].index]->day;
        body.last_day = self->records [self->keys [to - 1].index]->day;
        for (size_t k = from; k < to; k++) {
            const Snodo__Monitoring__AttendanceRecord *r = self->records [self->keys [k].index];
            body.records++;
            body.hours += r->hours;
            body.absences += r->presence != PRESENCE (PRESENT);
        }
        if (sn_call_event (call, "monitoring.attendance.recorded", self->ids [j], body.person_id, &body.base))
            return sn_call_code (call);
    }
    return SNODO__CODE__OK;
}

//  Records n records in one statement, checking each on its own before and
//  against its pathway after. Any bad record: nothing is kept.
static int
s_record_all (sn_call_t *call, Snodo__Monitoring__AttendanceRecord *const *records, size_t n, bool batch,
              ProtobufCMessage **output)
{
    s_records_t self = {.records = records, .n = n, .batch = batch};
    int code = s_records_check (call, &self);
    if (code == SNODO__CODE__OK) {
        s_records_group (&self);
        PGresult *res = s_records_write (call, &self);
        code = res ? s_records_verify (call, &self, res) : sn_call_code (call);
        PQclear (res);
    }
    if (code == SNODO__CODE__OK)
        code = s_records_emit (call, &self);
    if (code == SNODO__CODE__OK) {
        Snodo__Monitoring__RecordAttendanceReply *reply = (Snodo__Monitoring__RecordAttendanceReply *)
            sn_message_new (&snodo__monitoring__record_attendance_reply__descriptor);
        reply->recorded = (uint32_t) n;
        *output = &reply->base;
    }
    s_records_free (&self);
    return code;
}

//  RecordAttendance: one day.
static int
s_record_attendance (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Monitoring__RecordAttendanceRequest *req = (const void *) input;
    if (!req->record) {
        sn_call_violation (call, "record", "is required");
        return sn_call_invalid (call);
    }
    return s_record_all (call, &req->record, 1, false, output);
}

//  RecordAttendanceBatch: up to MAX_BATCH days, all or none.
static int
s_record_attendance_batch (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Monitoring__RecordAttendanceBatchRequest *req = (const void *) input;
    return s_record_all (call, req->records, req->n_records, true, output);
}

//  Totals per ISO week ("2026-W03") or month ("2026-01"), within from..to.
static int
s_attendance_totals (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Monitoring__AttendanceTotalsRequest *req = (const void *) input;
    sn_check_enum (call, "period", &snodo__monitoring__period__descriptor, req->period, false);
    sn_check_date (call, "from", req->from, false);
    sn_check_date (call, "to", req->to, false);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    Snodo__Monitoring__Pathway *p = mon_pathway_load (call, "pathway_id", req->pathway_id, false);
    if (!p)
        return sn_call_code (call);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    const char *format = req->period == SNODO__MONITORING__PERIOD__PERIOD_MONTH ? "YYYY-MM" : "IYYY-\"W\"IW";
    const char *params [4] = {req->pathway_id, format, req->from, req->to};
    PGresult *res = sn_call_query (call, "totalling the attendance",
        "SELECT to_char (day, $2), count (*) FILTER (WHERE presence = " SN_SQL (MON_SQL_PRESENT) "), "
        "       count (*) FILTER (WHERE presence = " SN_SQL (MON_SQL_ABSENT_JUSTIFIED) "), "
        "       count (*) FILTER (WHERE presence = " SN_SQL (MON_SQL_ABSENT_UNJUSTIFIED) "), sum (hours)::float8 "
        "FROM attendance WHERE pathway_id = $1 AND (NULLIF ($3, '') IS NULL OR day >= NULLIF ($3, '')::date) "
        "AND (NULLIF ($4, '') IS NULL OR day <= NULLIF ($4, '')::date) "
        "GROUP BY 1 ORDER BY 1", 4, params);
    if (!res)
        return sn_call_code (call);
    Snodo__Monitoring__AttendanceTotalsReply *reply = (Snodo__Monitoring__AttendanceTotalsReply *)
        sn_message_new (&snodo__monitoring__attendance_totals_reply__descriptor);
    int rows = PQntuples (res);
    reply->totals = (Snodo__Monitoring__AttendanceTotal **) calloc ((size_t) rows + 1, sizeof (void *));
    for (int i = 0; i < rows; i++) {
        Snodo__Monitoring__AttendanceTotal *t = (Snodo__Monitoring__AttendanceTotal *)
            sn_message_new (&snodo__monitoring__attendance_total__descriptor);
        t->period = strdup (PQgetvalue (res, i, 0));
        t->present_days = (uint32_t) atoi (PQgetvalue (res, i, 1));
        t->justified_absences = (uint32_t) atoi (PQgetvalue (res, i, 2));
        t->unjustified_absences = (uint32_t) atoi (PQgetvalue (res, i, 3));
        t->hours = atof (PQgetvalue (res, i, 4));
        reply->totals [reply->n_totals++] = t;
    }
    PQclear (res);
    *output = &reply->base;
    return SNODO__CODE__OK;
}

const sn_method_t mon_attendance_methods [] = {
    SN_METHOD (RecordAttendance, s_record_attendance, SN_ANY_KIND, SN_WRITE | SN_PERSONAL),
    SN_METHOD (RecordAttendanceBatch, s_record_attendance_batch, SN_ANY_KIND, SN_WRITE | SN_PERSONAL),
    SN_METHOD (AttendanceTotals, s_attendance_totals, SN_ANY_KIND, SN_PERSONAL),
    SN_METHODS_END
};
