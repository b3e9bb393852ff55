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

//  Appends ",text" (or "text" first) to an array literal being built.
static char *
s_append (char *at, bool first, const char *text, size_t len)
{
    if (!first)
        *at++ = ',';
    memcpy (at, text, len);
    return at + len;
}

//  Records n records in one statement, checking each on its own before and
//  against its pathway after (found, the caller's to touch, ACTIVE, the day
//  not before its start). Any bad record: nothing is kept.
static int
s_record_all (sn_call_t *call, Snodo__Monitoring__AttendanceRecord **records, size_t n, bool batch,
              ProtobufCMessage **output)
{
    char today [11], prefix [48];
    mon_today (call, today);
    if (n == 0)
        sn_call_violation (call, batch ? "records" : "record", "at least one record is required");
    if (n > MAX_BATCH)
        sn_call_violation (call, "records", "%zu records: at most %d in one batch", n, MAX_BATCH);
    //  The records' keys, sorted: the same pathway and day twice is a run of
    //  equal keys (its first the record the others repeat), and a pathway's
    //  records are one run of keys with that pathway, its days in order.
    size_t checked = n < MAX_BATCH ? n : MAX_BATCH;
    s_key_t *keys = (s_key_t *) malloc ((checked ? checked : 1) * sizeof (s_key_t));
    for (size_t i = 0; i < checked; i++)
        s_key_set (&keys [i], records [i], i);
    qsort (keys, checked, sizeof (s_key_t), s_key_compare);
    size_t *first = (size_t *) malloc ((checked ? checked : 1) * sizeof (size_t));
    for (size_t k = 0; k < checked; k++)
        first [keys [k].index] = k > 0 && memcmp (keys [k].key, keys [k - 1].key, sizeof keys [k].key) == 0
                               ? first [keys [k - 1].index] : keys [k].index;
    for (size_t i = 0; i < checked; i++) {
        s_check_record (call, batch, i, records [i], today);
        if (first [i] != i) {
            char field [64];
            s_prefix (prefix, sizeof prefix, batch, i);
            snprintf (field, sizeof field, "%sday", prefix);
            sn_call_violation (call, field, "%s is also in records[%zu]", records [i]->day, first [i]);
        }
    }
    free (first);
    if (sn_call_violations (call)) {
        free (keys);
        return sn_call_invalid (call);
    }

    //  the pathways, each once, in lower case and in order (as PostgreSQL
    //  orders them): ids [j], its keys from runs [j] to runs [j + 1]
    char **ids = (char **) calloc (n, sizeof (char *));
    size_t *runs = (size_t *) calloc (n + 1, sizeof (size_t));
    size_t *pathway_of = (size_t *) calloc (n, sizeof (size_t));        //  record -> its pathway's j
    size_t n_ids = 0;
    for (size_t k = 0; k < n; k++) {
        if (k == 0 || strcmp (keys [k].key, keys [k - 1].key) != 0) {
            runs [n_ids] = k;
            ids [n_ids++] = keys [k].key;
        }
        pathway_of [keys [k].index] = n_ids - 1;
    }
    runs [n_ids] = n;
    //  the records as arrays, for one statement
    size_t cap = 64 + n * 64;
    char *days = (char *) malloc (cap), *presences = (char *) malloc (cap), *hours = (char *) malloc (cap);
    char *dp = days, *pp = presences, *hp = hours;
    char **pathway_items = (char **) calloc (n + 1, sizeof (char *));
    char **note_items = (char **) calloc (n + 1, sizeof (char *));
    *dp++ = '{';
    *pp++ = '{';
    *hp++ = '{';
    for (size_t i = 0; i < n; i++) {
        //  checked above: a date of 10 characters, a presence of one digit,
        //  hours within 0-12 (written to the hundredth, as the column keeps them)
        const Snodo__Monitoring__AttendanceRecord *r = records [i];
        dp = s_append (dp, i == 0, r->day, 10);
        char digit = (char) ('0' + r->presence);
        pp = s_append (pp, i == 0, &digit, 1);
        long cents = lround (r->hours * 100);
        char text [8] = {(char) ('0' + cents / 1000), (char) ('0' + cents / 100 % 10), '.',
                         (char) ('0' + cents / 10 % 10), (char) ('0' + cents % 10)};
        hp = s_append (hp, i == 0, cents >= 1000 ? text : text + 1, cents >= 1000 ? 5 : 4);
        pathway_items [i] = r->pathway_id;
        note_items [i] = r->note;
    }
    strcpy (dp, "}");
    strcpy (pp, "}");
    strcpy (hp, "}");
    char *pathways = sn_text_array (pathway_items, n);
    char *notes = sn_text_array (note_items, n);
    char *id_array = sn_text_array (ids, n_ids);
    char kind [8];
    snprintf (kind, sizeof kind, "%d", sn_call_member_kind (call));
    //  One round trip: the pathways (locked against a concurrent close) and
    //  every record written. The records are checked against their pathways'
    //  rows after: any that should not have been written (an unknown pathway,
    //  one not the caller's or not ACTIVE, a day before its start) fails the
    //  call, and a failed call's writes are rolled back with it (its savepoint
    //  or its transaction). Filtering in the statement (a join, and RETURNING
    //  to count the rows) cost the database a fifth more than the insert
    //  alone; writing first, 6-8 % more (bench_monitoring prints it).
    const char *params [8] = {id_array, sn_call_member_id (call), kind, pathways, days, presences, hours,
                              notes};
    PGresult *res = sn_call_query (call, "recording the attendance", MON_ATTENDANCE_SQL, 8, params);
    free (id_array);
    free (days);
    free (presences);
    free (hours);
    free (pathways);
    free (notes);
    free (note_items);
    int code = res ? SNODO__CODE__OK : sn_call_code (call);
    int rows = res ? PQntuples (res) : 0;
    //  the rows come in the order of ids: each pathway's row, or none
    char **persons = (char **) calloc (n_ids, sizeof (char *));
    int *row_of = (int *) calloc (n_ids ? n_ids : 1, sizeof (int));
    for (size_t j = 0, row = 0; code == SNODO__CODE__OK && j < n_ids; j++) {
        while ((int) row < rows && strcmp (PQgetvalue (res, (int) row, 0), ids [j]) < 0)
            row++;
        if ((int) row == rows || strcmp (PQgetvalue (res, (int) row, 0), ids [j]) != 0) {
            code = sn_call_fail (call, SNODO__CODE__NOT_FOUND, "no such pathway %s", ids [j]);
            break;
        }
        row_of [j] = (int) row;
        sn_call_audit (call, PQgetvalue (res, (int) row, 1));
        persons [j] = strdup (PQgetvalue (res, (int) row, 1));
        int state = atoi (PQgetvalue (res, (int) row, 2));
        if (PQgetvalue (res, (int) row, 4) [0] != 't')
            code = sn_call_fail (call, SNODO__CODE__PERMISSION_DENIED,
                                 "member %s is not the referring service of pathway %s nor in its team",
                                 sn_call_member_id (call), ids [j]);
        else
        if (state != MON_STATE (ACTIVE))
            code = sn_call_fail (call, SNODO__CODE__FAILED_PRECONDITION,
                                 "pathway %s is %s: attendance is recorded while it is ACTIVE",
                                 ids [j], mon_state_name (state));
    }
    //  every pathway there, the caller's and ACTIVE: no day before its start
    for (size_t i = 0; code == SNODO__CODE__OK && i < n; i++) {
        const char *start = PQgetvalue (res, row_of [pathway_of [i]], 3);
        if (strcmp (records [i]->day, start) < 0) {
            char field [64];
            s_prefix (prefix, sizeof prefix, batch, i);
            snprintf (field, sizeof field, "%sday", prefix);
            sn_call_violation (call, field, "%s is before the start of the pathway (%s)", records [i]->day, start);
        }
    }
    free (row_of);
    free (pathway_of);
    if (code == SNODO__CODE__OK && sn_call_violations (call))
        code = sn_call_invalid (call);
    PQclear (res);
    if (code != SNODO__CODE__OK) {
        for (size_t j = 0; j < n_ids; j++)
            free (persons [j]);
        free (persons);
        free (pathway_items);
        free (ids);
        free (runs);
        free (keys);
        return code;
    }

    //  one event per pathway, with what was recorded (not the records: small events)
    for (size_t j = 0; code == SNODO__CODE__OK && j < n_ids; j++) {
        Snodo__Monitoring__AttendanceRecorded body = SNODO__MONITORING__ATTENDANCE_RECORDED__INIT;
        body.pathway_id = ids [j];
        body.person_id = persons [j];
        //  its keys: its days in order
        body.first_day = records [keys [runs [j]].index]->day;
        body.last_day = records [keys [runs [j + 1] - 1].index]->day;
        for (size_t k = runs [j]; k < runs [j + 1]; k++) {
            const Snodo__Monitoring__AttendanceRecord *r = records [keys [k].index];
            body.records++;
            body.hours += r->hours;
            body.absences += r->presence != PRESENCE (PRESENT);
        }
        if (sn_call_event (call, "monitoring.attendance.recorded", ids [j], &body.base))
            code = sn_call_code (call);
    }
    for (size_t j = 0; j < n_ids; j++)
        free (persons [j]);
    free (persons);
    free (pathway_items);
    free (ids);
    free (runs);
    free (keys);
    if (code != SNODO__CODE__OK)
        return code;
    Snodo__Monitoring__RecordAttendanceReply *reply = (Snodo__Monitoring__RecordAttendanceReply *)
        sn_message_new (&snodo__monitoring__record_attendance_reply__descriptor);
    reply->recorded = (uint32_t) n;
    *output = &reply->base;
    return SNODO__CODE__OK;
}

//  RecordAttendance: one day.
static int
s_record_attendance (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    Snodo__Monitoring__RecordAttendanceRequest *req = (Snodo__Monitoring__RecordAttendanceRequest *) input;
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
    Snodo__Monitoring__RecordAttendanceBatchRequest *req = (Snodo__Monitoring__RecordAttendanceBatchRequest *) input;
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
        "SELECT to_char (day, $2), count (*) FILTER (WHERE presence = 1), count (*) FILTER (WHERE presence = 2), "
        "       count (*) FILTER (WHERE presence = 3), sum (hours)::float8 "
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
