/*  sn_http: libmicrohttpd behind a small interface. See sn_http.h. */
#include "sn_http.h"
#include "sn_log.h"
#include <arpa/inet.h>
#include <czmq.h>
#include <stdarg.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HEADERS 8

struct _sn_http_t {
    struct MHD_Daemon *daemon;      //  the library's server and its thread
    sn_http_handler_fn *handler;
    void *arg;
    size_t max_body;                //  larger bodies get 413
    int port;                       //  as bound
};

struct _sn_http_request_t {
    struct MHD_Connection *connection;
    const char *method;
    const char *path;
    char peer [INET6_ADDRSTRLEN];
};

struct _sn_http_reply_t {
    int status;
    char *content_type;
    char *body;
    size_t size;
    char *headers [MAX_HEADERS][2];
    int n_headers;
};

//  What a connection's request holds between the library's calls: the
//  body's size so far.
typedef struct {
    size_t body;
} s_upload_t;

const char *sn_http_method (sn_http_request_t *request) { return request->method; }
const char *sn_http_path (sn_http_request_t *request) { return request->path; }
const char *sn_http_peer (sn_http_request_t *request) { return request->peer; }

const char *
sn_http_arg (sn_http_request_t *request, const char *name)
{
    return MHD_lookup_connection_value (request->connection, MHD_GET_ARGUMENT_KIND, name);
}

const char *
sn_http_header (sn_http_request_t *request, const char *name)
{
    return MHD_lookup_connection_value (request->connection, MHD_HEADER_KIND, name);
}

const char *
sn_http_cookie (sn_http_request_t *request, const char *name)
{
    return MHD_lookup_connection_value (request->connection, MHD_COOKIE_KIND, name);
}

void
sn_http_reply_take (sn_http_reply_t *reply, int status, const char *content_type, char *body, size_t size)
{
    free (reply->body);
    free (reply->content_type);
    reply->status = status;
    reply->content_type = strdup (content_type);
    reply->body = body;
    reply->size = size;
}

void
sn_http_reply (sn_http_reply_t *reply, int status, const char *content_type, const char *body, size_t size)
{
    char *copy = (char *) malloc (size + 1);
    if (copy) {
        memcpy (copy, body, size);
        copy [size] = 0;
    }
    sn_http_reply_take (reply, status, content_type, copy, copy ? size : 0);
}

void
sn_http_reply_header (sn_http_reply_t *reply, const char *name, const char *value)
{
    if (reply->n_headers == MAX_HEADERS)
        return;
    reply->headers [reply->n_headers][0] = strdup (name);
    reply->headers [reply->n_headers][1] = strdup (value);
    reply->n_headers++;
}

static void
s_reply_free (sn_http_reply_t *reply)
{
    for (int i = 0; i < reply->n_headers; i++) {
        free (reply->headers [i][0]);
        free (reply->headers [i][1]);
    }
    free (reply->content_type);
    free (reply->body);
}

//  Queues a reply on the connection (the library copies nothing: it frees
//  the body when sent).
static enum MHD_Result
s_send (struct MHD_Connection *connection, sn_http_reply_t *reply)
{
    struct MHD_Response *response = MHD_create_response_from_buffer (reply->size, reply->body,
                                                                     MHD_RESPMEM_MUST_FREE);
    reply->body = NULL;
    if (!response)
        return MHD_NO;
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE,
                             reply->content_type ? reply->content_type : "text/plain; charset=utf-8");
    MHD_add_response_header (response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header (response, "Cache-Control", "no-store");
    for (int i = 0; i < reply->n_headers; i++)
        MHD_add_response_header (response, reply->headers [i][0], reply->headers [i][1]);
    enum MHD_Result rc = MHD_queue_response (connection, (unsigned) reply->status, response);
    MHD_destroy_response (response);
    return rc;
}

static enum MHD_Result
s_error (struct MHD_Connection *connection, int status, const char *text)
{
    sn_http_reply_t reply;
    memset (&reply, 0, sizeof reply);
    sn_http_reply (&reply, status, "text/plain; charset=utf-8", text, strlen (text));
    enum MHD_Result rc = s_send (connection, &reply);
    s_reply_free (&reply);
    return rc;
}

static void
s_peer (struct MHD_Connection *connection, char *out, size_t size)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info (connection,
                                                                    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf (out, size, "?");
    if (info && info->client_addr && info->client_addr->sa_family == AF_INET)
        inet_ntop (AF_INET, &((const struct sockaddr_in *) info->client_addr)->sin_addr, out, (socklen_t) size);
}

static enum MHD_Result
s_access (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    sn_http_t *self = (sn_http_t *) cls;
    s_upload_t *upload = (s_upload_t *) *con_cls;
    if (!upload) {
        //  the first call: headers only. A body announced over the limit is
        //  refused now, before it is read (a chunked one is counted as it
        //  comes, and refused at its end)
        const char *length = MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                                          MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length && strtoull (length, NULL, 10) > self->max_body)
            return s_error (connection, 413, "request body too large\n");
        upload = (s_upload_t *) calloc (1, sizeof (s_upload_t));
        *con_cls = upload;
        return upload ? MHD_YES : MHD_NO;
    }
    if (*upload_data_size) {
        upload->body += *upload_data_size;
        *upload_data_size = 0;
        return MHD_YES;     //  bodies are counted, not kept
    }
    if (upload->body > self->max_body)
        return s_error (connection, 413, "request body too large\n");
    if (strcmp (method, "GET") && strcmp (method, "HEAD") && strcmp (method, "POST"))
        return s_error (connection, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
    sn_http_request_t request = {connection, method, url, ""};
    s_peer (connection, request.peer, sizeof request.peer);
    sn_http_reply_t reply;
    memset (&reply, 0, sizeof reply);
    reply.status = 500;
    self->handler (&request, &reply, self->arg);
    if (!reply.body)
        sn_http_reply (&reply, reply.status, "text/plain; charset=utf-8", "", 0);
    enum MHD_Result rc = s_send (connection, &reply);
    s_reply_free (&reply);
    return rc;
}

//  The library's complaints (a request too large, a malformed one) go to
//  the service's log, not to stderr.
static void
s_log (void *cls, const char *fmt, va_list args)
{
    char text [512];
    vsnprintf (text, sizeof text, fmt, args);
    text [strcspn (text, "\n")] = 0;
    sn_warning ("http: %s", text);
}

static void
s_completed (void *cls, struct MHD_Connection *connection, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    free (*con_cls);
    *con_cls = NULL;
}

sn_http_t *
sn_http_new (const sn_http_config_t *config, sn_http_handler_fn *handler, void *arg, char *err, size_t errlen)
{
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons ((uint16_t) config->port);
    if (inet_pton (AF_INET, config->address ? config->address : "127.0.0.1", &addr.sin_addr) != 1) {
        snprintf (err, errlen, "\"%s\" is not an IPv4 address", config->address);
        return NULL;
    }
    sn_http_t *self = (sn_http_t *) calloc (1, sizeof (sn_http_t));
    self->handler = handler;
    self->arg = arg;
    self->max_body = config->max_body ? config->max_body : 4096;
    self->daemon = MHD_start_daemon (
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, (uint16_t) config->port, NULL, NULL,
        s_access, self,
        MHD_OPTION_EXTERNAL_LOGGER, s_log, self,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) (config->timeout_s ? config->timeout_s : 10),
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned) (config->per_address ? config->per_address : 16),
        MHD_OPTION_CONNECTION_LIMIT, (unsigned) (config->connections ? config->connections : 128),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) (config->max_request ? config->max_request : 16384),
        MHD_OPTION_NOTIFY_COMPLETED, s_completed, self,
        MHD_OPTION_END);
    if (!self->daemon) {
        snprintf (err, errlen, "could not listen on %s:%d", config->address ? config->address : "127.0.0.1",
                  config->port);
        free (self);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? info->port : config->port;
    return self;
}

int
sn_http_port (sn_http_t *self)
{
    return self->port;
}

void
sn_http_destroy (sn_http_t **self_p)
{
    sn_http_t *self = *self_p;
    if (!self)
        return;
    MHD_stop_daemon (self->daemon);
    free (self);
    *self_p = NULL;
}
