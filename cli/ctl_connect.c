/*  snodoctl: finding the services, and joining from another host.

    A client needs the registry's endpoint and public key, and its own
    certificate; every other service it finds in the registry's Directory
    (each service announces its endpoints at start). A new member's operator
    hands it a connection file, JSON (docs/protocol.md, "Joining"):

        {"format": "snodo-connection/1", "member": "coop-aurora",
         "kind": "COOPERATIVA", "name": "...",
         "registry": {"request": "tcp://192.0.2.1:7401",
                      "events": "tcp://192.0.2.1:7402",
                      "public_key": "<40 characters of Z85>"}}

    snodoctl --connect FILE reads it as its config: the member is the
    identity, its certificate is --cert or <member>.cert beside the file. */
#include "snodoctl.h"
#include "directory.pb-c.h"
#include <errno.h>
#include <json-c/json.h>
#include <libgen.h>
#include <string.h>

#define CONNECTION_FORMAT "snodo-connection/1"

//  A string member of obj, or NULL.
static const char *
s_string (struct json_object *obj, const char *key)
{
    struct json_object *value = NULL;
    if (!json_object_object_get_ex (obj, key, &value) || !json_object_is_type (value, json_type_string))
        return NULL;
    return json_object_get_string (value);
}

int
ctl_connect_load (ctl_t *ctl, const char *path, const char *cert)
{
    struct json_object *root = json_object_from_file (path);
    if (!root) {
        fprintf (stderr, "snodoctl: %s: not a connection file (%s)\n", path, json_util_get_last_err ());
        return -1;
    }
    struct json_object *registry = NULL;
    json_object_object_get_ex (root, "registry", &registry);
    const char *format = s_string (root, "format");
    const char *member = s_string (root, "member");
    const char *request = registry ? s_string (registry, "request") : NULL;
    const char *events = registry ? s_string (registry, "events") : NULL;
    const char *key = registry ? s_string (registry, "public_key") : NULL;
    const char *missing = !format || !streq (format, CONNECTION_FORMAT) ? "format (\"" CONNECTION_FORMAT "\")"
                        : !member || !*member ? "member"
                        : !request || !*request ? "registry.request"
                        : !events ? "registry.events"
                        : !key || strlen (key) != 40 ? "registry.public_key (40 characters of Z85)" : NULL;
    if (missing) {
        fprintf (stderr, "snodoctl: %s: the connection file lacks %s\n", path, missing);
        json_object_put (root);
        return -1;
    }
    zconfig_t *config = zconfig_new ("root", NULL);
    zconfig_put (config, "snodoctl/identity", member);
    if (cert)
        zconfig_put (config, "snodoctl/cert", cert);
    else {
        char *copy = strdup (path);
        zconfig_putf (config, "snodoctl/cert", "%s/%s.cert", dirname (copy), member);
        free (copy);
    }
    zconfig_put (config, "registry/request", request);
    zconfig_put (config, "registry/events", events);
    zconfig_put (config, "registry/public_key", key);
    json_object_put (root);
    zconfig_destroy (&ctl->config);
    ctl->config = config;
    ctl->config_path = path;
    return 0;
}

//  --- finding a service in the directory ------------------------------------------

//  The directory, as identity reads it from the registry (once a run).
static Snodo__Registry__ListMembersReply *
s_directory (ctl_t *ctl, const char *identity)
{
    if (ctl->directory)
        return (Snodo__Registry__ListMembersReply *) ctl->directory;
    sn_client_t *client = ctl_client (ctl, "registry", identity);
    if (!client)
        return NULL;
    Snodo__Registry__DirectoryRequest req = SNODO__REGISTRY__DIRECTORY_REQUEST__INIT;
    ProtobufCMessage *reply = NULL;
    ctl_call (ctl, client, "registry.Directory", &req.base, &snodo__registry__list_members_reply__descriptor, &reply);
    sn_client_destroy (&client);
    ctl->directory = reply;
    return (Snodo__Registry__ListMembersReply *) reply;
}

int
ctl_locate (ctl_t *ctl, const char *service, const char *identity, sn_peer_t *peer)
{
    Snodo__Registry__ListMembersReply *directory = s_directory (ctl, identity);
    if (!directory)
        return -1;
    for (size_t i = 0; i < directory->n_members; i++) {
        const Snodo__Member *m = directory->members [i];
        for (size_t j = 0; j < m->n_endpoints && !m->revoked; j++)
            if (streq (m->endpoints [j]->service, service)) {
                snprintf (peer->request, sizeof peer->request, "%s", m->endpoints [j]->request);
                snprintf (peer->events, sizeof peer->events, "%s", m->endpoints [j]->events);
                snprintf (peer->public_key, sizeof peer->public_key, "%s", m->public_key);
                return 0;
            }
    }
    fprintf (stderr, "snodoctl: the directory does not list the %s service (is it running? "
             "snodoctl directory shows what it lists)\n", service);
    return -1;
}

//  --- the operator's side: a connection file for a new member ------------------------

//  The registry's endpoints as other hosts reach them: its own listing in
//  the directory (what it announced), else the config.
static int
s_registry_public (ctl_t *ctl, sn_peer_t *peer)
{
    Snodo__Registry__ListMembersReply *directory = s_directory (ctl, ctl->identity);
    for (size_t i = 0; directory && i < directory->n_members; i++) {
        const Snodo__Member *m = directory->members [i];
        for (size_t j = 0; j < m->n_endpoints; j++)
            if (streq (m->id, "registry") && streq (m->endpoints [j]->service, "registry")) {
                snprintf (peer->request, sizeof peer->request, "%s", m->endpoints [j]->request);
                snprintf (peer->events, sizeof peer->events, "%s", m->endpoints [j]->events);
                snprintf (peer->public_key, sizeof peer->public_key, "%s", m->public_key);
                return 0;
            }
    }
    char err [256];
    if (sn_config_peer (ctl->config, "registry", peer, err, sizeof err)) {
        fprintf (stderr, "snodoctl: %s\n", err);
        return -1;
    }
    return 0;
}

int
ctl_connection_file (ctl_t *ctl, int argc, char **argv)
{
    if (argc < 1 || argc > 2) {
        fprintf (stderr, "usage: snodoctl members connection-file MEMBER [FILE]\n");
        return 2;
    }
    sn_client_t *client = ctl_client (ctl, "registry", ctl->identity);
    if (!client)
        return 3;
    Snodo__Registry__GetMemberRequest req = SNODO__REGISTRY__GET_MEMBER_REQUEST__INIT;
    req.id = argv [0];
    Snodo__Member *member = NULL;
    int code = ctl_call (ctl, client, "registry.GetMember", &req.base, &snodo__member__descriptor,
                         (ProtobufCMessage **) &member);
    sn_client_destroy (&client);
    sn_peer_t registry;
    if (code != SNODO__CODE__OK || s_registry_public (ctl, &registry)) {
        protobuf_c_message_free_unpacked ((ProtobufCMessage *) member, NULL);
        return code == SNODO__CODE__OK ? 3 : 1;
    }
    if (member->revoked) {
        fprintf (stderr, "snodoctl: member \"%s\" is revoked: it cannot connect\n", member->id);
        protobuf_c_message_free_unpacked (&member->base, NULL);
        return 1;
    }
    struct json_object *root = json_object_new_object ();
    json_object_object_add (root, "format", json_object_new_string (CONNECTION_FORMAT));
    json_object_object_add (root, "member", json_object_new_string (member->id));
    json_object_object_add (root, "kind", json_object_new_string (sn_member_kind_name (member->kind)));
    json_object_object_add (root, "name", json_object_new_string (member->name));
    struct json_object *reg = json_object_new_object ();
    json_object_object_add (reg, "request", json_object_new_string (registry.request));
    json_object_object_add (reg, "events", json_object_new_string (registry.events));
    json_object_object_add (reg, "public_key", json_object_new_string (registry.public_key));
    json_object_object_add (root, "registry", reg);
    const char *text = json_object_to_json_string_ext (root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    int rc = 0;
    if (argc == 2) {
        FILE *file = fopen (argv [1], "w");
        bool written = file && fprintf (file, "%s\n", text) >= 0;
        if (file && fclose (file))
            written = false;
        if (!written) {
            fprintf (stderr, "snodoctl: could not write \"%s\": %s\n", argv [1], strerror (errno));
            rc = 3;
        }
        else
            fprintf (stderr, "snodoctl: wrote %s: give it to %s with nothing else; its key pair stays "
                     "on its own host\n", argv [1], member->id);
    }
    else
        printf ("%s\n", text);
    json_object_put (root);
    protobuf_c_message_free_unpacked (&member->base, NULL);
    return rc;
}
