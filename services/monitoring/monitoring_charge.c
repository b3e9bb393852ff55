/*  Who takes a person in charge and who takes the person back: the
    relationships with the person that a pathway's own acts give
    (docs/monitoring.md, "Taking in charge and handing back").

    Each is a row of the pathway's team with a role only the service gives
    (PROVINCE_OFFICE, SOCIAL_SERVICES), written in the transition's
    transaction with its monitoring.team.member_added event; the forwarder
    tells the registry, which then lets that member see the person, as it
    does for any team member. One table says who works on a person's
    pathways, and every service's copy of who may see the person follows it
    without a rule of its own. */
#include "monitoring.h"
#include "sn_log.h"
#include <string.h>

#define ROLE(x) SNODO__MONITORING__TEAM_ROLE__TEAM_ROLE_##x

//  Puts member_id into p's team with role (no staff name), unless it is in
//  it already under that role, with the event. Returns a code.
static int
s_join (sn_call_t *call, const Snodo__Monitoring__Pathway *p, const char *member_id, int role)
{
    char role_text [8];
    snprintf (role_text, sizeof role_text, "%d", role);
    const char *params [3] = {p->id, member_id, role_text};
    PGresult *res = sn_call_query (call, "adding to the team",
        "INSERT INTO team_member (pathway_id, member_id, role, name, referente) "
        "SELECT $1, $2, $3::int, '', false WHERE NOT EXISTS (SELECT 1 FROM team_member "
        "  WHERE pathway_id = $1 AND member_id = $2 AND role = $3::int AND removed_at IS NULL) "
        "ON CONFLICT (pathway_id, member_id, name) WHERE removed_at IS NULL DO NOTHING "
        "RETURNING ms (added_at)", 3, params);
    if (!res)
        return sn_call_code (call);
    if (PQntuples (res) == 0) {
        PQclear (res);          //  in the team already: it sees the person
        return SNODO__CODE__OK;
    }
    Snodo__Monitoring__TeamMember *m =
        (Snodo__Monitoring__TeamMember *) sn_message_new (&snodo__monitoring__team_member__descriptor);
    sn_set_string (&m->pathway_id, p->id);
    sn_set_string (&m->person_id, p->person_id);
    sn_set_string (&m->member_id, member_id);
    m->role = (Snodo__Monitoring__TeamRole) role;
    m->added_at = atoll (PQgetvalue (res, 0, 0));
    PQclear (res);
    int rc = sn_call_event (call, "monitoring.team.member_added", m->pathway_id, m->person_id, &m->base);
    protobuf_c_message_free_unpacked (&m->base, NULL);
    return rc ? sn_call_code (call) : SNODO__CODE__OK;
}

//  A return to the social services: the SSC members of the person's ambito
//  join the team. FAILED_PRECONDITION when there is none to hand it to.
static int
s_hand_back (sn_call_t *call, const Snodo__Monitoring__Pathway *p)
{
    const char *params [1] = {p->person_id};
    PGresult *res = sn_call_query (call, "finding the social services of the person's ambito",
        "SELECT coalesce (pe.ambito, ''), d.id FROM person pe LEFT JOIN directory d "
        "ON d.kind = " SN_SQL (MON_SQL_SSC) " AND d.ambito = pe.ambito AND NOT d.revoked "
        "WHERE pe.id = $1 ORDER BY d.id", 1, params);
    if (!res)
        return sn_call_code (call);
    int rows = PQntuples (res);
    if (rows == 0 || PQgetisnull (res, 0, 1)) {
        char ambito [64];
        snprintf (ambito, sizeof ambito, "%s", rows ? PQgetvalue (res, 0, 0) : "");
        PQclear (res);
        if (!*ambito)
            return sn_call_fail (call, SNODO__CODE__FAILED_PRECONDITION,
                                 "person %s has no ambito: a return goes to the social services (SSC) of "
                                 "the person's ambito (set it in the registry first)", p->person_id);
        return sn_call_fail (call, SNODO__CODE__FAILED_PRECONDITION,
                             "no social services (SSC member) of ambito \"%s\" to return person %s to",
                             ambito, p->person_id);
    }
    int code = SNODO__CODE__OK;
    for (int i = 0; i < rows && code == SNODO__CODE__OK; i++)
        code = s_join (call, p, PQgetvalue (res, i, 1), ROLE (SOCIAL_SERVICES));
    PQclear (res);
    if (code == SNODO__CODE__OK)
        sn_debug ("monitoring: pathway %s returned to the %d SSC of its ambito", p->id, rows);
    return code;
}

int
mon_pathway_acts (sn_call_t *call, const Snodo__Monitoring__Pathway *p, int from)
{
    int kind = sn_call_member_kind (call);
    if (from == MON_STATE (REFERRED) && p->state == MON_STATE (INTAKE)
    &&  (kind == MON_KIND (PROVINCIA) || kind == MON_KIND (CPI)))
        return s_join (call, p, sn_call_member_id (call), ROLE (PROVINCE_OFFICE));
    if (p->state == MON_STATE (CLOSED) && p->outcome
    &&  p->outcome->kind == SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_RETURNED)
        return s_hand_back (call, p);
    return SNODO__CODE__OK;
}

bool
mon_team_role_given (int role)
{
    return role == ROLE (PROVINCE_OFFICE) || role == ROLE (SOCIAL_SERVICES);
}
