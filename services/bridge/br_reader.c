/*  br_reader: inbound files, record by record, validated as they are read.
    See br_reader.h. */
#include "br_reader.h"
#include "envelope.pb-c.h"
#include "monitoring.pb-c.h"
#include "registry.pb-c.h"
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

//  docs/bridge.xsd, built into the binary (cmake/embed_text.cmake)
extern const char bridge_xsd [];

#define BUFFER_SIZE 65536

struct _br_schema_t {
    xmlSchemaPtr schema;            //  the compiled XSD (read-only, shared by readers)
};

//  Where the check of the bytes on their way in is, before the root element.
typedef enum {
    PROLOG_TEXT,                    //  between items: whitespace or '<'
    PROLOG_OPEN,                    //  after '<'
    PROLOG_PI,                      //  inside <? ... ?>
    PROLOG_BANG,                    //  after '<!'
    PROLOG_COMMENT_OPEN,            //  after '<!-'
    PROLOG_COMMENT,                 //  inside <!-- ... -->
    PROLOG_DONE                     //  the root element started: the rest is libxml2's
} s_prolog_t;

struct _br_reader_t {
    br_schema_t *schema;            //  borrowed
    int fd;                         //  the file
    uint64_t size;                  //  its size when opened
    uint64_t bytes;                 //  read so far
    crypto_hash_sha256_state sha;   //  of the bytes read
    uint8_t *buffer;                //  BUFFER_SIZE bytes read ahead
    size_t buffered, served;        //  bytes in buffer, bytes given to libxml2
    s_prolog_t prolog;              //  the check of the prolog
    char previous;                  //  the byte before, in the prolog
    uint8_t first;                  //  the first byte that is not a space (or a BOM)
    int dashes;                     //  '-' in a row, in a comment
    uint64_t run;                   //  bytes since the last '<'
    long line;                      //  newlines seen + 1, for the check's messages
    char refusal [400];             //  why the check refused the bytes ("" if it did not)
    char fatal [512];               //  the parser's first fatal error, with its line
    xmlTextReaderPtr xml;           //  libxml2's reader
    xmlSchemaValidCtxtPtr valid;    //  validates one record at a time
    char invalid [512];             //  the current record's first validity error
    bool root_seen;                 //  the root element was checked
    bool on_record;                 //  the reader stands on a record (xmlTextReaderNext skips it)
    bool validate;                  //  records are checked against the schema
    bool ended;                     //  the root ended: nothing more
    bool failed;                    //  a fatal error: nothing more
    uint64_t ordinal;               //  of the next record
};

//  --- libxml2 set-up --------------------------------------------------------------

//  Every external resource (a DTD, an entity, an XInclude, a schema
//  location) is refused: nothing is ever fetched or opened by libxml2.
static xmlParserInputPtr
s_refuse_entity (const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    return NULL;
}

//  libxml2's messages end with a newline and name elements with their
//  namespace in braces: cut both.
static void
s_message (char *out, size_t size, const char *message)
{
    const char *ns = "{" BR_NAMESPACE "}";
    size_t n = 0, nslen = strlen (ns);
    for (const char *m = message ? message : "error"; *m && n + 1 < size;) {
        if (strncmp (m, ns, nslen) == 0) {
            m += nslen;
            continue;
        }
        out [n++] = *m == '\n' ? ' ' : *m;
        m++;
    }
    while (n > 0 && out [n - 1] == ' ')
        n--;
    out [n] = 0;
}

static void
s_on_schema_error (void *arg, xmlErrorPtr error)
{
    char *out = (char *) arg;
    if (!*out && error)
        s_message (out, 400, error->message);
}

br_schema_t *
br_schema_new (char *err, size_t errlen)
{
    xmlInitParser ();
    char why [400] = "";
    xmlSchemaParserCtxtPtr parser = xmlSchemaNewMemParserCtxt (bridge_xsd, (int) strlen (bridge_xsd));
    xmlSchemaPtr schema = NULL;
    if (parser) {
        xmlSchemaSetParserStructuredErrors (parser, s_on_schema_error, why);
        schema = xmlSchemaParse (parser);
        xmlSchemaFreeParserCtxt (parser);
    }
    if (!schema) {
        snprintf (err, errlen, "the exchange's XSD does not compile: %s", why);
        return NULL;
    }
    //  from now on, in this process, libxml2 opens nothing on its own
    xmlSetExternalEntityLoader (s_refuse_entity);
    br_schema_t *self = (br_schema_t *) calloc (1, sizeof (br_schema_t));
    self->schema = schema;
    return self;
}

void
br_schema_destroy (br_schema_t **self_p)
{
    br_schema_t *self = *self_p;
    if (!self)
        return;
    xmlSchemaFree (self->schema);
    free (self);
    *self_p = NULL;
}

//  --- the bytes on their way in ----------------------------------------------------

//  Checks the prolog byte by byte until the root element starts: comments,
//  processing instructions and whitespace pass; "<!" anything else (a
//  DOCTYPE) is refused. Returns 0, or -1 with self->refusal set.
static int
s_check_prolog (br_reader_t *self, uint8_t c)
{
    switch (self->prolog) {
        case PROLOG_TEXT:
            if (c == '<')
                self->prolog = PROLOG_OPEN;
            else
            if (self->bytes == 0 && (c == 0xFE || c == 0xFF || c == 0x00)) {
                snprintf (self->refusal, sizeof self->refusal,
                          "the file is not UTF-8 (nor an encoding that ASCII is part of): refused");
                return -1;
            }
            else
            if (!isspace (c) && !(c == 0xEF || c == 0xBB || c == 0xBF))
                self->prolog = PROLOG_DONE;     //  not XML: s_stopped says so
            break;
        case PROLOG_OPEN:
            self->prolog = c == '?' ? PROLOG_PI : c == '!' ? PROLOG_BANG : PROLOG_DONE;
            break;
        case PROLOG_PI:
            if (c == '>' && self->previous == '?')
                self->prolog = PROLOG_TEXT;
            break;
        case PROLOG_BANG:
            if (c != '-') {
                snprintf (self->refusal, sizeof self->refusal,
                          "line %ld: a DOCTYPE is not allowed (no DTD, no entities: they are never "
                          "loaded nor expanded)", self->line);
                return -1;
            }
            self->prolog = PROLOG_COMMENT_OPEN;
            break;
        case PROLOG_COMMENT_OPEN:
            self->prolog = c == '-' ? PROLOG_COMMENT : PROLOG_DONE;
            self->dashes = 0;
            break;
        case PROLOG_COMMENT:
            if (c == '>' && self->dashes >= 2)
                self->prolog = PROLOG_TEXT;
            self->dashes = c == '-' ? self->dashes + 1 : 0;
            break;
        case PROLOG_DONE:
            break;
    }
    self->previous = (char) c;
    return 0;
}

//  Checks bytes before libxml2 sees them. Returns 0, or -1 with
//  self->refusal set.
static int
s_check_bytes (br_reader_t *self, const uint8_t *data, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = data [i];
        if (!self->first && !isspace (c) && !(c == 0xEF || c == 0xBB || c == 0xBF))
            self->first = c;
        if (self->prolog != PROLOG_DONE && s_check_prolog (self, c))
            return -1;
        if (c == '\n')
            self->line++;
        if (c == '<')
            self->run = 0;
        else
        if (++self->run > BR_MAX_RUN) {
            snprintf (self->refusal, sizeof self->refusal,
                      "line %ld: more than %d bytes without markup (a text node or a tag that long "
                      "is refused)", self->line, BR_MAX_RUN);
            return -1;
        }
        self->bytes++;
    }
    return 0;
}

//  libxml2's input: the file's bytes, hashed and checked on their way.
static int
s_read (void *context, char *out, int len)
{
    br_reader_t *self = (br_reader_t *) context;
    if (*self->refusal)
        return -1;
    if (self->served == self->buffered) {
        ssize_t got;
        do
            got = read (self->fd, self->buffer, BUFFER_SIZE);
        while (got < 0 && errno == EINTR);
        if (got < 0) {
            snprintf (self->refusal, sizeof self->refusal, "could not read the file: %s", strerror (errno));
            return -1;
        }
        self->buffered = (size_t) got;
        self->served = 0;
        if (got == 0)
            return 0;
        crypto_hash_sha256_update (&self->sha, self->buffer, (size_t) got);
        if (s_check_bytes (self, self->buffer, (size_t) got))
            return -1;
    }
    size_t n = self->buffered - self->served;
    if (n > (size_t) len)
        n = (size_t) len;
    memcpy (out, self->buffer + self->served, n);
    self->served += n;
    return (int) n;
}

static int
s_close (void *context)
{
    return 0;
}

//  The parser's errors: the first fatal one is the file's; warnings pass.
static void
s_on_parser_error (void *arg, xmlErrorPtr error)
{
    br_reader_t *self = (br_reader_t *) arg;
    if (!error || error->level < XML_ERR_ERROR || *self->fatal)
        return;
    char message [400];
    s_message (message, sizeof message, error->message);
    snprintf (self->fatal, sizeof self->fatal, "line %d: %s", error->line, message);
}

static void
s_on_validity_error (void *arg, xmlErrorPtr error)
{
    br_reader_t *self = (br_reader_t *) arg;
    if (!error || *self->invalid)
        return;
    s_message (self->invalid, sizeof self->invalid, error->message);
}

br_reader_t *
br_reader_new (br_schema_t *schema, const char *path, char *err, size_t errlen)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat (fd, &st) || !S_ISREG (st.st_mode)) {
        snprintf (err, errlen, "could not open \"%s\": %s", path, fd < 0 ? strerror (errno) : "not a file");
        if (fd >= 0)
            close (fd);
        return NULL;
    }
    br_reader_t *self = (br_reader_t *) calloc (1, sizeof (br_reader_t));
    self->schema = schema;
    self->fd = fd;
    self->size = (uint64_t) st.st_size;
    self->line = 1;
    self->validate = true;
    self->buffer = (uint8_t *) malloc (BUFFER_SIZE);
    crypto_hash_sha256_init (&self->sha);
    //  no entity substitution, no DTD loaded or checked, no network; big
    //  line numbers; text nodes bounded by the check above
    int options = XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_NOCDATA | XML_PARSE_COMPACT;
    self->xml = xmlReaderForIO (s_read, s_close, self, path, NULL, options);
    self->valid = xmlSchemaNewValidCtxt (schema->schema);
    if (!self->xml || !self->valid) {
        snprintf (err, errlen, "could not start reading \"%s\"", path);
        br_reader_destroy (&self);
        return NULL;
    }
    xmlTextReaderSetStructuredErrorHandler (self->xml, s_on_parser_error, self);
    xmlSchemaSetValidStructuredErrors (self->valid, s_on_validity_error, self);
    return self;
}

void
br_reader_destroy (br_reader_t **self_p)
{
    br_reader_t *self = *self_p;
    if (!self)
        return;
    if (self->xml)
        xmlFreeTextReader (self->xml);
    if (self->valid)
        xmlSchemaFreeValidCtxt (self->valid);
    close (self->fd);
    free (self->buffer);
    free (self);
    *self_p = NULL;
}

void
br_reader_set_validate (br_reader_t *self, bool validate)
{
    self->validate = validate;
}

uint64_t
br_reader_bytes (br_reader_t *self)
{
    return self->bytes;
}

uint64_t
br_reader_size (br_reader_t *self)
{
    return self->size;
}

void
br_reader_digest (br_reader_t *self, uint8_t digest [32])
{
    crypto_hash_sha256_state copy = self->sha;
    crypto_hash_sha256_final (&copy, digest);
}

void
br_record_key (const br_record_t *record, char *out)
{
    snprintf (out, 96, "%s:%s", record->kind == BR_RECORD_UPDATE ? "update" : "referral", record->id);
}

//  --- records -------------------------------------------------------------------------

//  Stops the reader with why (the first reason wins). Returns -1.
static int
s_fail (br_reader_t *self, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static int
s_fail (br_reader_t *self, const char *fmt, ...)
{
    if (!*self->fatal) {
        va_list args;
        va_start (args, fmt);
        vsnprintf (self->fatal, sizeof self->fatal, fmt, args);
        va_end (args);
    }
    self->failed = true;
    return -1;
}

static long
s_line (br_reader_t *self)
{
    xmlNodePtr node = xmlTextReaderCurrentNode (self->xml);
    return node ? xmlGetLineNo (node) : xmlTextReaderGetParserLineNumber (self->xml);
}

//  The root: the exchange's namespace, version 1, <inbound>, its attributes
//  as the schema says (the element alone, without its records). Returns 0 or -1.
static int
s_check_root (br_reader_t *self)
{
    const char *ns = (const char *) xmlTextReaderConstNamespaceUri (self->xml);
    const char *name = (const char *) xmlTextReaderConstLocalName (self->xml);
    long line = s_line (self);
    size_t stem = strlen (BR_NAMESPACE_STEM);
    if (!ns || strcmp (ns, BR_NAMESPACE) != 0) {
        if (ns && strncmp (ns, BR_NAMESPACE_STEM, stem) == 0)
            return s_fail (self, "line %ld: version \"%.40s\" of the exchange is not known here (this "
                           "bridge reads version 1)", line, ns + stem);
        return s_fail (self, "line %ld: <%.40s> in namespace \"%.80s\" is not a file of the cartella "
                       "sociale exchange (namespace " BR_NAMESPACE ")", line, name, ns ? ns : "");
    }
    if (strcmp (name, "inbound") != 0)
        return s_fail (self, "line %ld: the root is <%.40s>: the inbox takes <inbound> files", line, name);
    xmlDocPtr doc = xmlNewDoc (BAD_CAST "1.0");
    xmlNodePtr copy = xmlDocCopyNode (xmlTextReaderCurrentNode (self->xml), doc, 2);
    xmlDocSetRootElement (doc, copy);
    *self->invalid = 0;
    int rc = xmlSchemaValidateDoc (self->valid, doc);
    xmlFreeDoc (doc);
    if (rc != 0)
        return s_fail (self, "line %ld: the root <inbound>: %s", line, *self->invalid ? self->invalid : "invalid");
    return 0;
}

//  The reason the reader stopped, when libxml2 says only -1.
static int
s_stopped (br_reader_t *self)
{
    if (*self->refusal) {
        //  the refusal is the reason; what the parser said after it is a consequence
        snprintf (self->fatal, sizeof self->fatal, "%s", self->refusal);
        self->failed = true;
        return -1;
    }
    if (self->bytes == 0)
        snprintf (self->fatal, sizeof self->fatal, "the file is empty");
    else
    if (!self->root_seen && self->first && self->first != '<')
        snprintf (self->fatal, sizeof self->fatal, "line 1: the file is not XML (it does not start with '<')");
    if (*self->fatal)
        return s_fail (self, "%s", self->fatal);
    return s_fail (self, "line %ld: the file is not well-formed XML", self->line);
}

//  Moves to the next record (an element child of the root). Returns 1 on
//  one, 0 at the end of the file, -1 when it cannot be read on.
static int
s_advance (br_reader_t *self)
{
    int rc;
    if (self->on_record) {
        self->on_record = false;
        rc = xmlTextReaderNext (self->xml);     //  past the record, its nodes freed
    }
    else
        rc = xmlTextReaderRead (self->xml);
    while (rc == 1) {
        int type = xmlTextReaderNodeType (self->xml);
        int depth = xmlTextReaderDepth (self->xml);
        if (type == XML_READER_TYPE_DOCUMENT_TYPE)
            return s_fail (self, "line %ld: a DOCTYPE is not allowed", s_line (self));
        if (!self->root_seen && type == XML_READER_TYPE_ELEMENT) {
            if (s_check_root (self))
                return -1;
            self->root_seen = true;
        }
        else
        if (self->root_seen && depth == 1 && type == XML_READER_TYPE_ELEMENT) {
            self->on_record = true;
            return 1;
        }
        else
        if (self->root_seen && depth == 1 && (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA))
            return s_fail (self, "line %ld: text outside any record", s_line (self));
        rc = xmlTextReaderRead (self->xml);
    }
    if (rc < 0 || *self->refusal || *self->fatal)
        return s_stopped (self);
    if (!self->root_seen)
        return s_fail (self, "the file holds no XML element (it is empty, or not XML)");
    self->ended = true;
    return 0;
}

//  The deepest element under node, counting node as 1.
static int
s_depth (xmlNodePtr node, int limit)
{
    int most = 0;
    for (xmlNodePtr child = node->children; child && most < limit; child = child->next)
        if (child->type == XML_ELEMENT_NODE) {
            int d = s_depth (child, limit - 1);
            if (d > most)
                most = d;
        }
    return most + 1;
}

static void
s_text (char *out, size_t size, xmlNodePtr node)
{
    xmlChar *text = xmlNodeGetContent (node);
    snprintf (out, size, "%s", text ? (const char *) text : "");
    xmlFree (text);
}

static void
s_attr (char *out, size_t size, xmlNodePtr node, const char *name)
{
    xmlChar *value = xmlGetProp (node, BAD_CAST name);
    snprintf (out, size, "%s", value ? (const char *) value : "");
    xmlFree (value);
}

//  An enum value by its name: prefix + text (upper-cased). 0 if unknown.
static int
s_enum (const ProtobufCEnumDescriptor *desc, const char *prefix, const char *text)
{
    char name [96];
    size_t n = (size_t) snprintf (name, sizeof name, "%s", prefix);
    for (const char *t = text; *t && n + 1 < sizeof name; t++)
        name [n++] = (char) toupper ((unsigned char) *t);
    name [n] = 0;
    const ProtobufCEnumValue *value = protobuf_c_enum_descriptor_get_value_by_name (desc, name);
    return value ? value->value : 0;
}

static bool
s_is (xmlNodePtr node, const char *name)
{
    return node->type == XML_ELEMENT_NODE && strcmp ((const char *) node->name, name) == 0;
}

//  <person> or <contact>: the person's data.
static void
s_map_person (br_record_t *r, xmlNodePtr parent)
{
    for (xmlNodePtr n = parent->children; n; n = n->next) {
        if (s_is (n, "codiceFiscale"))  s_text (r->codice_fiscale, sizeof r->codice_fiscale, n);
        if (s_is (n, "surname"))        s_text (r->surname, sizeof r->surname, n);
        if (s_is (n, "name"))           s_text (r->name, sizeof r->name, n);
        if (s_is (n, "birthDate"))      s_text (r->birth_date, sizeof r->birth_date, n);
        if (s_is (n, "sex"))            s_text (r->sex, sizeof r->sex, n);
        if (s_is (n, "municipality"))   s_text (r->municipality, sizeof r->municipality, n);
        if (s_is (n, "address"))        s_text (r->address, sizeof r->address, n);
        if (s_is (n, "phone"))          s_text (r->phone, sizeof r->phone, n);
        if (s_is (n, "email"))          s_text (r->email, sizeof r->email, n);
        if (s_is (n, "category") && r->n_categories < BR_MAX_CATEGORIES) {
            char text [64];
            s_text (text, sizeof text, n);
            r->categories [r->n_categories++] = s_enum (&snodo__registry__category__descriptor, "CATEGORY_", text);
        }
    }
}

//  <grant purpose to/> or <revoke purpose to/> under parent.
static void
s_map_grants (br_record_t *r, xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr n = parent->children; n; n = n->next)
        if (s_is (n, name) && r->n_grants < BR_MAX_GRANTS) {
            char purpose [32], kind [32];
            s_attr (purpose, sizeof purpose, n, "purpose");
            s_attr (kind, sizeof kind, n, "to");
            r->grants [r->n_grants].purpose = s_enum (&snodo__purpose__descriptor, "PURPOSE_", purpose);
            r->grants [r->n_grants].kind = s_enum (&snodo__member_kind__descriptor, "MEMBER_KIND_", kind);
            r->n_grants++;
        }
}

static void
s_map_record (br_record_t *r, xmlNodePtr record)
{
    s_attr (r->id, sizeof r->id, record, "id");
    s_attr (r->date, sizeof r->date, record, "date");
    s_attr (r->referral, sizeof r->referral, record, "referral");
    for (xmlNodePtr n = record->children; n; n = n->next) {
        char text [64];
        if (s_is (n, "person") || s_is (n, "contact"))
            s_map_person (r, n);
        if (s_is (n, "contact"))
            r->update = BR_UPDATE_CONTACT;
        if (s_is (n, "ambito"))         s_text (r->ambito, sizeof r->ambito, n);
        if (s_is (n, "socialWorker"))   s_text (r->social_worker, sizeof r->social_worker, n);
        if (s_is (n, "reason"))         s_text (r->reason, sizeof r->reason, n);
        if (s_is (n, "objective")) {
            s_text (text, sizeof text, n);
            r->objective = atoi (text);
        }
        if (s_is (n, "pathwayKind")) {
            s_text (text, sizeof text, n);
            r->pathway_kind = s_enum (&snodo__monitoring__pathway_kind__descriptor, "PATHWAY_KIND_", text);
        }
        if (s_is (n, "consent")) {
            s_attr (r->consent_date, sizeof r->consent_date, n, "date");
            s_map_grants (r, n, "grant");
        }
        if (s_is (n, "consentRevoked")) {
            r->update = BR_UPDATE_CONSENT_REVOKED;
            s_map_grants (r, n, "revoke");
        }
        if (s_is (n, "withdrawn")) {
            r->update = BR_UPDATE_WITHDRAWN;
            for (xmlNodePtr w = n->children; w; w = w->next)
                if (s_is (w, "reason"))
                    s_text (r->reason, sizeof r->reason, w);
        }
    }
}

//  SHA-256 of what the record says (its fields, not its bytes: the same
//  record indented otherwise is the same record).
static void
s_content (br_record_t *r)
{
    crypto_hash_sha256_state sha;
    crypto_hash_sha256_init (&sha);
    const char *texts [] = {r->element, r->id, r->referral, r->date, r->codice_fiscale, r->surname,
                            r->name, r->birth_date, r->sex, r->municipality, r->address, r->phone,
                            r->email, r->ambito, r->social_worker, r->reason, r->consent_date, NULL};
    for (int i = 0; texts [i]; i++)
        crypto_hash_sha256_update (&sha, (const uint8_t *) texts [i], strlen (texts [i]) + 1);
    char numbers [512];
    int n = snprintf (numbers, sizeof numbers, "%d %d %d", r->objective, r->pathway_kind, (int) r->update);
    for (size_t i = 0; i < r->n_categories && n < 400; i++)
        n += snprintf (numbers + n, sizeof numbers - (size_t) n, " c%d", r->categories [i]);
    for (size_t i = 0; i < r->n_grants && n < 480; i++)
        n += snprintf (numbers + n, sizeof numbers - (size_t) n, " g%d.%d", r->grants [i].purpose,
                       r->grants [i].kind);
    crypto_hash_sha256_update (&sha, (const uint8_t *) numbers, (size_t) n);
    crypto_hash_sha256_final (&sha, r->content);
}

int
br_reader_next (br_reader_t *self, br_record_t *record, char *err, size_t errlen)
{
    int rc = self->failed ? -1 : self->ended ? 0 : s_advance (self);
    if (rc == 1) {
        xmlNodePtr node = xmlTextReaderExpand (self->xml);
        if (!node)
            rc = s_stopped (self);
        else
        if (s_depth (node, BR_MAX_DEPTH) >= BR_MAX_DEPTH)
            rc = s_fail (self, "line %ld: elements nested deeper than %d levels are refused",
                         xmlGetLineNo (node), BR_MAX_DEPTH);
        else {
            memset (record, 0, sizeof *record);
            record->ordinal = self->ordinal++;
            record->line = xmlGetLineNo (node);
            snprintf (record->element, sizeof record->element, "%s", (const char *) node->name);
            record->kind = s_is (node, "referral") ? BR_RECORD_REFERRAL
                         : s_is (node, "update") ? BR_RECORD_UPDATE : BR_RECORD_OTHER;
            s_map_record (record, node);
            *self->invalid = 0;
            if (record->kind == BR_RECORD_OTHER)
                snprintf (record->error, sizeof record->error,
                          "<%.32s> is not a record of an inbound file (referral or update)", record->element);
            else
            if (self->validate && xmlSchemaValidateOneElement (self->valid, node) != 0)
                snprintf (record->error, sizeof record->error, "%s", *self->invalid ? self->invalid : "invalid");
            s_content (record);
        }
    }
    if (rc < 0)
        snprintf (err, errlen, "%s", self->fatal);
    return rc;
}

int
br_schema_validate_file (br_schema_t *schema, const char *path, char *err, size_t errlen)
{
    br_reader_t *self = br_reader_new (schema, path, err, errlen);
    if (!self)
        return -1;
    int rc = xmlTextReaderSchemaValidateCtxt (self->xml, self->valid, 0) == 0 ? 0 : -1;
    while (rc == 0 && (rc = xmlTextReaderRead (self->xml)) == 1)
        if (*self->invalid)
            break;
    if (rc < 0 || *self->refusal || *self->fatal)
        s_stopped (self);
    else
    if (*self->invalid || xmlTextReaderIsValid (self->xml) != 1)
        s_fail (self, "%s", *self->invalid ? self->invalid : "not valid against the exchange's schema");
    rc = self->failed ? -1 : 0;
    if (rc)
        snprintf (err, errlen, "%s", self->fatal);
    br_reader_destroy (&self);
    return rc;
}
