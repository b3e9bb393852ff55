/*  The registry as the operators live seed 000 (issue 19): who assessed a
    profile, a consent granted twice, contacts with companies, the team's
    notes on a person, the law 68/1999 quota and how it was computed.
    Against a real PostgreSQL, over CURVE on loopback. */
#include "testsupport.h"
#include <criterion/criterion.h>
#include <string.h>

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
