/*  fuzz_seeds: writes the seed corpus of the harnesses, tests/fuzz/corpus/,
    again: run it when rpcs or messages were added (the harnesses pick them
    by their place among all), then look at what changed before committing.

        build-fuzz/tests/fuzz/fuzz_seeds tests/fuzz/corpus

    Each seed is a small input of the harness's own layout (see each
    harness's head comment) that reaches far into its target: every field of
    a message set, a good request of each kind, valid identifiers, a whole
    config (its certificate is made anew each time). A few dozen a harness:
    the fuzzer finds the rest from them. */
#include "fuzz_support.h"
#include "codec_test.pb-c.h"
#include "envelope.pb-c.h"
#include "matching.pb-c.h"
#include "monitoring.pb-c.h"
#include "registry.pb-c.h"
#include "sn_json.h"
#include "sn_validate.h"
#include <czmq.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

//  An rpc input gets a seed of its own with this many fields or more, or a
//  message field: the small ones ({id}) the fuzzer finds from the others.
#define RICH_FIELDS 4
#define MAX_JSON_SEEDS 24

static char s_dir [512];

//  Writes a seed: the head bytes (n of them), then size bytes of data.
static void
s_seed (const char *name, const uint8_t *head, size_t n, const void *data, size_t size)
{
    char path [768];
    snprintf (path, sizeof path, "%s/%s", s_dir, name);
    FILE *file = fopen (path, "wb");
    FUZZ_CHECK (file, "could not write %s", path);
    fwrite (head, 1, n, file);
    fwrite (data, 1, size, file);
    fclose (file);
}

static void
s_folder (const char *corpus, const char *harness)
{
    snprintf (s_dir, sizeof s_dir, "%s/%s", corpus, harness);
    mkdir (corpus, 0755);
    mkdir (s_dir, 0755);
}

//  --- a message with every field set -------------------------------------------

static void s_fill (ProtobufCMessage *msg, int depth);

//  A text for a string field, by its name: what such a field holds.
static const char *
s_text_for (const char *name)
{
    if (strstr (name, "codice_fiscale"))
        return "RSSMRA80A01H501U";
    if (strstr (name, "partita_iva"))
        return "00743110157";
    if (strstr (name, "date") || strstr (name, "_on") || strstr (name, "from") || strstr (name, "until"))
        return "2026-03-16";
    if (strstr (name, "sector") || strstr (name, "ateco"))
        return "62.01";
    if (streq (name, "id") || strstr (name, "_id"))
        return "5f0c6b8e-2b1d-4f7a-9a51-0c3e2d1f4b6a";
    if (strstr (name, "purpose"))
        return "placement";
    return "Zanè Niccolò, società 🙂";
}

//  Sets one value of field f at ptr.
static void
s_fill_value (const ProtobufCFieldDescriptor *f, void *ptr, int depth)
{
    switch (f->type) {
        case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
            *(int32_t *) ptr = -7;
            break;
        case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
            *(uint32_t *) ptr = 7;
            break;
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
            *(int64_t *) ptr = 1789000000000;
            break;
        case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
            *(uint64_t *) ptr = 18446744073709551615ull;
            break;
        case PROTOBUF_C_TYPE_DOUBLE:
            *(double *) ptr = 45.9564;
            break;
        case PROTOBUF_C_TYPE_FLOAT:
            *(float *) ptr = 1.5f;
            break;
        case PROTOBUF_C_TYPE_BOOL:
            *(protobuf_c_boolean *) ptr = 1;
            break;
        case PROTOBUF_C_TYPE_ENUM: {
            const ProtobufCEnumDescriptor *desc = (const ProtobufCEnumDescriptor *) f->descriptor;
            *(int *) ptr = desc->values [desc->n_values - 1].value;
            break;
        }
        case PROTOBUF_C_TYPE_STRING:
            *(char **) ptr = strdup (s_text_for (f->name));
            break;
        case PROTOBUF_C_TYPE_BYTES: {
            ProtobufCBinaryData *b = (ProtobufCBinaryData *) ptr;
            b->len = 16;
            b->data = (uint8_t *) malloc (16);
            for (int i = 0; i < 16; i++)
                b->data [i] = (uint8_t) (i * 17);
            break;
        }
        case PROTOBUF_C_TYPE_MESSAGE: {
            const ProtobufCMessageDescriptor *desc = (const ProtobufCMessageDescriptor *) f->descriptor;
            ProtobufCMessage *sub = (ProtobufCMessage *) calloc (1, desc->sizeof_message);
            protobuf_c_message_init (desc, sub);
            if (depth < 3)
                s_fill (sub, depth + 1);
            *(ProtobufCMessage **) ptr = sub;
            break;
        }
    }
}

//  Sets every field of msg (two elements of each repeated one, the first
//  member of each oneof), and of its messages down to depth 3.
static void
s_fill (ProtobufCMessage *msg, int depth)
{
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields [i];
        char *member = (char *) msg + f->offset;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t size = sn_json_element_size (f);
            char *array = (char *) calloc (2, size);
            for (int k = 0; k < 2; k++)
                s_fill_value (f, array + k * size, depth);
            *(size_t *) ((char *) msg + f->quantifier_offset) = 2;
            *(char **) member = array;
            continue;
        }
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t *which = (uint32_t *) ((char *) msg + f->quantifier_offset);
            if (*which)
                continue;
            *which = f->id;
        }
        s_fill_value (f, member, depth);
    }
}

//  A new message of desc with every field set. Free with
//  protobuf_c_message_free_unpacked.
static ProtobufCMessage *
s_full (const ProtobufCMessageDescriptor *desc)
{
    ProtobufCMessage *msg = (ProtobufCMessage *) calloc (1, desc->sizeof_message);
    protobuf_c_message_init (desc, msg);
    s_fill (msg, 0);
    return msg;
}

//  True if desc is worth a seed of its own (see RICH_FIELDS).
static bool
s_rich (const ProtobufCMessageDescriptor *desc)
{
    if (desc->n_fields >= RICH_FIELDS)
        return true;
    for (unsigned i = 0; i < desc->n_fields; i++)
        if (desc->fields [i].type == PROTOBUF_C_TYPE_MESSAGE)
            return true;
    return false;
}

//  --- fuzz_envelope ---------------------------------------------------------------

//  A request frame's seed for fuzz_envelope: caller and core picked as the
//  harness does (caller + FUZZ_CALLERS * core).
static void
s_frame (const char *name, int caller, int core, const char *method, const char *purpose, size_t id_len,
         const ProtobufCMessageDescriptor *body_desc)
{
    static const uint8_t id [16] = {0x5f, 0x0c, 0x6b, 0x8e, 0x2b, 0x1d, 0x4f, 0x7a,
                                    0x9a, 0x51, 0x0c, 0x3e, 0x2d, 0x1f, 0x4b, 0x6a};
    Snodo__Request request = SNODO__REQUEST__INIT;
    request.request_id = (ProtobufCBinaryData) {id_len, (uint8_t *) id};
    request.method = (char *) method;
    request.purpose = (char *) purpose;
    request.deadline_ms = 5000;
    size_t body_len = 0;
    uint8_t *body = NULL;
    if (body_desc) {
        ProtobufCMessage *msg = s_full (body_desc);
        body = fuzz_pack (msg, &body_len);
        protobuf_c_message_free_unpacked (msg, NULL);
    }
    request.body = (ProtobufCBinaryData) {body_len, body};
    size_t len;
    uint8_t *data = fuzz_pack (&request.base, &len);
    uint8_t head [2] = {0, (uint8_t) (caller + FUZZ_CALLERS * core)};
    s_seed (name, head, 2, data, len);
    free (data);
    free (body);
}

static void
s_envelope (const char *corpus)
{
    s_folder (corpus, "envelope");
    const fuzz_rpc_t *rpcs;
    size_t n = fuzz_rpcs (&rpcs);
    for (size_t i = 0; i < n; i++) {
        const ProtobufCMessageDescriptor *input = rpcs [i].method->input;
        bool first = true;
        for (size_t k = 0; k < i && first; k++)
            first = rpcs [k].method->input != input;
        if (!first || !s_rich (input))
            continue;
        ProtobufCMessage *msg = s_full (input);
        size_t len;
        uint8_t *data = fuzz_pack (msg, &len);
        uint8_t head [3] = {1, (uint8_t) (i >> 8), (uint8_t) i};
        char name [160];
        snprintf (name, sizeof name, "body-%s.%s", rpcs [i].service->name, rpcs [i].method->name);
        s_seed (name, head, 3, data, len);
        free (data);
        protobuf_c_message_free_unpacked (msg, NULL);
    }
    //  callers: kind k is caller k-1 (SIL is 4, ADMIN 12); 12 revoked, 13 a stranger
    s_frame ("frame-registry.CreatePerson", 3, 0, "registry.CreatePerson", "placement", 16,
             &snodo__registry__create_person_request__descriptor);
    s_frame ("frame-monitoring.Refer-unknown-purpose", 3, 1, "monitoring.Refer", "curiosity", 16,
             &snodo__monitoring__refer_request__descriptor);
    s_frame ("frame-matching.BestPosts-wrong-kind", 8, 2, "matching.BestPosts", "placement", 16,
             &snodo__matching__best_posts_request__descriptor);
    s_frame ("frame-journal.Replay", 10, 1, "journal.Replay", "", 16, &snodo__replay_request__descriptor);
    s_frame ("frame-journal.Health-stranger", 13, 2, "journal.Health", "", 16, NULL);
    s_frame ("frame-revoked", 12, 0, "registry.ListMembers", "", 16, NULL);
    s_frame ("frame-unknown-method", 11, 0, "registry.Nothing", "", 16, NULL);
    s_frame ("frame-short-request-id", 11, 0, "registry.WhoAmI", "", 3, NULL);
}

//  --- fuzz_json -------------------------------------------------------------------

static void
s_json_text (const char *name, uint8_t message, const char *text)
{
    uint8_t head [2] = {0, message};
    s_seed (name, head, 2, text, strlen (text));
}

static void
s_json (const char *corpus)
{
    s_folder (corpus, "json");
    const ProtobufCMessageDescriptor *const *messages;
    size_t n = fuzz_messages (&messages);
    FUZZ_CHECK (messages [0] == &snodo__test__everything__descriptor, "fuzz_messages starts with Everything");
    //  every field type, names and aliases, special numbers
    s_json_text (
        "json-Everything-values", 0,
        "{\"anInt32\": -5, \"aSint32\": -7, \"aUint32\": 4000000000, \"anInt64\": \"-9007199254740993\","
        " \"aUint64\": \"18446744073709551615\", \"aFixed64\": 12, \"aDouble\": 0.1, \"aFloat\": 1.5,"
        " \"aBool\": true, \"aString\": \"città è \\u00e8\\ud83d\\ude42\", \"someBytes\": \"AAEC/w==\","
        " \"colour\": \"COLOUR_DARK_BLUE\", \"choiceText\": \"t\"}");
    s_json_text ("json-Everything-lists", 0,
                 "{\"inner\": {\"label\": \"x\", \"weight\": 3}, \"numbers\": [1, -2, 3.0],"
                 " \"words\": [\"a\", \"\", \"c\"], \"inners\": [{\"label\": \"p\"}, {}],"
                 " \"colours\": [\"red\", 2, \"Dark_Blue\"], \"choiceInner\": {\"weight\": \"-4\"}}");
    s_json_text (
        "json-Everything-specials", 0,
        "{\"a_double\": \"NaN\", \"a_float\": \"-Infinity\", \"an_int32\": null, \"some_bytes\": \"-_8\","
        " \"a_uint64\": 9007199254740993, \"an_int64\": -1e3, \"a_string\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}");
    s_json_text ("json-Node", 1,
                 "{\"name\": \"a\", \"child\": {\"name\": \"b\", \"child\": {\"child\": {\"child\": {}}}}}");
    ProtobufCMessage *everything = s_full (&snodo__test__everything__descriptor);
    size_t len;
    uint8_t *data = fuzz_pack (everything, &len);
    uint8_t head [2] = {1, 0};
    s_seed ("bytes-Everything", head, 2, data, len);
    free (data);
    protobuf_c_message_free_unpacked (everything, NULL);
    size_t written = 0;
    for (size_t i = 2; i < n && written < MAX_JSON_SEEDS; i++) {
        if (!s_rich (messages [i]) || messages [i]->n_fields < 2 * RICH_FIELDS)
            continue;
        ProtobufCMessage *msg = s_full (messages [i]);
        char *text = sn_json_from_message (msg, written % 2 ? SN_JSON_PRETTY : 0);
        char name [160];
        snprintf (name, sizeof name, "json-%s", messages [i]->name);
        s_json_text (name, (uint8_t) i, text);
        if (written % 4 == 0) {
            data = fuzz_pack (msg, &len);
            uint8_t bytes_head [2] = {1, (uint8_t) i};
            snprintf (name, sizeof name, "bytes-%s", messages [i]->name);
            s_seed (name, bytes_head, 2, data, len);
            free (data);
        }
        free (text);
        protobuf_c_message_free_unpacked (msg, NULL);
        written++;
    }
}

//  --- fuzz_validate -------------------------------------------------------------

static void
s_validate_text (const char *name, uint8_t target, const char *text, const uint8_t *tail, size_t tail_len)
{
    size_t len = strlen (text);
    uint8_t *data = (uint8_t *) malloc (len + 1 + tail_len);
    memcpy (data, text, len + 1);
    if (tail_len)
        memcpy (data + len + 1, tail, tail_len);
    s_seed (name, &target, 1, data, tail_len ? len + 1 + tail_len : len);
    free (data);
}

static void
s_validate (const char *corpus)
{
    s_folder (corpus, "validate");
    char cf [17];
    //  reference year 2026, omocodia of every digit, the 4th character changed
    const uint8_t tail [] = {0x07, 0xea, 0x7f, 3};
    FUZZ_CHECK (sn_codice_fiscale_build ("Rossi", "Mario", 1980, 1, 1, 'M', "H501", cf) == 0,
                "a code to seed");
    s_validate_text ("cf-valid", 0, cf, tail, sizeof tail);
    FUZZ_CHECK (sn_codice_fiscale_build ("De Luca", "Maria Grazia", 1984, 2, 29, 'F', "G888", cf) == 0,
                "a code");
    s_validate_text ("cf-valid-29-february", 0, cf, tail, sizeof tail);
    //  every digit as its omocodia letter, the check character made again
    for (int i = 6; i < 15; i++)
        if (cf [i] >= '0' && cf [i] <= '9')
            cf [i] = "LMNPQRSTUV" [cf [i] - '0'];
    cf [15] = sn_codice_fiscale_check_char (cf);
    FUZZ_CHECK (sn_validate_codice_fiscale (cf, NULL, 0), "%s, all omocodia, is valid", cf);
    s_validate_text ("cf-omocodia", 0, cf, tail, sizeof tail);
    s_validate_text ("cf-lower-case", 0, "rssmra80a01h501u", NULL, 0);
    char piva [12] = "0074311015?";
    for (char digit = '0'; digit <= '9' && !sn_validate_partita_iva (piva, NULL, 0); digit++)
        piva [10] = digit;
    FUZZ_CHECK (sn_validate_partita_iva (piva, NULL, 0), "%s is valid", piva);
    s_validate_text ("cf-temporary", 0, piva, NULL, 0);
    s_validate_text ("piva-valid", 1, piva, (const uint8_t *) "\x05", 1);
    s_validate_text ("piva-office", 1, "12345670017", NULL, 0);
    s_validate_text ("ateco-class", 2, "62.01", NULL, 0);
    s_validate_text ("ateco-subcategory", 2, "62.01.00", NULL, 0);
    s_validate_text ("ateco-division-00", 2, "00", NULL, 0);
    const uint8_t build [] = {'F', 0x07, 0xbc, 2, 29, 'D', 'e', ' ', 'L', 'u', 'c', 'a', 0,
                              'M', 'a', 'r', 'i', 'a', 0, 'g', '8', '8', '8'};
    uint8_t target = 3;
    s_seed ("build-29-february", &target, 1, build, sizeof build);
    s_validate_text ("date-leap", 4, "2024-02-29", NULL, 0);
    s_validate_text ("date-not-leap", 4, "2100-02-29", NULL, 0);
    s_validate_text ("uuid", 5, "5f0c6b8e-2b1d-4f7a-9a51-0C3E2D1F4B6A", NULL, 0);
    s_validate_text ("utf8", 6, "Zanè Niccolò 🙂 \xed\x9f\xbf \xf4\x8f\xbf\xbf", NULL, 0);
    s_validate_text ("utf8-bad", 6, "NA\xc3\x28 \xc0\x80 \xed\xa0\x80 \xf4\x90\x80\x80 ab\xe2\x82", NULL, 0);
    s_validate_text ("check-char", 7, "RSSMRA80A01H501", NULL, 0);
}

//  --- fuzz_config ---------------------------------------------------------------

static void
s_config_seed (const char *name, const char *text, const char *key, const char *cert)
{
    size_t text_len = strlen (text), key_len = strlen (key), cert_len = strlen (cert);
    size_t size = text_len + 1 + key_len + 1 + cert_len;
    char *data = (char *) malloc (size);
    memcpy (data, text, text_len + 1);
    memcpy (data + text_len + 1, key, key_len + 1);
    memcpy (data + text_len + 1 + key_len + 1, cert, cert_len);
    s_seed (name, NULL, 0, data, size);
    free (data);
}

static void
s_config (const char *corpus)
{
    s_folder (corpus, "config");
    const char *whole =
        "#   as deploy/snodo.cfg.in writes it\n"
        "snodo\n    var = \"/srv/snodo\"\n"
        "registry\n"
        "    request = \"tcp://127.0.0.1:7401\"\n    events = \"tcp://127.0.0.1:7402\"\n"
        "    db = \"host=/srv/snodo/pg/run port=5432 dbname=snodo user=registry connect_timeout=3\"\n"
        "    cert = \"good.cert\"\n    audit_key = \"fuzz.key\"\n"
        "    batch = 16               # most requests a worker serves in one transaction\n"
        "    max_message = 1048576\n    hwm = 1000\n    deadline_ms = 10000\n    workers = 2\n"
        "    idempotency_days = 7\n"
        "    admin\n        id = admin\n        key = \"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\"\n"
        "monitoring\n"
        "    request = \"tcp://127.0.0.1:7403\"\n    events = \"tcp://127.0.0.1:7404\"\n"
        "    db = \"dbname=snodo user=monitoring\"\n    cert = \"fuzz.cert\"\n    audit_key = \"good.key\"\n"
        "matching\n"
        "    request = \"tcp://127.0.0.1:7405\"\n    events = \"tcp://127.0.0.1:7406\"\n"
        "    public_key = \"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\"\n";
    zcert_t *cert = zcert_new ();
    zcert_set_meta (cert, "name", "fuzz");
    char path [] = "/tmp/snodo-fuzz-seed.XXXXXX";
    int fd = mkstemp (path);
    FUZZ_CHECK (fd >= 0, "could not make a file in /tmp");
    close (fd);
    FUZZ_CHECK (zcert_save_secret (cert, path) == 0, "could not save a certificate");
    zchunk_t *chunk = zchunk_slurp (path, 0);
    unlink (path);
    char *cert_text = zchunk_strdup (chunk);
    zchunk_destroy (&chunk);
    zcert_destroy (&cert);
    const char *key = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF\n";
    s_config_seed ("config-whole", whole, key, cert_text);
    s_config_seed ("config-bad-numbers",
                   "registry\n    request = \"tcp://*:1\"\n    events = \"tcp://*:2\"\n    db = \"x\"\n"
                   "    batch = 65\n    workers = -1\n    max_message = 1e6\n    hwm = \"\"\n",
                   key, cert_text);
    s_config_seed ("config-peer-from-cert",
                   "registry\n    request = tcp://a\n    events = tcp://b\n    cert = public.cert\n", "", "");
    s_config_seed ("config-key-short", "registry\n    request = a\n    events = b\n    db = c\n"
                   "    cert = fuzz.cert\n    audit_key = fuzz.key\n", "0011 2233\n", cert_text);
    s_config_seed ("config-syntax", "a\n    b = \"unterminated\n  c\n\tsome = 'thing'\nx=1 # y\n", "", "");
    zstr_free (&cert_text);
}

int
main (int argc, char *argv [])
{
    if (argc != 2) {
        fprintf (stderr, "usage: fuzz_seeds CORPUS (tests/fuzz/corpus)\n");
        return 2;
    }
    s_envelope (argv [1]);
    s_json (argv [1]);
    s_validate (argv [1]);
    s_config (argv [1]);
    return 0;
}
