/*  sn_check: shared field checks and handler helpers. */
#include "sn_check.h"
#include <string.h>
#include <time.h>

void
sn_check_text (sn_call_t *call, const char *field, const char *text, size_t max, bool required)
{
    if (!text || !*text) {
        if (required)
            sn_call_violation (call, field, "is required");
        return;
    }
    if (strlen (text) > max)
        sn_call_violation (call, field, "is longer than %zu characters", max);
}

void
sn_check_enum (sn_call_t *call, const char *field, const ProtobufCEnumDescriptor *desc, int value,
               bool required)
{
    if (value == 0) {
        if (required)
            sn_call_violation (call, field, "is required");
        return;
    }
    if (!protobuf_c_enum_descriptor_get_value (desc, value))
        sn_call_violation (call, field, "%d is not a value of %s", value, desc->name);
}

int
sn_month_days (int year, int month)
{
    static const int days [] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return days [month - 1] + (month == 2 && leap);
}

int
sn_date_parse (const char *date, int *y, int *m, int *d)
{
    if (!date || strlen (date) != 10 || date [4] != '-' || date [7] != '-')
        return -1;
    int digits [8], n = 0;
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7)
            continue;
        if (date [i] < '0' || date [i] > '9')
            return -1;          //  no sign, no space: "2026-+1-01" is not a date
        digits [n++] = date [i] - '0';
    }
    *y = digits [0] * 1000 + digits [1] * 100 + digits [2] * 10 + digits [3];
    *m = digits [4] * 10 + digits [5];
    *d = digits [6] * 10 + digits [7];
    if (*y < 1900 || *y > 2200 || *m < 1 || *m > 12 || *d < 1 || *d > sn_month_days (*y, *m))
        return -1;
    return 0;
}

bool
sn_date_valid (const char *date)
{
    int y, m, d;
    return sn_date_parse (date, &y, &m, &d) == 0;
}

void
sn_check_date (sn_call_t *call, const char *field, const char *date, bool required)
{
    if (!date || !*date) {
        if (required)
            sn_call_violation (call, field, "is required");
        return;
    }
    if (!sn_date_valid (date))
        sn_call_violation (call, field, "\"%.16s\" is not a date (YYYY-MM-DD)", date);
}

void
sn_check_scores (sn_call_t *call, const char *field, const ProtobufCMessage *scores, uint32_t max,
                 bool required)
{
    if (!scores) {
        if (required)
            sn_call_violation (call, field, "is required");
        return;
    }
    const ProtobufCMessageDescriptor *desc = scores->descriptor;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields [i];
        assert (f->type == PROTOBUF_C_TYPE_UINT32 && f->label != PROTOBUF_C_LABEL_REPEATED);
        uint32_t score = *(const uint32_t *) ((const char *) scores + f->offset);
        if (score > max)
            sn_call_violation (call, field, "%s is %u, out of range 0-%u", f->name, score, max);
    }
}

bool
sn_is_uuid (const char *s)
{
    if (!s || strlen (s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        char c = s [i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        }
        else
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

void
sn_new_uuid (char *out)
{
    zuuid_t *uuid = zuuid_new ();
    snprintf (out, 37, "%s", zuuid_str_canonical (uuid));
    zuuid_destroy (&uuid);
}

void
sn_set_string (char **field, const char *value)
{
    if (*field && *field != protobuf_c_empty_string)
        free (*field);
    *field = strdup (value ? value : "");
}

PGresult *
sn_call_query (sn_call_t *call, const char *what, const char *sql, int n, const char *const *params)
{
    PGresult *res = sn_call_exec (call, sql, n, params, NULL, NULL, 0);
    ExecStatusType status = PQresultStatus (res);
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
        return res;
    sn_call_db_error (call, res, what);
    return NULL;
}

PGresult *
sn_call_query_planned (sn_call_t *call, const char *what, const char *sql, int n, const char *const *params)
{
    PGconn *db = sn_call_db (call);     //  the transaction begun, if it waited
    if (!db || sn_call_code (call) != SNODO__CODE__OK)
        return NULL;
    PGresult *res = PQexecParams (db, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType status = PQresultStatus (res);
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
        return res;
    sn_call_db_error (call, res, what);
    return NULL;
}

void
sn_set_texts (char **values, size_t *n)
{
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++) {
        size_t k = 0;
        while (k < kept && !streq (values [k], values [i]))
            k++;
        if (k == kept)
            values [kept++] = values [i];
        else
        if (values [i] != protobuf_c_empty_string)
            free (values [i]);
    }
    *n = kept;
}

void
sn_date_today (char *out)
{
    time_t now = time (NULL);
    struct tm tm;
    localtime_r (&now, &tm);
    strftime (out, 11, "%Y-%m-%d", &tm);
}
