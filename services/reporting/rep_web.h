/*  rep_web: the dashboard over HTTP (sn_http): sign-in by one-time link,
    session cookies, the pages and the exports, every report request
    audited. Its own database connection, used on the HTTP thread only. */
#ifndef REP_WEB_H_INCLUDED
#define REP_WEB_H_INCLUDED

#include "reporting.h"
#include "sn_http.h"

typedef struct _rep_web_t rep_web_t;

//  Starts the dashboard. reporting is borrowed and must outlive it; the
//  database is reached with conninfo (schema reporting). session_s: how
//  long a session lasts. Returns NULL with err filled when it cannot listen.
rep_web_t *rep_web_new (reporting_t *reporting, const char *conninfo, const sn_http_config_t *config,
                        int session_s, char *err, size_t errlen);
void rep_web_destroy (rep_web_t **self_p);
int rep_web_port (rep_web_t *self);

#endif
