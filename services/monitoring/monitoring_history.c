/*  The dated history of a pathway: its transitions, each with the day it
    happened, and the rules that keep those days in order. */
#include "monitoring.h"
#include <string.h>

void
mon_history_append (Snodo__Monitoring__Pathway *p, int from, const char *date, const char *member,
                    const char *note)
{
    Snodo__Monitoring__StateChange *c = (Snodo__Monitoring__StateChange *)
        sn_message_new (&snodo__monitoring__state_change__descriptor);
    c->from = (Snodo__Monitoring__PathwayState) from;
    c->to = p->state;
    sn_set_string (&c->date, date);
    sn_set_string (&c->member_id, member);
    sn_set_string (&c->note, note ? note : "");
    p->history = (Snodo__Monitoring__StateChange **)
        realloc (p->history, (p->n_history + 1) * sizeof (Snodo__Monitoring__StateChange *));
    assert (p->history);
    p->history [p->n_history++] = c;
}

int
mon_history_store (sn_call_t *call, const Snodo__Monitoring__Pathway *p)
{
    assert (p->n_history > 0);
    const Snodo__Monitoring__StateChange *c = p->history [p->n_history - 1];
    char from [8], to [8];
    snprintf (from, sizeof from, "%d", c->from);
    snprintf (to, sizeof to, "%d", c->to);
    const char *params [6] = {p->id, from, to, c->date, c->member_id, c->note};
    PGresult *res = sn_call_query (call, "recording the transition", MON_TRANSITION_SQL, 6, params);
    if (!res)
        return sn_call_code (call);
    PQclear (res);
    return SNODO__CODE__OK;
}

const char *
mon_history_last (const Snodo__Monitoring__Pathway *p)
{
    return p->n_history ? p->history [p->n_history - 1]->date : p->referred_on;
}

const char *
mon_history_date (const Snodo__Monitoring__Pathway *p, int state)
{
    for (size_t i = p->n_history; i > 0; i--)
        if ((int) p->history [i - 1]->to == state)
            return p->history [i - 1]->date;
    return NULL;
}

//  What a state's entry is called in a refusal: "the project was presented".
static const char *
s_event_name (int state)
{
    static const char *const names [] = {
        NULL, "the referral was made", "the intake started", "the assessment started",
        "the matching started", "the project was presented", "the agreement was signed",
        "the placement started", "the pathway was suspended", "the pathway was closed"};
    return state >= 1 && state <= 9 ? names [state] : "the last transition";
}

void
mon_history_check (sn_call_t *call, const Snodo__Monitoring__Pathway *p, int to, const char *field,
                   const char *date)
{
    if (!sn_date_valid (date))
        return;
    const char *presented = mon_history_date (p, MON_STATE (PROJECT));
    if (to == MON_STATE (AGREEMENT) && presented && strcmp (date, presented) < 0) {
        sn_call_violation (call, field, "%s is before %s on %s", date, s_event_name (MON_STATE (PROJECT)),
                           presented);
        return;
    }
    if (strcmp (date, p->referred_on) < 0) {
        sn_call_violation (call, field, "%s is before the referral on %s", date, p->referred_on);
        return;
    }
    const char *last = mon_history_last (p);
    if (strcmp (date, last) < 0)
        sn_call_violation (call, field, "%s is before %s on %s", date,
                           s_event_name (p->n_history ? (int) p->history [p->n_history - 1]->to : 1), last);
}

void
mon_check_past (sn_call_t *call, const char *field, const char *date, bool required, const char *today)
{
    sn_check_date (call, field, date, required);
    if (sn_date_valid (date) && strcmp (date, today) > 0)
        sn_call_violation (call, field, "%s is in the future", date);
}

void
mon_check_since_referral (sn_call_t *call, const Snodo__Monitoring__Pathway *p, const char *field,
                          const char *date)
{
    if (sn_date_valid (date) && strcmp (date, p->referred_on) < 0)
        sn_call_violation (call, field, "%s is before the referral on %s", date, p->referred_on);
}

void
mon_check_since_start (sn_call_t *call, const Snodo__Monitoring__Pathway *p, const char *field, const char *date)
{
    if (*p->start_date && sn_date_valid (date) && strcmp (date, p->start_date) < 0)
        sn_call_violation (call, field, "%s is before the start (%s)", date, p->start_date);
}

int
mon_recorded (sn_call_t *call, PGresult *res, const ProtobufCMessageDescriptor *desc, const char *type,
              const char *subject, const char *person, ProtobufCMessage **output)
{
    char err [256];
    ProtobufCMessage *record = sn_json_to_message (desc, PQgetvalue (res, 0, 0), err, sizeof err);
    PQclear (res);
    if (!record)
        return sn_call_fail (call, SNODO__CODE__INTERNAL, "the %s written could not be read back: %s",
                             desc->short_name, err);
    if (sn_call_event (call, type, subject, person, record)) {
        protobuf_c_message_free_unpacked (record, NULL);
        return sn_call_code (call);
    }
    *output = record;
    return SNODO__CODE__OK;
}
