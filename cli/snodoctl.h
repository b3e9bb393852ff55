/*  snodoctl: the command-line client. */
#ifndef SNODOCTL_H_INCLUDED
#define SNODOCTL_H_INCLUDED

#include "sn_client.h"
#include "sn_config.h"
#include "sn_server.h"
#include "registry.pb-c.h"
#include "monitoring.pb-c.h"
#include <czmq.h>
#include <json-c/json.h>

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
    zhash_t *lookups;           //  a client per service for a command's look-ups (ctl_kept_client)
} ctl_t;

//  --- text for people (cli/ctl_table.c) ---------------------------------------

#define CTL_TABLE_MAX 16        //  columns of a table

//  Sets a UTF-8 locale for the widths below (the user's, else C.UTF-8).
void ctl_text_init (void);
//  The columns text takes on a terminal (UTF-8; wide characters count two).
size_t ctl_text_width (const char *text);
//  text cut to at most width columns, on a character, ending with an
//  ellipsis when cut. Caller frees.
char *ctl_text_cut (const char *text, size_t width);
//  Prints text padded with spaces to width columns, then after.
void ctl_print_padded (const char *text, size_t width, const char *after);
//  The terminal's columns (stdout's, else $COLUMNS), or 0 when unknown.
size_t ctl_terminal_width (void);
//  A field's name as a column header: "codiceFiscale" -> "codice fiscale",
//  "personId" -> "person". Caller frees.
char *ctl_header (const char *field);
//  Prints a table: headers, then rows of cells, aligned by display width;
//  on a terminal, fitted to its width. At most CTL_TABLE_MAX columns.
void ctl_table_print (char **headers, char ***cells, size_t rows, int columns);

//  --- persons as operators know them (cli/ctl_people.c) ---------------------

//  Whether text is a well-formed codice fiscale.
bool ctl_is_codice_fiscale (const char *text);
//  A person's id from text: an id as it is, a codice fiscale looked up
//  (registry.FindPerson). Caller frees; NULL when not found (said on stderr).
char *ctl_person_id (ctl_t *ctl, const char *text);
//  A pathway's id from text: an id as it is, a codice fiscale its person's
//  open pathway. Caller frees; NULL when there is none (said on stderr).
char *ctl_pathway_id (ctl_t *ctl, const char *text);
//  "Surname Name (CF)" of a person, or "person ID" when it cannot be read.
void ctl_person_label (ctl_t *ctl, const char *person_id, char *out, size_t size);

//  True for the start of an id as it is written (at least 4 characters, the
//  dashes in their places), short of a whole one.
bool ctl_is_id_prefix (const char *text);

//  The one id of a noun ("person", "pathway", "post", "cooperative",
//  "proposal": the lists that page by id) that starts with prefix among
//  those the caller may see, or NULL (said: none, or which two); for
//  another noun, prefix as it is.
char *ctl_id_of_prefix (ctl_t *ctl, const char *noun, const char *prefix);
//  One line for a transition done: who, the state before and after, the
//  date (the last entry of the pathway's history), or an amendment signed.
void ctl_print_transition (ctl_t *ctl, const Snodo__Monitoring__Pathway *after);

//  Adds to each row of a list the names its ids stand for, where columns
//  asks for them: "person" (surname, name, codice fiscale) for personId,
//  "employer" and "host" (the company's or cooperative's name) for
//  employerId and hostId, "post" (its title) for postId; each id read once.
void ctl_label_rows (ctl_t *ctl, struct json_object *rows, const char *columns);

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

//  A client to a service as identity, made once and kept until the command
//  ends: for a command's look-ups (a codice fiscale, an id's prefix, the
//  names shown before ids) and the demo's many calls, so that a table of a
//  hundred rows is not a hundred handshakes. NULL (said once) when it
//  cannot be made. Do not destroy it.
sn_client_t *ctl_kept_client (ctl_t *ctl, const char *service, const char *identity);

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

//  The demo's contacts of the employment office with companies and the
//  SIL's notes on its persons (cli/demo_contacts.c). Returns 0 or -1.
int ctl_demo_contacts (ctl_t *ctl);

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
//  The report commands' options, on out.
void ctl_report_usage (FILE *out);

//  The monitoring service's part of the demo (demo_monitoring.c). Returns 0 or -1.
int ctl_demo_monitoring (ctl_t *ctl);

//  The demo's project and host tutor (after PresentProject), accessory
//  services (with the agreement) and interventions (once active) of pathway
//  id, as member as, by the pathway's index (demo_placement.c). 0 or -1.
int ctl_demo_project (ctl_t *ctl, const char *as, const char *id, int index);
int ctl_demo_accessories (ctl_t *ctl, const char *as, const char *id, int index, bool transport, bool lunch);
int ctl_demo_interventions (ctl_t *ctl, const char *as, const char *id, int index);

//  For the demo: calls method (its service by the prefix: "monitoring.X") as
//  member as; prints a failure; ALREADY_EXISTS is not one (loading twice is
//  harmless). Returns the code.
int ctl_demo_call (ctl_t *ctl, const char *as, const char *method, ProtobufCMessage *input,
                   const ProtobufCMessageDescriptor *out_desc, ProtobufCMessage **output);
//  The team's evaluation of the acquired capacity of pathway id, on date,
//  with verdict (EvaluationVerdict), as as: what a close as HIRED or
//  RETURNED needs first. Returns a code.
int ctl_demo_evaluate (ctl_t *ctl, const char *as, const char *id, const char *date, int verdict);

#endif
