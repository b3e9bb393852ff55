/*  sn_check: the checks every service makes on a request's fields, and the
    small helpers its handlers share. Each check records a violation on the
    call (sn_call_violation: the field's path and why); a handler that has
    recorded any returns sn_call_invalid (call). */
#ifndef SN_CHECK_H_INCLUDED
#define SN_CHECK_H_INCLUDED

#include "sn_array.h"
#include "sn_server.h"

//  A text: required (not empty) if asked, at most max bytes.
void sn_check_text (sn_call_t *call, const char *field, const char *text, size_t max, bool required);

//  An enum: a value of desc; 0 (unspecified) is refused only if required.
void sn_check_enum (sn_call_t *call, const char *field, const ProtobufCEnumDescriptor *desc,
                    int value, bool required);

//  A date "YYYY-MM-DD" that exists, years 1900-2200.
void sn_check_date (sn_call_t *call, const char *field, const char *date, bool required);

//  A message of scores: every field of scores is a uint32 (asserted) and
//  must be at most max (the registry's Profile: 29 scores, each 0-5). A
//  missing message is refused only if required.
void sn_check_scores (sn_call_t *call, const char *field, const ProtobufCMessage *scores, uint32_t max,
                      bool required);

//  A repeated field of texts that is a set: keeps the first of each text, in
//  order, frees the others, and sets *n to how many are left.
void sn_set_texts (char **values, size_t *n);

//  True if date is "YYYY-MM-DD" (digits only), years 1900-2200, and the day
//  exists.
bool sn_date_valid (const char *date);
//  The same, with its parts: 0, or -1 when it is not such a date.
int sn_date_parse (const char *date, int *y, int *m, int *d);
//  The days of month (1-12) of year, in the Gregorian calendar.
int sn_month_days (int year, int month);
//  Today in the process's time zone (TZ; a service sets it from its
//  time_zone setting before it starts threads). out: 11 bytes.
void sn_date_today (char *out);

//  True if s is a UUID in its canonical text form (any case).
bool sn_is_uuid (const char *s);

//  A new random UUID as text (37 bytes with the NUL).
void sn_new_uuid (char *out);

//  Sets a message's string field to a copy of value (NULL: ""), freeing the
//  old one unless it is protobuf-c's shared empty string.
void sn_set_string (char **field, const char *value);

//  Runs sql with text parameters on the call's connection (prepared). Returns
//  the result when its status is TUPLES_OK or COMMAND_OK (caller PQclear's);
//  else sets the call's status from the error, saying what failed, and
//  returns NULL.
PGresult *sn_call_query (sn_call_t *call, const char *what, const char *sql, int n, const char *const *params);

//  The same, unprepared: planned each time with its parameters' values.
//  For a look-up of many keys at once (= ANY ($1), an array): a plan kept
//  for the connection is made once, when the table may still be small, and
//  a sequential scan chosen then stays while the table grows (a batch's
//  persons read in 28 ms at 10,000 rows, 1.5 ms planned with the array).
PGresult *sn_call_query_planned (sn_call_t *call, const char *what, const char *sql, int n,
                                 const char *const *params);

#endif
