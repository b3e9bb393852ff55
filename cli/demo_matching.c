/*  snodoctl demo load, the matching part: once the matching service has the
    network, the SIL proposes its best candidate for a few posts and the
    first proposal is accepted. Loading twice adds nothing: a post that has
    proposals already is left alone. */
#include "snodoctl.h"
#include "matching.pb-c.h"
#include <string.h>

//  The SIL's best candidate for post, waiting (up to 20 s) for the matching
//  service to have the post. Writes the person's id, or "" if none.
static int
s_best (ctl_t *ctl, const char *post, char person [37])
{
    *person = 0;
    Snodo__Matching__BestPersonsRequest req = SNODO__MATCHING__BEST_PERSONS_REQUEST__INIT;
    req.post_id = (char *) post;
    req.limit = 1;
    for (int attempt = 0; attempt < 40; attempt++) {
        sn_client_t *client = ctl_client (ctl, "matching", "ass6-sil");
        if (!client)
            return -1;
        Snodo__Matching__BestPersonsReply *reply = NULL;
        sn_result_t result;
        int code = sn_client_call (client, "matching.BestPersons", "placement", &req.base,
                                   &snodo__matching__best_persons_reply__descriptor,
                                   (ProtobufCMessage **) &reply, &result);
        sn_client_destroy (&client);
        if (code == SNODO__CODE__OK) {
            if (reply->n_candidates)
                snprintf (person, 37, "%s", reply->candidates [0]->person_id);
            protobuf_c_message_free_unpacked (&reply->base, NULL);
            return 0;
        }
        if (code != SNODO__CODE__NOT_FOUND && code != SNODO__CODE__DEADLINE_EXCEEDED
        &&  code != SNODO__CODE__UNAVAILABLE) {
            fprintf (stderr, "snodoctl: demo: matching.BestPersons: %s: %s\n", sn_code_name (code), result.message);
            return code == SNODO__CODE__FAILED_PRECONDITION ? 0 : -1;     //  a filled post: next
        }
        zclock_sleep (500);     //  the matching service is still catching up
    }
    fprintf (stderr, "snodoctl: demo: the matching service does not know post %s yet\n", post);
    return -1;
}

int
ctl_demo_matching (ctl_t *ctl)
{
    if (!zconfig_locate (ctl->config, "matching"))
        return 0;
    Snodo__Registry__ListJobPostsRequest list = SNODO__REGISTRY__LIST_JOB_POSTS_REQUEST__INIT;
    Snodo__Registry__Page page = SNODO__REGISTRY__PAGE__INIT;
    page.limit = 6;
    list.page = &page;
    list.status = SNODO__REGISTRY__POST_STATUS__POST_STATUS_OPEN;
    Snodo__Registry__ListJobPostsReply *posts = NULL;
    if (ctl_demo_call (ctl, "provincia-pn", "registry.ListJobPosts", &list.base,
                       &snodo__registry__list_job_posts_reply__descriptor, (ProtobufCMessage **) &posts)
        != SNODO__CODE__OK)
        return -1;
    int proposed = 0, accepted = 0, existed = 0, rc = 0;
    for (size_t i = 0; i < posts->n_posts && proposed + existed < 3 && rc == 0; i++) {
        const char *post = posts->posts [i]->id;
        Snodo__Matching__ListProposalsRequest lreq = SNODO__MATCHING__LIST_PROPOSALS_REQUEST__INIT;
        lreq.post_id = (char *) post;
        Snodo__Matching__ListProposalsReply *known = NULL;
        if (ctl_demo_call (ctl, "ass6-sil", "matching.ListProposals", &lreq.base,
                           &snodo__matching__list_proposals_reply__descriptor, (ProtobufCMessage **) &known)
            != SNODO__CODE__OK) {
            rc = -1;
            break;
        }
        bool loaded = known->n_proposals > 0;
        protobuf_c_message_free_unpacked (&known->base, NULL);
        if (loaded) {
            existed++;          //  its proposals (and perhaps its place filled) from a load before
            continue;
        }
        char person [37];
        if (s_best (ctl, post, person)) {
            rc = -1;
            break;
        }
        if (!*person)
            continue;
        Snodo__Matching__CreateProposalRequest create = SNODO__MATCHING__CREATE_PROPOSAL_REQUEST__INIT;
        create.person_id = person;
        create.post_id = (char *) post;
        Snodo__Matching__Proposal *p = NULL;
        int code = ctl_demo_call (ctl, "ass6-sil", "matching.CreateProposal", &create.base,
                                  &snodo__matching__proposal__descriptor, (ProtobufCMessage **) &p);
        if (code != SNODO__CODE__OK)
            continue;
        proposed++;
        if (proposed == 1) {
            Snodo__Matching__AnswerProposalRequest answer = SNODO__MATCHING__ANSWER_PROPOSAL_REQUEST__INIT;
            answer.id = p->id;
            answer.reason = "colloquio di presentazione positivo";
            if (ctl_demo_call (ctl, "ass6-sil", "matching.AcceptProposal", &answer.base, NULL, NULL)
                == SNODO__CODE__OK)
                accepted++;
        }
        protobuf_c_message_free_unpacked (&p->base, NULL);
    }
    protobuf_c_message_free_unpacked (&posts->base, NULL);
    printf ("demo: %d proposals made by the SIL, %d accepted (%d posts had some already)\n", proposed, accepted,
            existed);
    return rc;
}
