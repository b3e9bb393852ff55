/*  snodoctl: the command-line client. */
#ifndef SNODOCTL_H_INCLUDED
#define SNODOCTL_H_INCLUDED

#include "sn_client.h"
#include "sn_config.h"
#include "sn_server.h"
#include "registry.pb-c.h"
#include "monitoring.pb-c.h"
#include <czmq.h>

typedef struct {
    zconfig_t *config;          //  var/snodo.cfg
    const char *config_path;
    const char *identity;       //  member whose certificate we use
    const char *purpose;        //  for personal data
    bool json;                  //  machine output
    int timeout_ms;             //  per call
    const char *service;        //  answers journal.* (audit, events): --service
    const char *cert_path;      //  --cert: the identity's certificate, wherever it is
    ProtobufCMessage *directory;    //  the registry's Directory, once read (ctl_locate)
} ctl_t;

//  Reads a connection file (cli/ctl_connect.c) as the config: its member is
//  the identity, its certificate cert (or <member>.cert beside the file).
//  Returns 0, or -1 (said on stderr).
int ctl_connect_load (ctl_t *ctl, const char *path, const char *cert);

//  Where a service the config does not name is: the registry's Directory,
//  read as identity. Returns 0, or -1 (said on stderr).
int ctl_locate (ctl_t *ctl, const char *service, const char *identity, sn_peer_t *peer);

//  snodoctl members connection-file MEMBER [FILE]. Returns the exit code.
int ctl_connection_file (ctl_t *ctl, int argc, char **argv);

//  A client to a service as identity (certificate in snodoctl/certs).
//  Prints why and returns NULL on failure.
sn_client_t *ctl_client (ctl_t *ctl, const char *service, const char *identity);

//  Calls and prints a failure (code, message, field violations) on stderr.
//  Returns the code.
int ctl_call (ctl_t *ctl, sn_client_t *client, const char *method, const ProtobufCMessage *input,
              const ProtobufCMessageDescriptor *out_desc, ProtobufCMessage **output);

//  Prints a reply of the matching service readably (cli/ctl_matching.c).
//  Returns false, printing nothing, for other messages.
bool ctl_print_matching (const ProtobufCMessage *msg);

//  The matching part of snodoctl demo load (cli/demo_matching.c): a few
//  proposals once the matching service has the network. Returns 0 or -1.
int ctl_demo_matching (ctl_t *ctl);

//  Prints a reply of the bridge readably (cli/ctl_bridge.c). Returns false,
//  printing nothing, for other messages.
bool ctl_print_bridge (const ProtobufCMessage *msg);

//  True for the bridge's verbs that are more than one call ("import").
bool ctl_bridge_handles (const char *verb);

//  snodoctl bridge VERB ARGS for a verb ctl_bridge_handles. Returns the exit code.
int ctl_bridge (ctl_t *ctl, const char *verb, int argc, char **argv);

//  For the demo: the first 50 job posts, or NULL (said on stderr) when there
//  are none. Caller frees with protobuf_c_message_free_unpacked.
Snodo__Registry__ListJobPostsReply *ctl_demo_posts (ctl_t *ctl);

//  snodoctl demo load
int ctl_demo (ctl_t *ctl, int argc, char **argv);

//  The reports' part of the demo (demo_reporting.c): years of closed
//  pathways. Returns 0 or -1.
int ctl_demo_reporting (ctl_t *ctl);

//  snodoctl report ... (cli/ctl_report.c)
int ctl_report (ctl_t *ctl, int argc, char **argv);

//  The monitoring service's part of the demo (demo_monitoring.c). Returns 0 or -1.
int ctl_demo_monitoring (ctl_t *ctl);

//  For the demo: calls method (its service by the prefix: "monitoring.X") as
//  member as; prints a failure; ALREADY_EXISTS is not one (loading twice is
//  harmless). Returns the code.
int ctl_demo_call (ctl_t *ctl, const char *as, const char *method, ProtobufCMessage *input,
                   const ProtobufCMessageDescriptor *out_desc, ProtobufCMessage **output);

#endif
