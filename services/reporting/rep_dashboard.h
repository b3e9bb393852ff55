/*  rep_dashboard: the dashboard's pages as HTML, with SVG charts drawn
    here, each beside the table of its numbers. No JavaScript: filters are a
    GET form and plain links; a print stylesheet for filing a PDF. */
#ifndef REP_DASHBOARD_H_INCLUDED
#define REP_DASHBOARD_H_INCLUDED

#include "reporting.pb-c.h"
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *member_id;          //  who is signed in
    bool en;                        //  English labels
    bool owns_pathways;             //  offer the view of one's own pathways
    const Snodo__Reporting__Report *indicators;
    const Snodo__Reporting__Report *outcomes;
    const Snodo__Reporting__Report *standards;
    const Snodo__Reporting__Report *network;
    const Snodo__Reporting__Report *pathways;   //  one's own, or NULL
} rep_page_t;

//  The dashboard page. Caller frees; *size is its length.
char *rep_dashboard_html (const rep_page_t *page, size_t *size);

//  The sign-in page (what an unauthenticated request receives), with a
//  message when there is one (an expired link, say). Caller frees.
char *rep_signin_html (bool en, const char *message, size_t *size);

//  A page that only says why (403, 404, 400). Caller frees.
char *rep_message_html (bool en, const char *title, const char *message, size_t *size);

#endif
