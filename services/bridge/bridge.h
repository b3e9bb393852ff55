/*  The bridge to the regional cartella sociale: its service (the operator's
    view of it: snodoctl bridge ...) and its state. The importer
    (br_import.h), the outbound writer (br_outbound.h) and the spool
    (br_spool.h) do the work; docs/bridge.md says what for. */
#ifndef BRIDGE_H_INCLUDED
#define BRIDGE_H_INCLUDED

#include "bridge.pb-c.h"
#include "br_import.h"
#include "br_outbound.h"
#include "br_reader.h"
#include "br_spool.h"
#include "sn_server.h"
#include "monitoring.pb-c.h"

//  Numbers of proto enums the bridge's SQL names: a pathway CLOSED, a member
//  of kind SSC (the build fails if the enums move).
#define BR_SQL_CLOSED 9
#define BR_SQL_SSC 7
SN_SQL_CHECK (BR_SQL_CLOSED, SNODO__MONITORING__PATHWAY_STATE__PATHWAY_STATE_CLOSED);
SN_SQL_CHECK (BR_SQL_SSC, SNODO__MEMBER_KIND__MEMBER_KIND_SSC);

typedef struct _bridge_t bridge_t;

//  Creates the service's state over the spool at root (its directories made
//  if missing). schema is borrowed. Returns NULL with err filled.
bridge_t *bridge_new (const char *root, br_schema_t *schema, char *err, size_t errlen);
void bridge_destroy (bridge_t **self_p);

//  The service description for sn_server_new; state points to self.
sn_service_t bridge_service (bridge_t *self);

extern const sn_migration_t bridge_migrations [];

#endif
