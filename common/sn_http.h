/*  sn_http: a small HTTP server for Snodo's services, on libmicrohttpd.

    Its own polling thread on epoll (never select); a connection that sends
    nothing is closed at the timeout; at most per_address connections from
    one address and connections in all; a request whose headers do not fit
    in max_request bytes is refused by the library (431), one with a body
    larger than max_body gets 413 (at once when its Content-Length says so,
    before the body is read; a chunked one at its end, its body counted and
    dropped as it comes). It listens on 127.0.0.1 unless told.
    The handler runs on that one thread, one request at a time: it may keep
    a database connection of its own without a lock.

    sn_http_config_t config = {.address = "127.0.0.1", .port = 0};
    sn_http_t *http = sn_http_new (&config, s_handle, state, err, sizeof err);
    int port = sn_http_port (http);
    sn_http_destroy (&http);        //  stops the thread, closes the connections

    Used by the reporting service's dashboard and by every service's
    metrics endpoint (sn_metrics). */
#ifndef SN_HTTP_H_INCLUDED
#define SN_HTTP_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef struct _sn_http_t sn_http_t;
typedef struct _sn_http_request_t sn_http_request_t;

typedef struct {
    const char *address;        //  to listen on, IPv4 dotted; NULL = "127.0.0.1"
    int port;                   //  0 = any free port (see sn_http_port)
    unsigned timeout_s;         //  an idle connection is closed after this; 0 = 10
    unsigned per_address;       //  connections from one address; 0 = 16
    unsigned connections;       //  connections in all; 0 = 128
    size_t max_request;         //  memory for a request's headers; 0 = 16 KiB
    size_t max_body;            //  the largest body taken; 0 = 4 KiB
} sn_http_config_t;

//  What the handler answers: it sets status and body (sn_http_reply) and
//  may add headers. The server sends it and frees it.
typedef struct _sn_http_reply_t sn_http_reply_t;

//  Serves one request. Runs on the server's thread.
typedef void (sn_http_handler_fn) (sn_http_request_t *request, sn_http_reply_t *reply, void *arg);

//  Starts a server. Returns NULL with err filled when it cannot listen.
sn_http_t *sn_http_new (const sn_http_config_t *config, sn_http_handler_fn *handler, void *arg, char *err,
                        size_t errlen);

//  Stops the server: its thread ends, connections are closed. Nulls the pointer.
void sn_http_destroy (sn_http_t **self_p);

//  The port listened on.
int sn_http_port (sn_http_t *self);

//  --- for handlers: the request (borrowed strings, valid during the call) --

const char *sn_http_method (sn_http_request_t *request);         //  "GET"
const char *sn_http_path (sn_http_request_t *request);           //  "/export.csv"
//  A query argument, decoded; NULL when absent.
const char *sn_http_arg (sn_http_request_t *request, const char *name);
//  A header (case-insensitive name); NULL when absent.
const char *sn_http_header (sn_http_request_t *request, const char *name);
//  A cookie's value; NULL when absent.
const char *sn_http_cookie (sn_http_request_t *request, const char *name);
//  The peer's address as text ("127.0.0.1").
const char *sn_http_peer (sn_http_request_t *request);

//  --- for handlers: the reply ---------------------------------------------

//  Sets status, content type and body (copied; body may hold NUL bytes).
void sn_http_reply (sn_http_reply_t *reply, int status, const char *content_type, const char *body, size_t size);
//  Takes ownership of a body allocated with malloc.
void sn_http_reply_take (sn_http_reply_t *reply, int status, const char *content_type, char *body, size_t size);
//  Adds a header (copied). At most 8 a reply; more are dropped.
void sn_http_reply_header (sn_http_reply_t *reply, const char *name, const char *value);

#endif
