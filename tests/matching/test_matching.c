/*  The matching service against the real registry: a real registry and a
    real matching server over CURVE on loopback, the matching service
    following the registry's events with sn_directory into its own schema,
    and clients as members of the network. */
#include "testsupport.h"
#include "matching.h"
#include "sn_directory.h"
#include <criterion/criterion.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define CODE(x) SNODO__CODE__##x

static ts_registry_t *reg;
static zcert_t *cert;               //  the matching service's
static char *conninfo;              //  as role matching
static matching_t *matching;
static sn_auth_t *follower_auth;    //  the directory's (the process's ZAP handler reads the registry's)
static sn_directory_t *directory;
static zactor_t *server;
static char *request, *events;
static zcert_t *sil_cert;
static zcert_t *dsm_cert;
static sn_client_t *sil;            //  to the registry, as ass6-sil
static sn_client_t *dsm;            //  to the registry, as ass6-dsm
static sn_client_t *admin;          //  to the registry, as the operator

static void
s_follow (void)
{
    sn_directory_config_t config = {
        .registry_request = reg->request,
        .registry_events = reg->events,
        .registry_key = zcert_public_txt (reg->cert),
        .cert = cert,
        .conninfo = conninfo,
        .schema = "matching",
        .migrations = matching_migrations,
        .auth = follower_auth,
        .apply = matching_apply_registry,
        .arg = matching,
    };
    directory = sn_directory_new (&config);
    cr_assert_not_null (directory);
}

static void
s_start_matching (void)
{
    matching = matching_new ();
    char err [256];
    cr_assert_eq (matching_start (matching, conninfo, err, sizeof err), 0, "%s", err);
    s_follow ();
    sn_service_t service = matching_service (matching);
    server = ts_server_start (reg, &service, conninfo, cert, &request, &events);
}

static void
s_stop_matching (void)
{
    zactor_destroy (&server);
    sn_directory_destroy (&directory);
    matching_destroy (&matching);
    zstr_free (&request);
    zstr_free (&events);
}

static void
setup (void)
{
    reg = ts_registry_start ("match", 2);
    cert = ts_service_cert (reg, "matching");
    conninfo = ts_service_conninfo (reg, "matching");
    follower_auth = sn_auth_new ();
    s_start_matching ();
    sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, &sil_cert);
    dsm = ts_member_client (reg, "ass6-dsm", TS_KIND (DSM), NULL, &dsm_cert);
    admin = ts_admin_client (reg);
}

static void
teardown (void)
{
    s_stop_matching ();
    sn_client_destroy (&sil);
    sn_client_destroy (&dsm);
    sn_client_destroy (&admin);
    zcert_destroy (&sil_cert);
    zcert_destroy (&dsm_cert);
    zcert_destroy (&cert);
    sn_auth_destroy (&follower_auth);
    zstr_free (&conninfo);
    ts_registry_destroy (&reg);
}

TestSuite (matching, .init = setup, .fini = teardown, .timeout = 60);

//  --- building the network ------------------------------------------------------------

#define PN_LAT 45.956
#define PN_LON 12.660

static void
s_set_scores (Snodo__Registry__Profile *p, uint32_t level)
{
    const ProtobufCMessageDescriptor *desc = &snodo__registry__profile__descriptor;
    for (unsigned i = 0; i < desc->n_fields; i++)
        *(uint32_t *) ((char *) p + desc->fields [i].offset) = level;
}

//  Creates person n (as client) with every score at level, and the given
//  hours range; concentration lowered to conc if conc > 0. Writes its id.
static void
s_person (sn_client_t *client, int n, uint32_t level, uint32_t conc, uint32_t min_hours, char id [37])
{
    Snodo__Registry__Person person;
    char cf [17];
    ts_person_init (&person, n, cf);
    Snodo__Registry__Profile scores = SNODO__REGISTRY__PROFILE__INIT;
    s_set_scores (&scores, level);
    if (conc)
        scores.concentration = conc;
    Snodo__Registry__AbilityProfile profile = SNODO__REGISTRY__ABILITY_PROFILE__INIT;
    profile.scores = &scores;
    Snodo__Registry__Constraints constraints = SNODO__REGISTRY__CONSTRAINTS__INIT;
    constraints.min_weekly_hours = min_hours;
    constraints.max_weekly_hours = 36;
    constraints.max_commute_km = 25;
    constraints.own_transport = true;
    person.profile = &profile;
    person.constraints = &constraints;
    person.latitude = PN_LAT + 0.01 * (n % 5);
    person.longitude = PN_LON;
    Snodo__Registry__CreatePersonRequest req = SNODO__REGISTRY__CREATE_PERSON_REQUEST__INIT;
    req.person = &person;
    Snodo__Registry__Person *out = NULL;
    sn_result_t result;
    int code = sn_client_call (client, "registry.CreatePerson", "placement", &req.base,
                               &snodo__registry__person__descriptor, (ProtobufCMessage **) &out, &result);
    cr_assert_eq (code, CODE (OK), "creating person %d: %s", n, result.message);
    snprintf (id, 37, "%s", out->id);
    protobuf_c_message_free_unpacked (&out->base, NULL);
}

//  A company (uncovered quota from employees) and a post of it requiring
//  every characteristic at 3, concentration at 4, with places. Writes ids.
static void
s_post (const char *piva, uint32_t employees, uint32_t places, char post_id [37], char employer_id [37])
{
    Snodo__Registry__Company company = SNODO__REGISTRY__COMPANY__INIT;
    company.partita_iva = (char *) piva;
    company.name = "Ristorazione Zanin S.r.l.";
    company.ateco = "56.29";
    company.employees = employees;
    company.municipality = "Pordenone";
    company.ambito = "urbano";
    company.latitude = PN_LAT;
    company.longitude = PN_LON;
    Snodo__Registry__CreateCompanyRequest creq = SNODO__REGISTRY__CREATE_COMPANY_REQUEST__INIT;
    creq.company = &company;
    Snodo__Registry__Company *c = NULL;
    sn_result_t result;
    cr_assert_eq (sn_client_call (admin, "registry.CreateCompany", "administration", &creq.base,
                                  &snodo__registry__company__descriptor, (ProtobufCMessage **) &c, &result),
                  CODE (OK), "%s", result.message);
    snprintf (employer_id, 37, "%s", c->id);
    protobuf_c_message_free_unpacked (&c->base, NULL);
    Snodo__Registry__Profile requirements = SNODO__REGISTRY__PROFILE__INIT;
    s_set_scores (&requirements, 3);
    requirements.concentration = 4;
    static char *tasks [] = {"preparazione verdure", "lavaggio stoviglie"};
    Snodo__Registry__JobPost post = SNODO__REGISTRY__JOB_POST__INIT;
    post.employer_id = employer_id;
    post.title = "Aiuto cuoco";
    post.tasks = tasks;
    post.n_tasks = 2;
    post.weekly_hours = 20;
    post.requirements = &requirements;
    post.places = places;
    post.ateco = "56.29";
    post.municipality = "Pordenone";
    post.ambito = "urbano";
    post.latitude = PN_LAT;
    post.longitude = PN_LON;
    Snodo__Registry__CreateJobPostRequest preq = SNODO__REGISTRY__CREATE_JOB_POST_REQUEST__INIT;
    preq.post = &post;
    Snodo__Registry__JobPost *p = NULL;
    cr_assert_eq (sn_client_call (admin, "registry.CreateJobPost", "administration", &preq.base,
                                  &snodo__registry__job_post__descriptor, (ProtobufCMessage **) &p, &result),
                  CODE (OK), "%s", result.message);
    snprintf (post_id, 37, "%s", p->id);
    protobuf_c_message_free_unpacked (&p->base, NULL);
}

//  Waits until the index holds the persons and posts the registry made.
typedef struct {
    size_t persons, posts;
} s_count_t;

static bool
s_index_has (void *arg)
{
    s_count_t *want = (s_count_t *) arg;
    mi_index_t *index = matching_index (matching);
    mi_index_lock_read (index);
    bool done = mi_index_persons (index) >= want->persons && mi_index_posts (index) >= want->posts;
    mi_index_unlock (index);
    return done;
}

static void
s_wait_index (size_t persons, size_t posts)
{
    s_count_t want = {persons, posts};
    cr_assert (ts_wait (s_index_has, &want, 10000), "the registry's events never reached the index");
}

static sn_client_t *
s_matching_client (zcert_t *as)
{
    return ts_client_as (request, as, cert);
}

static Snodo__Matching__BestPersonsReply *
s_best (sn_client_t *client, const char *post_id, uint32_t limit, bool include_engaged, sn_result_t *result)
{
    Snodo__Matching__BestPersonsRequest req = SNODO__MATCHING__BEST_PERSONS_REQUEST__INIT;
    req.post_id = (char *) post_id;
    req.limit = limit;
    req.include_engaged = include_engaged;
    Snodo__Matching__BestPersonsReply *reply = NULL;
    sn_client_call (client, "matching.BestPersons", "placement", &req.base,
                    &snodo__matching__best_persons_reply__descriptor, (ProtobufCMessage **) &reply, result);
    return reply;
}

//  A small network: fit (exact), one (concentration 2: over-demand 2),
//  other (everything 2: 29 over-demands), late (wants 24 hours at least),
//  and theirs (the DSM's: not the SIL's to see).
typedef struct {
    char fit [37], one [37], other [37], late [37], theirs [37];
    char post [37], employer [37];
} s_network_t;

static void
s_network (s_network_t *net)
{
    s_person (sil, 1, 3, 4, 10, net->fit);
    s_person (sil, 2, 3, 2, 10, net->one);
    s_person (sil, 3, 2, 0, 10, net->other);
    s_person (sil, 4, 3, 4, 24, net->late);
    s_person (dsm, 5, 3, 4, 10, net->theirs);
    s_post ("01114601006", 60, 1, net->post, net->employer);
    s_wait_index (5, 1);
}

//  --- tests ------------------------------------------------------------------------------

Test (matching, a_new_post_receives_ranked_candidates_that_explain_themselves)
{
    s_network_t net;
    s_network (&net);
    sn_client_t *client = s_matching_client (sil_cert);
    sn_result_t result;
    Snodo__Matching__BestPersonsReply *reply = s_best (client, net.post, 10, false, &result);
    cr_assert_not_null (reply, "%s %s", sn_code_name (result.code), result.message);
    cr_assert_eq (reply->n_candidates, 3, "fit, one, other: %zu", reply->n_candidates);
    cr_assert_str_eq (reply->candidates [0]->person_id, net.fit);
    cr_assert_str_eq (reply->candidates [1]->person_id, net.one);
    cr_assert_str_eq (reply->candidates [2]->person_id, net.other);
    cr_assert_str_eq (reply->title, "Aiuto cuoco");
    Snodo__Matching__Comparison *c = reply->candidates [0]->comparison;
    cr_assert_eq (c->fit, 100);
    cr_assert_eq (c->n_over_demands, 0);
    c = reply->candidates [1]->comparison;
    cr_assert_eq (c->n_over_demands, 1);
    cr_assert_str_eq (c->over_demands [0]->characteristic, "concentration");
    cr_assert_eq (c->over_demands [0]->ability, 2);
    cr_assert_eq (c->over_demands [0]->requirement, 4);
    cr_assert_eq (c->over_demands [0]->gap, 2);
    c = reply->candidates [2]->comparison;
    cr_assert_eq (c->n_over_demands, 29);
    cr_assert_str_eq (c->over_demands [0]->characteristic, "concentration", "the largest gap first");
    cr_assert_eq (c->over_demand, 30);
    cr_assert_str_eq (reply->candidates [0]->surname, "Rossi");
    cr_assert_str_eq (reply->candidates [0]->referring_member_id, "ass6-sil");
    cr_assert_eq (reply->excluded->hours, 1, "late wants 24 hours, the post has 20");
    cr_assert_eq (reply->eligible, 3);
    cr_assert_eq (reply->hidden, 0);
    cr_assert (reply->hidden_few, "the DSM's person is hidden, and one is too few to count");
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    //  with a threshold of 1 (matching/small_count), even one is counted
    matching_set_small_count (matching, 1);
    reply = s_best (client, net.post, 10, false, &result);
    cr_assert_not_null (reply, "%s %s", sn_code_name (result.code), result.message);
    cr_assert_eq (reply->hidden, 1);
    cr_assert_not (reply->hidden_few);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    matching_set_small_count (matching, MATCHING_SMALL_COUNT);

    //  each person shown is audited, by the matching service
    PGconn *db = ts_db_connect (reg->dbname);
    char *audits = ts_sql (db, "SELECT count (DISTINCT subject) FROM matching.audit "
                               "WHERE method = 'matching.BestPersons' AND member_id = 'ass6-sil'");
    cr_assert_str_eq (audits, "3");
    free (audits);
    PQfinish (db);

    //  the best posts for a person, and the explanation side by side
    Snodo__Matching__BestPostsRequest preq = SNODO__MATCHING__BEST_POSTS_REQUEST__INIT;
    preq.person_id = net.one;
    preq.limit = 5;
    Snodo__Matching__BestPostsReply *posts = NULL;
    cr_assert_eq (sn_client_call (client, "matching.BestPosts", "placement", &preq.base,
                                  &snodo__matching__best_posts_reply__descriptor, (ProtobufCMessage **) &posts,
                                  &result), CODE (OK), "%s", result.message);
    cr_assert_eq (posts->n_posts, 1);
    cr_assert_str_eq (posts->posts [0]->post_id, net.post);
    cr_assert_eq (posts->posts [0]->free_places, 1);
    cr_assert_float_eq (posts->posts [0]->distance_km, 2.2, 0.05, "%f", posts->posts [0]->distance_km);
    protobuf_c_message_free_unpacked (&posts->base, NULL);
    Snodo__Matching__ExplainRequest ereq = SNODO__MATCHING__EXPLAIN_REQUEST__INIT;
    ereq.person_id = net.late;
    ereq.post_id = net.post;
    Snodo__Matching__Explanation *e = NULL;
    cr_assert_eq (sn_client_call (client, "matching.Explain", "placement", &ereq.base,
                                  &snodo__matching__explanation__descriptor, (ProtobufCMessage **) &e, &result),
                  CODE (OK), "%s", result.message);
    cr_assert_not (e->eligible);
    cr_assert_eq (e->comparison->n_characteristics, 29);
    bool hours_failed = false;
    for (size_t i = 0; i < e->n_constraints; i++)
        if (streq (e->constraints [i]->name, "hours"))
            hours_failed = !e->constraints [i]->passed;
    cr_assert (hours_failed);
    protobuf_c_message_free_unpacked (&e->base, NULL);

    //  the DSM's person is not the SIL's to explain
    ereq.person_id = net.theirs;
    cr_assert_eq (sn_client_call (client, "matching.Explain", "placement", &ereq.base,
                                  &snodo__matching__explanation__descriptor, NULL, &result),
                  CODE (PERMISSION_DENIED));

    //  companies by uncovered quota: 60 employees, 7 % = 4
    Snodo__Matching__CompaniesRequest kreq = SNODO__MATCHING__COMPANIES_REQUEST__INIT;
    kreq.limit = 10;
    Snodo__Matching__CompaniesReply *companies = NULL;
    cr_assert_eq (sn_client_call (client, "matching.Companies", "placement", &kreq.base,
                                  &snodo__matching__companies_reply__descriptor,
                                  (ProtobufCMessage **) &companies, &result), CODE (OK), "%s", result.message);
    cr_assert_eq (companies->n_companies, 1);
    cr_assert_str_eq (companies->companies [0]->company_id, net.employer);
    cr_assert_eq (companies->companies [0]->uncovered, 4);
    cr_assert_eq (companies->companies [0]->open_posts, 1);
    protobuf_c_message_free_unpacked (&companies->base, NULL);
    sn_client_destroy (&client);
}

typedef struct {
    const char *post, *first;
    sn_client_t *client;
} s_first_t;

static bool
s_first_is (void *arg)
{
    s_first_t *f = (s_first_t *) arg;
    Snodo__Matching__BestPersonsReply *reply = s_best (f->client, f->post, 1, false, NULL);
    bool done = reply && reply->n_candidates == 1 && streq (reply->candidates [0]->person_id, f->first);
    if (reply)
        protobuf_c_message_free_unpacked (&reply->base, NULL);
    return done;
}

static void
s_set_profile (const char *person_id, uint32_t level, uint32_t concentration, int expect)
{
    Snodo__Registry__Profile scores = SNODO__REGISTRY__PROFILE__INIT;
    s_set_scores (&scores, level);
    scores.concentration = concentration;
    Snodo__Registry__AbilityProfile profile = SNODO__REGISTRY__ABILITY_PROFILE__INIT;
    profile.scores = &scores;
    Snodo__Registry__SetProfileRequest req = SNODO__REGISTRY__SET_PROFILE_REQUEST__INIT;
    req.person_id = (char *) person_id;
    req.profile = &profile;
    sn_result_t result;
    cr_assert_eq (sn_client_call (sil, "registry.SetProfile", "placement", &req.base, NULL, NULL, &result),
                  expect, "%s", result.message);
    if (expect == CODE (INVALID_ARGUMENT)) {
        cr_assert_geq (result.n_violations, 1);
        cr_assert_str_eq (result.fields [0], "profile.scores");
        cr_assert (strstr (result.descriptions [0], "concentration is 7"), "%s", result.descriptions [0]);
    }
}

Test (matching, a_profile_updated_in_the_registry_changes_the_ranking_without_a_restart)
{
    s_network_t net;
    s_network (&net);
    sn_client_t *client = s_matching_client (sil_cert);
    s_first_t first = {net.post, net.fit, client};
    cr_assert (s_first_is (&first));
    //  fit loses concentration (below one's), other gains everything: other comes first
    s_set_profile (net.fit, 3, 1, CODE (OK));
    s_set_profile (net.other, 4, 4, CODE (OK));
    first.first = net.other;
    cr_assert (ts_wait (s_first_is, &first, 10000), "the new profiles never changed the ranking");
    //  a score out of range is refused by the registry; the ranking stays
    s_set_profile (net.one, 3, 7, CODE (INVALID_ARGUMENT));
    zclock_sleep (300);
    sn_result_t result;
    Snodo__Matching__BestPersonsReply *reply = s_best (client, net.post, 3, false, &result);
    cr_assert_not_null (reply);
    cr_assert_str_eq (reply->candidates [0]->person_id, net.other);
    cr_assert_str_eq (reply->candidates [1]->person_id, net.one);
    cr_assert_str_eq (reply->candidates [2]->person_id, net.fit);
    cr_assert_eq (reply->candidates [1]->comparison->over_demand, 2, "one's profile unchanged");
    protobuf_c_message_free_unpacked (&reply->base, NULL);

    //  a restarted service has it all from its schema, before any replay;
    //  a stored row it cannot read is left out, not a reason to stay down
    s_stop_matching ();
    zstr_free (&request);
    PGconn *db = ts_db_connect (reg->dbname);
    free (ts_sql (db, "INSERT INTO matching.person (id, data) "
                      "VALUES ('00000000-0000-4000-8000-000000000001', '\\xffffffff')"));
    PQfinish (db);
    matching = matching_new ();
    char err [256];
    cr_assert_eq (matching_start (matching, conninfo, err, sizeof err), 0, "%s", err);
    mi_index_t *index = matching_index (matching);
    mi_index_lock_read (index);
    cr_assert_eq (mi_index_persons (index), 5);
    cr_assert_eq (mi_index_posts (index), 1);
    mi_index_unlock (index);
    s_follow ();
    sn_service_t service = matching_service (matching);
    server = ts_server_start (reg, &service, conninfo, cert, &request, &events);
    sn_client_destroy (&client);
    client = s_matching_client (sil_cert);
    first.client = client;
    cr_assert (s_first_is (&first));
    sn_client_destroy (&client);
}

//  What the monitoring service would do with matching's events: here the
//  test keeps the accepted proposals it hears of.
typedef struct {
    int accepted;
    char id [37], person [37], post [37], employer [37], pathway [65];
} s_heard_t;

static s_heard_t s_heard;

static int
s_monitoring_apply (PGconn *db, const Snodo__Event *event, void *arg)
{
    if (!streq (event->type, "matching.proposal.accepted"))
        return 0;
    Snodo__Matching__Proposal *p = snodo__matching__proposal__unpack (NULL, event->body.len, event->body.data);
    if (!p)
        return -1;
    snprintf (s_heard.id, sizeof s_heard.id, "%s", p->id);
    snprintf (s_heard.person, sizeof s_heard.person, "%s", p->person_id);
    snprintf (s_heard.post, sizeof s_heard.post, "%s", p->post_id);
    snprintf (s_heard.employer, sizeof s_heard.employer, "%s", p->employer_id);
    snprintf (s_heard.pathway, sizeof s_heard.pathway, "%s", p->pathway_id);
    s_heard.accepted++;
    snodo__matching__proposal__free_unpacked (p, NULL);
    return 0;
}

static bool
s_heard_accepted (void *arg)
{
    return s_heard.accepted > 0;
}

//  Plays monitoring's event for a pathway into matching's apply, in a
//  transaction that commits, or rolls back as a commit lost with the
//  database would; begun and committed as the subscriber calls them.
static void
s_pathway_try (uint64_t seq, const char *pathway, const char *person, int state, const char *post, bool commit)
{
    Snodo__Monitoring__Pathway body = SNODO__MONITORING__PATHWAY__INIT;
    body.id = (char *) pathway;
    body.person_id = (char *) person;
    body.state = (Snodo__Monitoring__PathwayState) state;
    body.post_id = (char *) post;
    uint8_t buffer [256];
    size_t size = snodo__monitoring__pathway__pack (&body, buffer);
    Snodo__Event event = SNODO__EVENT__INIT;
    event.source = "monitoring";
    event.seq = seq;
    event.type = "monitoring.pathway.moved";
    event.subject = (char *) pathway;
    event.body.data = buffer;
    event.body.len = size;
    char err [256];
    PGconn *db = sn_store_connect (conninfo, "matching", err, sizeof err);
    cr_assert_not_null (db, "%s", err);
    matching_monitoring_begun (matching);
    free (ts_sql (db, "BEGIN"));
    cr_assert_eq (matching_apply_monitoring (db, &event, matching), 0);
    free (ts_sql (db, commit ? "COMMIT" : "ROLLBACK"));
    if (commit)
        matching_monitoring_committed (matching);
    PQfinish (db);
}

static void
s_pathway_event (uint64_t seq, const char *pathway, const char *person, int state)
{
    s_pathway_try (seq, pathway, person, state, "", true);
}

//  The free places the index counts on a post.
static int
s_free_places (const char *post)
{
    mi_index_t *index = matching_index (matching);
    uint8_t post_id [16];
    cr_assert_eq (mi_uuid_parse (post, post_id), 0);
    mi_index_lock_read (index);
    long slot = mi_index_post_slot (index, post_id);
    cr_assert_geq (slot, 0);
    int free_places = (int) mi_post_free_places (index, (uint32_t) slot);
    mi_index_unlock (index);
    return free_places;
}

//  The proposal id as the service gives it: its status, its pathway, and
//  when it was closed if it is.
static void
s_expect_proposal (sn_client_t *client, const char *id, int status, const char *pathway)
{
    Snodo__Matching__GetProposalRequest get = SNODO__MATCHING__GET_PROPOSAL_REQUEST__INIT;
    get.id = (char *) id;
    Snodo__Matching__Proposal *p = NULL;
    sn_result_t result;
    cr_assert_eq (sn_client_call (client, "matching.GetProposal", "placement", &get.base,
                                  &snodo__matching__proposal__descriptor, (ProtobufCMessage **) &p, &result),
                  CODE (OK), "%s", result.message);
    cr_assert_eq (p->status, status);
    cr_assert_str_eq (p->pathway_id, pathway);
    cr_assert_eq (p->closed_at != 0, status == SNODO__MATCHING__PROPOSAL_STATUS__PROPOSAL_STATUS_CLOSED);
    protobuf_c_message_free_unpacked (&p->base, NULL);
}

Test (matching, a_proposal_accepted_announces_the_pairing_and_the_person_is_engaged)
{
    s_network_t net;
    s_network (&net);
    //  monitoring follows matching's events (as a SERVICE member)
    zcert_t *monitoring = ts_service_cert (reg, "monitoring");
    char *monitoring_db = ts_service_conninfo (reg, "monitoring");
    memset (&s_heard, 0, sizeof s_heard);
    sn_subscriber_config_t sub = {
        .source = "matching", .events_endpoint = events, .request_endpoint = request,
        .server_key = zcert_public_txt (cert), .cert = monitoring, .conninfo = monitoring_db,
        .schema = "monitoring", .apply = s_monitoring_apply,
    };
    zactor_t *follower = sn_subscriber_new (&sub);

    sn_client_t *client = s_matching_client (sil_cert);
    Snodo__Matching__CreateProposalRequest create = SNODO__MATCHING__CREATE_PROPOSAL_REQUEST__INIT;
    create.person_id = net.one;
    create.post_id = net.post;
    create.pathway_id = "7d0c1e8a-4f6b-4c1d-9a51-2b7e9d3f6a10";
    Snodo__Matching__Proposal *p = NULL;
    sn_result_t result;
    cr_assert_eq (sn_client_call (client, "matching.CreateProposal", "placement", &create.base,
                                  &snodo__matching__proposal__descriptor, (ProtobufCMessage **) &p, &result),
                  CODE (OK), "%s", result.message);
    cr_assert_eq (p->status, SNODO__MATCHING__PROPOSAL_STATUS__PROPOSAL_STATUS_OPEN);
    cr_assert_str_eq (p->employer_id, net.employer);
    cr_assert_str_eq (p->created_by, "ass6-sil");
    cr_assert_not_null (p->explanation);
    cr_assert_str_eq (p->explanation->comparison->over_demands [0]->characteristic, "concentration");
    char id [37];
    snprintf (id, sizeof id, "%s", p->id);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    //  the same pairing twice is refused while the first is open
    cr_assert_eq (sn_client_call (client, "matching.CreateProposal", "placement", &create.base, NULL, NULL,
                                  &result), CODE (ALREADY_EXISTS));
    //  a pairing that fails a constraint is refused, saying which
    create.person_id = net.late;
    cr_assert_eq (sn_client_call (client, "matching.CreateProposal", "placement", &create.base, NULL, NULL,
                                  &result), CODE (FAILED_PRECONDITION));
    cr_assert (strstr (result.message, "hours"), "%s", result.message);

    //  a second proposal for the post's only place
    create.person_id = net.fit;
    create.pathway_id = "";
    Snodo__Matching__Proposal *second = NULL;
    cr_assert_eq (sn_client_call (client, "matching.CreateProposal", "placement", &create.base,
                                  &snodo__matching__proposal__descriptor, (ProtobufCMessage **) &second,
                                  &result), CODE (OK), "%s", result.message);

    Snodo__Matching__AnswerProposalRequest answer = SNODO__MATCHING__ANSWER_PROPOSAL_REQUEST__INIT;
    answer.id = id;
    answer.reason = "la persona e l'azienda concordano";
    //  the day it was answered: not in the future, and kept as given
    answer.date = "2999-01-01";
    cr_assert_eq (sn_client_call (client, "matching.AcceptProposal", "placement", &answer.base, NULL, NULL,
                                  &result), CODE (INVALID_ARGUMENT));
    cr_assert_str_eq (result.fields [0], "date");
    answer.date = "2025-02-14";
    cr_assert_eq (sn_client_call (client, "matching.AcceptProposal", "placement", &answer.base,
                                  &snodo__matching__proposal__descriptor, (ProtobufCMessage **) &p, &result),
                  CODE (OK), "%s", result.message);
    cr_assert_eq (p->status, SNODO__MATCHING__PROPOSAL_STATUS__PROPOSAL_STATUS_ACCEPTED);
    cr_assert_neq (p->answered_at, 0);
    cr_assert_str_eq (p->answered_on, "2025-02-14");
    protobuf_c_message_free_unpacked (&p->base, NULL);
    cr_assert_eq (sn_client_call (client, "matching.AcceptProposal", "placement", &answer.base, NULL, NULL,
                                  &result), CODE (FAILED_PRECONDITION), "answered once");
    //  the only place is taken
    answer.id = second->id;
    cr_assert_eq (sn_client_call (client, "matching.AcceptProposal", "placement", &answer.base, NULL, NULL,
                                  &result), CODE (FAILED_PRECONDITION));
    cr_assert (strstr (result.message, "no free place"), "%s", result.message);
    //  refusing takes a reason
    answer.reason = "";
    cr_assert_eq (sn_client_call (client, "matching.RefuseProposal", "placement", &answer.base, NULL, NULL,
                                  &result), CODE (INVALID_ARGUMENT));
    cr_assert_str_eq (result.fields [0], "reason");
    answer.reason = "posto gia' assegnato";
    cr_assert_eq (sn_client_call (client, "matching.RefuseProposal", "placement", &answer.base,
                                  &snodo__matching__proposal__descriptor, (ProtobufCMessage **) &p, &result),
                  CODE (OK), "%s", result.message);
    cr_assert_eq (p->status, SNODO__MATCHING__PROPOSAL_STATUS__PROPOSAL_STATUS_REFUSED);
    cr_assert_str_eq (p->reason, "posto gia' assegnato");
    protobuf_c_message_free_unpacked (&p->base, NULL);
    protobuf_c_message_free_unpacked (&second->base, NULL);

    //  the contract: the accepted pairing reaches monitoring
    cr_assert (ts_wait (s_heard_accepted, NULL, 10000), "matching.proposal.accepted never arrived");
    cr_assert_eq (s_heard.accepted, 1);
    cr_assert_str_eq (s_heard.id, id);
    cr_assert_str_eq (s_heard.person, net.one);
    cr_assert_str_eq (s_heard.post, net.post);
    cr_assert_str_eq (s_heard.employer, net.employer);
    cr_assert_str_eq (s_heard.pathway, "7d0c1e8a-4f6b-4c1d-9a51-2b7e9d3f6a10");

    //  listing: both, for the SIL; none for the DSM
    Snodo__Matching__ListProposalsRequest list = SNODO__MATCHING__LIST_PROPOSALS_REQUEST__INIT;
    list.post_id = net.post;
    Snodo__Matching__ListProposalsReply *listed = NULL;
    cr_assert_eq (sn_client_call (client, "matching.ListProposals", "placement", &list.base,
                                  &snodo__matching__list_proposals_reply__descriptor,
                                  (ProtobufCMessage **) &listed, &result), CODE (OK), "%s", result.message);
    cr_assert_eq (listed->n_proposals, 2);
    protobuf_c_message_free_unpacked (&listed->base, NULL);
    sn_client_t *as_dsm = s_matching_client (dsm_cert);
    cr_assert_eq (sn_client_call (as_dsm, "matching.ListProposals", "placement", &list.base,
                                  &snodo__matching__list_proposals_reply__descriptor,
                                  (ProtobufCMessage **) &listed, &result), CODE (OK), "%s", result.message);
    cr_assert_eq (listed->n_proposals, 0, "the SIL's persons are not the DSM's to see");
    protobuf_c_message_free_unpacked (&listed->base, NULL);
    Snodo__Matching__GetProposalRequest get = SNODO__MATCHING__GET_PROPOSAL_REQUEST__INIT;
    get.id = id;
    cr_assert_eq (sn_client_call (as_dsm, "matching.GetProposal", "placement", &get.base, NULL, NULL, &result),
                  CODE (PERMISSION_DENIED));
    sn_client_destroy (&as_dsm);

    //  the only place is held by the accepted proposal (the registry's post
    //  still shows it free): the post is offered to no one any more
    Snodo__Matching__BestPersonsReply *reply = s_best (client, net.post, 10, false, &result);
    cr_assert_null (reply);
    cr_assert_eq (result.code, CODE (FAILED_PRECONDITION));
    cr_assert (strstr (result.message, "filled"), "%s", result.message);
    //  monitoring moves the pathway to PROJECT: the person leaves the rankings
    //  of a post with places left
    char other_post [37], other_employer [37];
    s_post ("12345670934", 20, 2, other_post, other_employer);
    s_wait_index (5, 2);
    s_pathway_event (1, "7d0c1e8a-4f6b-4c1d-9a51-2b7e9d3f6a10", net.one, 5);
    reply = s_best (client, other_post, 10, false, &result);
    cr_assert_not_null (reply, "%s", result.message);
    cr_assert_eq (reply->n_candidates, 2, "fit and other");
    cr_assert_eq (reply->excluded->engaged, 1);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    reply = s_best (client, other_post, 10, true, &result);
    cr_assert_eq (reply->n_candidates, 3, "unless asked");
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    //  an engaged person's other proposals cannot be accepted
    create.person_id = net.one;
    create.pathway_id = "";
    create.post_id = other_post;
    s_pathway_event (2, "7d0c1e8a-4f6b-4c1d-9a51-2b7e9d3f6a10", net.one, 4);     //  back to MATCHING
    cr_assert_eq (sn_client_call (client, "matching.CreateProposal", "placement", &create.base,
                                  &snodo__matching__proposal__descriptor, (ProtobufCMessage **) &p, &result),
                  CODE (OK), "%s", result.message);
    s_pathway_event (3, "7d0c1e8a-4f6b-4c1d-9a51-2b7e9d3f6a10", net.one, 6);     //  AGREEMENT
    answer.id = p->id;
    answer.reason = "";
    cr_assert_eq (sn_client_call (client, "matching.AcceptProposal", "placement", &answer.base, NULL, NULL,
                                  &result), CODE (FAILED_PRECONDITION));
    cr_assert (strstr (result.message, "already in a pathway"), "%s", result.message);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    //  closed: back among the candidates, and the proposal accepted for that
    //  pathway holds its place no more (a hire fills it in the registry)
    s_pathway_event (4, "7d0c1e8a-4f6b-4c1d-9a51-2b7e9d3f6a10", net.one, 9);
    reply = s_best (client, other_post, 10, false, &result);
    cr_assert_eq (reply->n_candidates, 3);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    s_expect_proposal (client, id, SNODO__MATCHING__PROPOSAL_STATUS__PROPOSAL_STATUS_CLOSED,
                       "7d0c1e8a-4f6b-4c1d-9a51-2b7e9d3f6a10");
    cr_assert_eq (s_free_places (net.post), 1, "the closed proposal's place is free again");
    reply = s_best (client, net.post, 10, false, &result);
    cr_assert_not_null (reply, "the post is offered again: %s", result.message);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    answer.id = id;
    answer.reason = "di nuovo";
    cr_assert_eq (sn_client_call (client, "matching.AcceptProposal", "placement", &answer.base, NULL, NULL,
                                  &result), CODE (FAILED_PRECONDITION));
    cr_assert (strstr (result.message, "accepted already"), "%s", result.message);
    //  a proposal made for the pathway now closed cannot be accepted: it would hold a place for nothing
    create.person_id = net.one;
    create.post_id = net.post;
    create.pathway_id = "7d0c1e8a-4f6b-4c1d-9a51-2b7e9d3f6a10";
    cr_assert_eq (sn_client_call (client, "matching.CreateProposal", "placement", &create.base,
                                  &snodo__matching__proposal__descriptor, (ProtobufCMessage **) &p, &result),
                  CODE (OK), "%s", result.message);
    answer.id = p->id;
    cr_assert_eq (sn_client_call (client, "matching.AcceptProposal", "placement", &answer.base, NULL, NULL,
                                  &result), CODE (FAILED_PRECONDITION));
    cr_assert (strstr (result.message, "7d0c1e8a-4f6b-4c1d-9a51-2b7e9d3f6a10 is closed"), "%s", result.message);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    cr_assert_eq (s_free_places (net.post), 1);
    create.pathway_id = "";
    //  one of the other post's two places, held by a proposal made for no pathway
    create.person_id = net.fit;
    create.post_id = other_post;
    cr_assert_eq (sn_client_call (client, "matching.CreateProposal", "placement", &create.base,
                                  &snodo__matching__proposal__descriptor, (ProtobufCMessage **) &p, &result),
                  CODE (OK), "%s", result.message);
    char held [37];
    snprintf (held, sizeof held, "%s", p->id);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    answer.id = held;
    cr_assert_eq (sn_client_call (client, "matching.AcceptProposal", "placement", &answer.base, NULL, NULL,
                                  &result), CODE (OK), "%s", result.message);
    cr_assert_eq (s_free_places (other_post), 1);

    //  restarted, the service counts what is stored: the accepted proposal's
    //  place held, the closed one's free
    zactor_destroy (&follower);
    sn_client_destroy (&client);
    s_stop_matching ();
    zstr_free (&request);
    zstr_free (&events);
    matching = matching_new ();
    char err [256];
    cr_assert_eq (matching_start (matching, conninfo, err, sizeof err), 0, "%s", err);
    cr_assert_eq (s_free_places (other_post), 1, "the accepted proposal holds the place");
    cr_assert_eq (s_free_places (net.post), 1, "the closed one does not");
    //  the person's pathway closes (the one the proposal moved): its place is
    //  free, and the proposal names that pathway
    s_pathway_event (5, "3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b", net.fit, 5);
    cr_assert_eq (s_free_places (other_post), 1, "held while the pathway runs");
    s_pathway_event (6, "3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b", net.fit, 9);
    cr_assert_eq (s_free_places (other_post), 2);
    s_follow ();
    sn_service_t service = matching_service (matching);
    server = ts_server_start (reg, &service, conninfo, cert, &request, &events);
    client = s_matching_client (sil_cert);
    s_expect_proposal (client, held, SNODO__MATCHING__PROPOSAL_STATUS__PROPOSAL_STATUS_CLOSED,
                       "3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b");
    sn_client_destroy (&client);

    zcert_destroy (&monitoring);
    zstr_free (&monitoring_db);
}

//  monitoring's CLOSED event whose transaction is lost at its commit gives
//  nothing back; applied again, it gives the place back once
Test (matching, a_close_rolled_back_then_applied_again_gives_the_place_back_once)
{
    s_network_t net;
    s_network (&net);
    sn_client_t *client = s_matching_client (sil_cert);
    const char *pathway = "5b2d7e10-3c4a-4e8f-9d61-7a0b1c2d3e4f";
    Snodo__Matching__CreateProposalRequest create = SNODO__MATCHING__CREATE_PROPOSAL_REQUEST__INIT;
    create.person_id = net.one;
    create.post_id = net.post;
    create.pathway_id = (char *) pathway;
    Snodo__Matching__Proposal *p = NULL;
    sn_result_t result;
    cr_assert_eq (sn_client_call (client, "matching.CreateProposal", "placement", &create.base,
                                  &snodo__matching__proposal__descriptor, (ProtobufCMessage **) &p, &result),
                  CODE (OK), "%s", result.message);
    Snodo__Matching__AnswerProposalRequest answer = SNODO__MATCHING__ANSWER_PROPOSAL_REQUEST__INIT;
    answer.id = p->id;
    answer.reason = "concordato";
    cr_assert_eq (sn_client_call (client, "matching.AcceptProposal", "placement", &answer.base, NULL, NULL,
                                  &result), CODE (OK), "%s", result.message);
    s_pathway_event (1, pathway, net.one, 5);
    cr_assert_eq (s_free_places (net.post), 0, "the accepted proposal holds the only place");
    //  closed, and the transaction lost: the proposal still holds the place
    s_pathway_try (2, pathway, net.one, 9, "", false);
    cr_assert_eq (s_free_places (net.post), 0, "a close rolled back gave the place back");
    s_expect_proposal (client, p->id, SNODO__MATCHING__PROPOSAL_STATUS__PROPOSAL_STATUS_ACCEPTED, pathway);
    mi_index_t *index = matching_index (matching);
    uint8_t person [16];
    mi_uuid_parse (net.one, person);
    mi_index_lock_read (index);
    cr_assert (mi_person_engaged (index, (uint32_t) mi_index_person_slot (index, person)),
               "a close rolled back freed the person");
    mi_index_unlock (index);
    //  the event again, committed: the place back once, the person free
    s_pathway_event (2, pathway, net.one, 9);
    cr_assert_eq (s_free_places (net.post), 1);
    s_expect_proposal (client, p->id, SNODO__MATCHING__PROPOSAL_STATUS__PROPOSAL_STATUS_CLOSED, pathway);
    mi_index_lock_read (index);
    cr_assert_not (mi_person_engaged (index, (uint32_t) mi_index_person_slot (index, person)));
    mi_index_unlock (index);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    sn_client_destroy (&client);
}

//  A project monitoring presented to a post (PresentProject, no proposal)
//  holds one of its places: matching neither offers nor accepts it, and a
//  proposal's own project is counted once
Test (matching, a_project_presented_in_monitoring_holds_its_place_here_too)
{
    s_network_t net;
    s_network (&net);
    sn_client_t *client = s_matching_client (sil_cert);
    //  a proposal for the post's only place, made while it is free
    Snodo__Matching__CreateProposalRequest create = SNODO__MATCHING__CREATE_PROPOSAL_REQUEST__INIT;
    create.person_id = net.fit;
    create.post_id = net.post;
    Snodo__Matching__Proposal *p = NULL;
    sn_result_t result;
    cr_assert_eq (sn_client_call (client, "matching.CreateProposal", "placement", &create.base,
                                  &snodo__matching__proposal__descriptor, (ProtobufCMessage **) &p, &result),
                  CODE (OK), "%s", result.message);
    //  the SIL presents another person's project on it in monitoring
    const char *project = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f";
    s_pathway_try (1, project, net.one, 5, net.post, true);
    cr_assert_eq (s_free_places (net.post), 0, "the project holds the only place");
    Snodo__Matching__BestPersonsReply *reply = s_best (client, net.post, 10, false, &result);
    cr_assert_null (reply, "the post was offered with its place held");
    cr_assert (strstr (result.message, "filled"), "%s", result.message);
    Snodo__Matching__AnswerProposalRequest answer = SNODO__MATCHING__ANSWER_PROPOSAL_REQUEST__INIT;
    answer.id = p->id;
    answer.reason = "concordato";
    cr_assert_eq (sn_client_call (client, "matching.AcceptProposal", "placement", &answer.base, NULL, NULL,
                                  &result), CODE (FAILED_PRECONDITION));
    cr_assert (strstr (result.message, "no free place"), "%s", result.message);
    //  through the agreement it holds it; back to matching, it gives it back
    s_pathway_try (2, project, net.one, 7, net.post, true);
    cr_assert_eq (s_free_places (net.post), 0);
    s_pathway_try (3, project, net.one, 4, "", true);
    cr_assert_eq (s_free_places (net.post), 1, "a project withdrawn still holds its place");
    //  the proposal accepted now moves its person's pathway to PROJECT on the
    //  post: one place held, not two
    cr_assert_eq (sn_client_call (client, "matching.AcceptProposal", "placement", &answer.base, NULL, NULL,
                                  &result), CODE (OK), "%s", result.message);
    s_pathway_try (4, "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a", net.fit, 5, net.post, true);
    cr_assert_eq (s_free_places (net.post), 0);
    char *held = ts_value (reg->dbname, "SET search_path = matching; SELECT post_held ('%s')", net.post);
    cr_assert_str_eq (held, "1", "the proposal and its own project counted twice");
    free (held);
    //  a restart counts the same from what is stored
    s_stop_matching ();
    s_start_matching ();
    cr_assert_eq (s_free_places (net.post), 0, "after a restart the place is free again");
    s_pathway_try (5, project, net.one, 5, net.post, true);
    cr_assert_eq (s_free_places (net.post), 0);
    held = ts_value (reg->dbname, "SET search_path = matching; SELECT post_held ('%s')", net.post);
    cr_assert_str_eq (held, "2", "a second project on a post of one place is counted");
    free (held);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    sn_client_destroy (&client);
}

Test (matching, monitoring_events_engage_persons_even_before_the_registry_tells_of_them)
{
    s_network_t net;
    s_network (&net);
    //  a pathway in AGREEMENT for a person matching does not know yet
    char later [37];
    s_pathway_event (1, "pw-later", "0b5d5c3e-8d1f-4b7a-9e2c-5a6f7b8c9d0e", 6);
    //  a malformed event is skipped, not applied
    Snodo__Event bad = SNODO__EVENT__INIT;
    bad.type = "monitoring.pathway.moved";
    bad.seq = 2;
    uint8_t junk [3] = {0xff, 0xff, 0xff};
    bad.body.data = junk;
    bad.body.len = 3;
    char err [256];
    PGconn *db = sn_store_connect (conninfo, "matching", err, sizeof err);
    cr_assert_eq (matching_apply_monitoring (db, &bad, matching), 0);
    //  two pathways of one person: engaged while either is past matching
    s_pathway_event (3, "pw-a", net.fit, 4);
    s_pathway_event (4, "pw-b", net.fit, 7);
    s_pathway_event (5, "pw-a", net.fit, 5);
    s_pathway_event (6, "pw-b", net.fit, 9);
    mi_index_t *index = matching_index (matching);
    uint8_t id [16];
    mi_uuid_parse (net.fit, id);
    mi_index_lock_read (index);
    cr_assert (mi_person_engaged (index, (uint32_t) mi_index_person_slot (index, id)), "pw-a is in PROJECT");
    mi_index_unlock (index);
    s_pathway_event (7, "pw-a", net.fit, 9);
    mi_index_lock_read (index);
    cr_assert_not (mi_person_engaged (index, (uint32_t) mi_index_person_slot (index, id)));
    mi_index_unlock (index);
    char *rows = ts_sql (db, "SELECT count (*) FROM pathway");
    cr_assert_str_eq (rows, "3");
    free (rows);
    PQfinish (db);
    (void) later;
}

Test (matching, bad_input_gets_clear_errors)
{
    s_network_t net;
    s_network (&net);
    sn_client_t *client = s_matching_client (sil_cert);
    sn_result_t result;
    cr_assert_null (s_best (client, net.post, 0, false, &result));
    cr_assert_eq (result.code, CODE (INVALID_ARGUMENT));
    cr_assert_str_eq (result.fields [0], "limit");
    cr_assert_null (s_best (client, net.post, 100000, false, &result));
    cr_assert_eq (result.code, CODE (INVALID_ARGUMENT));
    cr_assert_str_eq (result.fields [0], "limit");
    cr_assert (strstr (result.descriptions [0], "100000 is above 500"), "%s", result.descriptions [0]);
    cr_assert_null (s_best (client, "not-a-post", 10, false, &result));
    cr_assert_eq (result.code, CODE (INVALID_ARGUMENT));
    cr_assert_str_eq (result.fields [0], "post_id");
    cr_assert_null (s_best (client, "3f2b1a90-1c2d-4e5f-8a9b-0c1d2e3f4a5b", 10, false, &result));
    cr_assert_eq (result.code, CODE (NOT_FOUND));
    cr_assert (strstr (result.message, "no job post 3f2b1a90"), "%s", result.message);
    //  without a purpose, personal data is not given
    Snodo__Matching__BestPersonsRequest req = SNODO__MATCHING__BEST_PERSONS_REQUEST__INIT;
    req.post_id = net.post;
    req.limit = 5;
    cr_assert_eq (sn_client_call (client, "matching.BestPersons", "", &req.base, NULL, NULL, &result),
                  CODE (INVALID_ARGUMENT));
    cr_assert_str_eq (result.fields [0], "purpose");
    Snodo__Matching__BestPostsRequest preq = SNODO__MATCHING__BEST_POSTS_REQUEST__INIT;
    preq.person_id = "3f2b1a90-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
    preq.limit = 5;
    cr_assert_eq (sn_client_call (client, "matching.BestPosts", "placement", &preq.base, NULL, NULL, &result),
                  CODE (NOT_FOUND));
    Snodo__Matching__GetProposalRequest get = SNODO__MATCHING__GET_PROPOSAL_REQUEST__INIT;
    get.id = "3f2b1a90-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
    cr_assert_eq (sn_client_call (client, "matching.GetProposal", "placement", &get.base, NULL, NULL, &result),
                  CODE (NOT_FOUND));
    sn_client_destroy (&client);
    //  a company is not among who ranks persons
    zcert_t *company_cert = NULL;
    sn_client_t *company = ts_member_client (reg, "azienda-zanin", TS_KIND (AZIENDA), NULL, &company_cert);
    client = s_matching_client (company_cert);
    cr_assert_null (s_best (client, net.post, 5, false, &result));
    cr_assert_eq (result.code, CODE (PERMISSION_DENIED));
    sn_client_destroy (&client);
    sn_client_destroy (&company);
    zcert_destroy (&company_cert);
}

//  --- snodoctl ------------------------------------------------------------------------------

Test (matching, snodoctl_shows_rankings_and_the_over_demands_side_by_side)
{
    s_network_t net;
    s_network (&net);
    char dir [] = "/tmp/snodoctl-match-XXXXXX";
    ts_snodoctl_dir (dir, reg, "ass6-sil", "ass6-sil", sil_cert, "matching", request, cert);
    char args [512];
    snprintf (args, sizeof args, "match persons %s", net.post);
    cr_assert_eq (ts_snodoctl (dir, "%s", args), 0);
    char *out = ts_read (dir, "out.txt");
    cr_assert (strstr (out, "best persons for \"Aiuto cuoco\""), "%s", out);
    cr_assert (strstr (out, "concentration 2<4"), "%s", out);
    cr_assert (strstr (out, "Rossi Maria"), "%s", out);
    cr_assert (strstr (out, "(3)\nin scope 5, eligible 3; excluded: hours 1\n"), "%s", out);
    cr_assert (strstr (out, "a few more eligible persons are not yours to see"), "%s", out);
    free (out);
    snprintf (args, sizeof args, "match explain %s %s", net.one, net.post);
    cr_assert_eq (ts_snodoctl (dir, "%s", args), 0);
    out = ts_read (dir, "out.txt");
    cr_assert (strstr (out, ": eligible\n"), "%s", out);
    cr_assert (strstr (out, "  concentration                2           4   +2 OVER-DEMAND\n"), "%s", out);
    cr_assert (strstr (out, "  attention                    3           3   +0 \n"), "%s", out);
    free (out);
    snprintf (args, sizeof args, "--json match persons %s --limit 1", net.post);
    cr_assert_eq (ts_snodoctl (dir, "%s", args), 0);
    out = ts_read (dir, "out.txt");
    cr_assert (strstr (out, net.fit), "%s", out);
    cr_assert_null (strstr (out, net.one), "one candidate only: %s", out);
    free (out);
    //  a refusal says why, on stderr, with exit code 1
    snprintf (args, sizeof args, "match persons %s --limit 501", net.post);
    cr_assert_eq (ts_snodoctl (dir, "%s", args), 1);
    char *err = ts_read (dir, "err.txt");
    cr_assert (strstr (err, "INVALID_ARGUMENT"), "%s", err);
    cr_assert (strstr (err, "501 is above 500"), "%s", err);
    free (err);
    snprintf (args, sizeof args, "proposals create %s %s", net.one, net.post);
    cr_assert_eq (ts_snodoctl (dir, "%s", args), 0);
    out = ts_read (dir, "out.txt");
    cr_assert (strstr (out, ": OPEN\n"), "%s", out);
    cr_assert (strstr (out, "over-demands: concentration 2<4"), "%s", out);
    free (out);
    snprintf (args, sizeof args, "rm -rf %s", dir);
    cr_assert_eq (system (args), 0);
}

static size_t
s_candidates (sn_client_t *client, const char *post)
{
    Snodo__Matching__BestPersonsReply *reply = s_best (client, post, 10, false, NULL);
    size_t n = reply ? reply->n_candidates : 0;
    if (reply)
        protobuf_c_message_free_unpacked (&reply->base, NULL);
    return n;
}

typedef struct {
    sn_client_t *client;
    const char *post;
    size_t n;
} s_n_t;

static bool
s_candidates_are (void *arg)
{
    s_n_t *want = (s_n_t *) arg;
    return s_candidates (want->client, want->post) == want->n;
}

Test (matching, consents_teams_and_post_changes_in_the_registry_reach_the_rankings)
{
    s_network_t net;
    s_network (&net);
    zcert_t *coop_cert = NULL;
    sn_client_t *coop = ts_member_client (reg, "coop-il-ponte", TS_KIND (COOPERATIVA), "urbano", &coop_cert);
    sn_client_t *as_coop = s_matching_client (coop_cert);
    sn_client_t *as_sil = s_matching_client (sil_cert);
    cr_assert_eq (s_candidates (as_coop, net.post), 0, "no consent, no relationship");

    //  the person consents to cooperatives seeing them for placement
    Snodo__Registry__ConsentRequest consent = SNODO__REGISTRY__CONSENT_REQUEST__INIT;
    consent.person_id = net.fit;
    consent.purpose = SNODO__PURPOSE__PURPOSE_PLACEMENT;
    consent.member_kind = TS_KIND (COOPERATIVA);
    sn_result_t result;
    cr_assert_eq (sn_client_call (sil, "registry.GrantConsent", "placement", &consent.base, NULL, NULL, &result),
                  CODE (OK), "%s", result.message);
    s_n_t want = {as_coop, net.post, 1};
    cr_assert (ts_wait (s_candidates_are, &want, 10000), "the consent never reached the ranking");
    //  revoked: gone again
    cr_assert_eq (sn_client_call (sil, "registry.RevokeConsent", "placement", &consent.base, NULL, NULL, &result),
                  CODE (OK), "%s", result.message);
    want.n = 0;
    cr_assert (ts_wait (s_candidates_are, &want, 10000), "the revocation never reached the ranking");

    //  the SIL joins the team of the DSM's person: it sees them
    Snodo__Registry__TeamRequest team = SNODO__REGISTRY__TEAM_REQUEST__INIT;
    team.person_id = net.theirs;
    team.member_id = "ass6-sil";
    team.pathway_id = "pw-team";
    cr_assert_eq (sn_client_call (admin, "registry.AddTeamMember", "placement", &team.base, NULL, NULL, &result),
                  CODE (OK), "%s", result.message);
    s_n_t sil_want = {as_sil, net.post, 4};
    cr_assert (ts_wait (s_candidates_are, &sil_want, 10000), "the team never reached the ranking");
    cr_assert_eq (sn_client_call (admin, "registry.RemoveTeamMember", "placement", &team.base, NULL, NULL,
                                  &result), CODE (OK), "%s", result.message);
    sil_want.n = 3;
    cr_assert (ts_wait (s_candidates_are, &sil_want, 10000), "the team change never reached the ranking");

    //  the post is closed in the registry: no ranking for it
    Snodo__Registry__GetRequest get = SNODO__REGISTRY__GET_REQUEST__INIT;
    get.id = net.post;
    Snodo__Registry__JobPost *post = NULL;
    cr_assert_eq (sn_client_call (admin, "registry.GetJobPost", "", &get.base, &snodo__registry__job_post__descriptor,
                                  (ProtobufCMessage **) &post, &result), CODE (OK), "%s", result.message);
    post->status = SNODO__REGISTRY__POST_STATUS__POST_STATUS_CLOSED;
    Snodo__Registry__UpdateJobPostRequest update = SNODO__REGISTRY__UPDATE_JOB_POST_REQUEST__INIT;
    update.post = post;
    cr_assert_eq (sn_client_call (admin, "registry.UpdateJobPost", "", &update.base, NULL, NULL, &result),
                  CODE (OK), "%s", result.message);
    protobuf_c_message_free_unpacked (&post->base, NULL);
    sil_want.n = 0;
    cr_assert (ts_wait (s_candidates_are, &sil_want, 10000), "the closed post is still ranked");
    cr_assert_null (s_best (as_sil, net.post, 10, false, &result));
    cr_assert_eq (result.code, CODE (FAILED_PRECONDITION));
    cr_assert (strstr (result.message, "closed"), "%s", result.message);

    sn_client_destroy (&as_coop);
    sn_client_destroy (&as_sil);
    sn_client_destroy (&coop);
    zcert_destroy (&coop_cert);
}

//  --- the binary --------------------------------------------------------------------------

//  Two free loopback ports, released at once for the binary to bind. Below
//  the kernel's ephemeral range (32768 on), where an outgoing connection
//  could take one before the binary binds it.
static void
s_free_ports (int *a, int *b)
{
    zsock_t *one = zsock_new (ZMQ_PULL), *two = zsock_new (ZMQ_PULL);
    *a = zsock_bind (one, "tcp://127.0.0.1:![20000-32000]");
    *b = zsock_bind (two, "tcp://127.0.0.1:![20000-32000]");
    zsock_destroy (&one);
    zsock_destroy (&two);
    cr_assert (*a > 0 && *b > 0 && *a != *b);
}

Test (matching, the_binary_loads_what_is_stored_follows_the_registry_and_stops_on_a_signal)
{
    s_network_t net;
    s_network (&net);
    s_stop_matching ();                     //  one matching on the schema: the binary's
    char dir [] = "/tmp/snodo-matching-XXXXXX";
    cr_assert (mkdtemp (dir));
    char path [600];
    snprintf (path, sizeof path, "%s/matching.cert", dir);
    cr_assert_eq (zcert_save (cert, path), 0);
    snprintf (path, sizeof path, "%s/matching-audit.key", dir);
    FILE *key = fopen (path, "w");
    for (int i = 0; i < 32; i++)
        fprintf (key, "%02x", reg->audit_key [i]);
    fclose (key);
    int port, events_port;
    s_free_ports (&port, &events_port);
    snprintf (path, sizeof path, "%s/snodo.cfg", dir);
    FILE *cfg = fopen (path, "w");
    fprintf (cfg, "registry\n    request = \"%s\"\n    events = \"%s\"\n    public_key = \"%s\"\n"
                  "    admin\n        id = admin\n        key = \"%s\"\n"
                  "matching\n    request = \"tcp://127.0.0.1:%d\"\n    events = \"tcp://127.0.0.1:%d\"\n"
                  "    db = \"%s\"\n    cert = \"%s/matching.cert\"\n    audit_key = \"%s/matching-audit.key\"\n"
                  "    workers = 2\n",
             reg->request, reg->events, zcert_public_txt (reg->cert), zcert_public_txt (reg->admin), port,
             events_port, conninfo, dir, dir);
    fclose (cfg);
    char log [600];
    snprintf (log, sizeof log, "%s/matching.log", dir);
    pid_t pid = fork ();
    cr_assert_geq (pid, 0);
    if (pid == 0) {
        FILE *out = freopen (log, "w", stderr);
        (void) out;
        execl (SNODO_MATCHING_PATH, "snodo-matching", "-c", path, "-v", (char *) NULL);
        _exit (127);
    }
    //  the binary's own ZAP handler admits the SIL from its stored directory
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    sn_client_t *client = ts_client_as (endpoint, sil_cert, cert);
    sn_client_set_deadline (client, 1000);
    sn_client_set_retries (client, 0);
    s_n_t want = {client, net.post, 3};
    bool up = ts_wait (s_candidates_are, &want, 20000);
    //  a person created now reaches the binary by event
    char late [37];
    if (up)
        s_person (sil, 9, 3, 4, 10, late);
    want.n = 4;
    bool followed = up && ts_wait (s_candidates_are, &want, 20000);
    kill (pid, SIGTERM);
    int status = 0;
    int64_t until = zclock_mono () + 10000;
    pid_t done = 0;
    while ((done = waitpid (pid, &status, WNOHANG)) == 0 && zclock_mono () < until)
        zclock_sleep (50);
    if (done == 0) {
        kill (pid, SIGKILL);
        waitpid (pid, &status, 0);
    }
    sn_client_destroy (&client);
    char cmd [700];
    snprintf (cmd, sizeof cmd, "cat %s >&2", log);
    if (!up || !followed || done == 0)
        cr_assert_eq (system (cmd), 0);
    cr_assert (up, "the binary never ranked the stored persons");
    cr_assert (followed, "the binary never heard of the new person");
    cr_assert (done == pid && WIFEXITED (status) && WEXITSTATUS (status) == 0,
               "the binary did not stop cleanly on SIGTERM (status %d)", status);
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq (system (cmd), 0);
}
