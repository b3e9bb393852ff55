/*  The generic JSON <-> protobuf codec: round trips, the mapping's details,
    and errors that name the field; and the server settings read from the
    ZPL config. */
#include "sn_json.h"
#include "sn_config.h"
#include "codec_test.pb-c.h"
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <json-c/json.h>
#include <string.h>
#include <unistd.h>

#define DESC (&snodo__test__everything__descriptor)

static Snodo__Test__Everything *
s_parse (const char *json)
{
    char err [256] = "";
    Snodo__Test__Everything *m = (Snodo__Test__Everything *) sn_json_to_message (DESC, json, err, sizeof err);
    cr_assert (m, "parse failed: %s", err);
    return m;
}

//  message -> JSON -> message gives the same bytes
static void
s_round_trip (const char *json)
{
    Snodo__Test__Everything *a = s_parse (json);
    char *text = sn_json_from_message (&a->base, 0);
    Snodo__Test__Everything *b = s_parse (text);
    size_t la = snodo__test__everything__get_packed_size (a), lb = snodo__test__everything__get_packed_size (b);
    cr_assert_eq (la, lb, "%s -> %s", json, text);
    uint8_t *pa = malloc (la + 1), *pb = malloc (lb + 1);
    snodo__test__everything__pack (a, pa);
    snodo__test__everything__pack (b, pb);
    cr_assert_eq (memcmp (pa, pb, la), 0, "%s -> %s", json, text);
    free (pa);
    free (pb);
    free (text);
    snodo__test__everything__free_unpacked (a, NULL);
    snodo__test__everything__free_unpacked (b, NULL);
}

Test (json, round_trips)
{
    s_round_trip ("{}");
    s_round_trip ("{\"anInt32\": -5, \"aSint32\": -7, \"aUint32\": 4000000000, \"anInt64\": \"-9007199254740993\","
                  " \"aUint64\": \"18446744073709551615\", \"aFixed64\": \"12\", \"aDouble\": 0.1,"
                  " \"aFloat\": 1.5, \"aBool\": true, \"aString\": \"città è\", \"someBytes\": \"AAEC/w==\"}");
    s_round_trip ("{\"colour\": \"COLOUR_DARK_BLUE\", \"inner\": {\"label\": \"x\", \"weight\": 3},"
                  " \"numbers\": [1, -2, 3], \"words\": [\"a\", \"\", \"c\"],"
                  " \"inners\": [{\"label\": \"p\"}, {}], \"colours\": [\"COLOUR_RED\", 2]}");
    s_round_trip ("{\"choiceInner\": {\"label\": \"in\"}}");
    s_round_trip ("{\"choiceText\": \"\"}");
    s_round_trip ("{\"aDouble\": \"NaN\", \"aFloat\": \"-Infinity\"}");
}

Test (json, exact_output)
{
    Snodo__Test__Everything *m = s_parse ("{\"an_int32\": 7, \"an_int64\": 42, \"colour\": \"red\","
                                          " \"some_bytes\": \"aGk=\", \"a_string\": \"\"}");
    char *text = sn_json_from_message (&m->base, 0);
    cr_assert_str_eq (text, "{\"anInt32\":7,\"anInt64\":\"42\",\"someBytes\":\"aGk=\",\"colour\":\"COLOUR_RED\"}");
    free (text);
    text = sn_json_from_message (&m->base, SN_JSON_EMIT_DEFAULTS);
    cr_assert (strstr (text, "\"aString\":\"\""), "%s", text);
    cr_assert (strstr (text, "\"numbers\":[]"), "%s", text);
    cr_assert_null (strstr (text, "choiceText"), "an unset oneof member is never written: %s", text);
    free (text);
    snodo__test__everything__free_unpacked (m, NULL);
}

Test (json, written_with_its_defaults_a_message_reads_back_the_same)
{
    Snodo__Test__Everything *m = s_parse ("{\"anInt32\": 7}");
    char *text = sn_json_from_message (&m->base, SN_JSON_EMIT_DEFAULTS);
    cr_assert (strstr (text, "\"inner\":null"), "a message not set is null, not {}: %s", text);
    Snodo__Test__Everything *again = s_parse (text);
    cr_expect_null (again->inner, "and reads back not set");
    cr_expect_eq (again->an_int32, 7);
    free (text);
    snodo__test__everything__free_unpacked (again, NULL);
    snodo__test__everything__free_unpacked (m, NULL);
}

Test (json, names_and_aliases)
{
    Snodo__Test__Everything *m = s_parse ("{\"a_uint32\": 3, \"aBool\": true, \"colour\": \"dark_blue\","
                                          " \"colours\": [\"Red\", \"COLOUR_DARK_BLUE\", 1], \"aUint64\": 5}");
    cr_assert_eq (m->a_uint32, 3);
    cr_assert (m->a_bool);
    cr_assert_eq (m->colour, SNODO__TEST__COLOUR__COLOUR_DARK_BLUE);
    cr_assert_eq (m->n_colours, 3);
    cr_assert_eq (m->colours [0], SNODO__TEST__COLOUR__COLOUR_RED);
    cr_assert_eq (m->colours [2], SNODO__TEST__COLOUR__COLOUR_RED);
    cr_assert_eq (m->a_uint64, 5);
    snodo__test__everything__free_unpacked (m, NULL);
    m = s_parse ("{\"someBytes\": \"AAEC/w\", \"anInt32\": null}");
    cr_assert_eq (m->some_bytes.len, 4);
    cr_assert_eq (m->some_bytes.data [3], 0xff);
    cr_assert_eq (m->an_int32, 0);
    snodo__test__everything__free_unpacked (m, NULL);
}

//  Criterion hands parameters to a new process: they hold text, not pointers.
typedef struct {
    char json [64];
    char expect [80];       //  a part of the error
} bad_t;

static bad_t s_bad [] = {
    {"{\"anInt32\": \"x\"}", "an_int32: \"x\" is not an integer"},
    {"{\"anInt32\": 4294967296}", "an_int32: 4294967296 is out of range for int32"},
    {"{\"aUint32\": -1}", "a_uint32: -1 is negative"},
    {"{\"aBool\": 1}", "a_bool: expected boolean, got integer"},
    {"{\"aString\": 5}", "a_string: expected string, got integer"},
    {"{\"colour\": \"PURPLE\"}", "colour: unknown enum value \"PURPLE\" for snodo.test.Colour"},
    {"{\"colours\": [\"RED\", \"NOPE\"]}", "colours[1]: unknown enum value"},
    {"{\"inner\": {\"label\": 3}}", "inner.label: expected string"},
    {"{\"inners\": [{}, {\"weight\": \"heavy\"}]}", "inners[1].weight:"},
    {"{\"nonsense\": 1}", "unknown field \"nonsense\""},
    {"{\"inner\": {\"nonsense\": 1}}", "inner: unknown field \"nonsense\" in snodo.test.Inner"},
    {"{\"someBytes\": \"!!!\"}", "some_bytes: invalid base64"},
    {"{\"numbers\": 3}", "numbers: expected array"},
    {"{\"choiceText\": \"a\", \"choiceInner\": {}}", "choice_inner: another member of its oneof"},
    {"{\"anInt32\": 1,", "invalid JSON at line 1"},
    {"{\"anInt32\": 1}\n{}", "unexpected text after the value"},
    {"[1, 2]", "expected a JSON object"},
    {"{\"anInt64\": \"12x\"}", "an_int64: \"12x\" is not an integer"},
    //  what C would cut or misread, and what the wire refuses: refused here too
    {"{\"aString\": \"NA\\u0000EXX\"}", "a_string: holds a NUL character"},
    {"{\"words\": [\"ok\", \"\xff\"]}", "words[1]: is not UTF-8 text"},
    {"{\"colour\": \"RED\\u0000x\"}", "colour: holds a NUL character"},
    {"{\"colour\": 99}", "colour: 99 is not a value of snodo.test.Colour"},
    {"{\"aUint64\": \" -1\"}", "a_uint64: \" -1\" is not an integer"},
    {"{\"anInt64\": \"+5\"}", "an_int64: \"+5\" is not an integer"},
    {"{\"aUint32\": \"7\\u0000\"}", "a_uint32: holds a NUL character"},
    //  an element that fails in a list: nothing half made is freed twice or wrongly
    {"{\"words\": [\"ok\", 5]}", "words[1]: expected string, got integer"},
    {"{\"someBytes\": \"AA\", \"inners\": [{}, {\"label\": 1}]}", "inners[1].label: expected string"},
    {"{\"inners\": [{}, 3]}", "inners[1]: expected object"},
};

ParameterizedTestParameters (json, errors_name_the_field)
{
    return cr_make_param_array (bad_t, s_bad, sizeof s_bad / sizeof s_bad [0]);
}

ParameterizedTest (bad_t *bad, json, errors_name_the_field)
{
    char err [256] = "";
    ProtobufCMessage *m = sn_json_to_message (DESC, bad->json, err, sizeof err);
    cr_assert_null (m, "%s was accepted", bad->json);
    cr_assert (strstr (err, bad->expect), "for %s: expected \"%s\" in \"%s\"", bad->json, bad->expect, err);
}

//  --- the server's settings in the config --------------------------------


static int
s_server_config (const char *extra, sn_server_config_t *out, char *err, size_t errlen)
{
    char *text = zsys_sprintf ("registry\n    request = \"tcp://127.0.0.1:7401\"\n"
                               "    events = \"tcp://127.0.0.1:7402\"\n    db = \"dbname=x\"\n%s", extra);
    zconfig_t *config = zconfig_str_load (text);
    zstr_free (&text);
    memset (out, 0, sizeof *out);
    int rc = sn_config_server (config, "registry", out, err, errlen);
    zconfig_destroy (&config);
    return rc;
}

Test (config, batch_and_workers_are_read_with_their_defaults_and_limits)
{
    sn_server_config_t out;
    char err [256] = "";
    cr_assert_eq (s_server_config ("", &out, err, sizeof err), 0, "%s", err);
    cr_assert_eq (out.batch, 16);
    cr_assert_eq (out.workers, 0, "left out: the server's default");
    long cores = sysconf (_SC_NPROCESSORS_ONLN);
    cr_assert_eq (sn_server_default_workers (), cores < 2 ? 2 : cores > 16 ? 16 : cores,
                  "one worker per core, 2-16");
    cr_assert_eq (s_server_config ("    batch = 1\n    workers = 2\n", &out, err, sizeof err), 0, "%s", err);
    cr_assert_eq (out.batch, 1);
    cr_assert_eq (out.workers, 2);
    cr_assert_eq (s_server_config ("    workers = -1\n", &out, err, sizeof err), -1);
    cr_assert_eq (s_server_config ("    workers = 257\n", &out, err, sizeof err), -1);
    cr_assert_eq (s_server_config ("    batch = 65\n", &out, err, sizeof err), -1);
    cr_assert (strstr (err, "registry/"), "the error names the section: %s", err);
    cr_assert_eq (s_server_config ("    batch = many\n", &out, err, sizeof err), -1);
}

//  A key file's text, written into a file of its own; its path (static).
static const char *
s_key_file (const char *text)
{
    static char path [64];
    snprintf (path, sizeof path, "/tmp/snodo-test-key.%d", getpid ());
    FILE *file = fopen (path, "w");
    cr_assert (file);
    fputs (text, file);
    fclose (file);
    return path;
}

Test (config, a_key_file_holds_64_hex_digits_and_nothing_else_on_its_line)
{
    uint8_t key [32];
    char err [256] = "";
    cr_assert_eq (sn_config_key (s_key_file ("00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF\n"),
                                 key, err, sizeof err), 0, "%s", err);
    cr_expect_eq (key [0], 0x00);
    cr_expect_eq (key [1], 0x11);
    cr_expect_eq (key [31], 0xff);
    cr_expect_eq (sn_config_key (s_key_file ("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"),
                                 key, err, sizeof err), 0, "no newline: %s", err);
    //  sscanf's %2x took "8]" for 0x08, " 1" and "-1" too: another key than the file's, taken silently
    const char *bad [] = {"00112233445566778]99aabbccddeeff00112233445566778899aabbccddeeff\n",
                          " 0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
                          "-1112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
                          "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00\n",
                          "00112233445566778899aabbccddeeff\n", "", NULL};
    for (int i = 0; bad [i]; i++) {
        cr_expect_eq (sn_config_key (s_key_file (bad [i]), key, err, sizeof err), -1, "taken: \"%s\"", bad [i]);
        cr_expect (strstr (err, "64 hex digits"), "%s", err);
    }
    unlink (s_key_file (""));
}

Test (config, a_peer_key_is_40_characters_of_z85_that_decode)
{
    const char *text = "matching\n    request = \"tcp://127.0.0.1:1\"\n    events = \"tcp://127.0.0.1:2\"\n"
                       "    public_key = \"%s\"\n";
    zcert_t *cert = zcert_new ();
    const char *keys [] = {zcert_public_txt (cert), "~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~", NULL};
    for (int i = 0; keys [i]; i++) {
        char *cfg = zsys_sprintf (text, keys [i]);
        zconfig_t *config = zconfig_str_load (cfg);
        sn_peer_t peer;
        char err [256] = "";
        int rc = sn_config_peer (config, "matching", &peer, err, sizeof err);
        if (i == 0)
            cr_expect_eq (rc, 0, "%s", err);
        else {
            //  ZeroMQ asserts when a socket is given a key it cannot decode
            cr_expect_eq (rc, -1, "a key of 40 characters that are not Z85 was taken");
            cr_expect (strstr (err, "Z85"), "%s", err);
        }
        zconfig_destroy (&config);
        zstr_free (&cfg);
    }
    zcert_destroy (&cert);
}

Test (config, a_certificate_whose_public_key_is_not_its_secret_keys_is_refused)
{
    zcert_t *one = zcert_new (), *other = zcert_new ();
    zcert_t *mixed = zcert_new_from (zcert_public_key (one), zcert_secret_key (other));
    char path [64];
    snprintf (path, sizeof path, "/tmp/snodo-test-cert.%d", getpid ());
    cr_assert_eq (zcert_save (mixed, path), 0);
    char err [256] = "";
    zcert_t *loaded = sn_config_cert (path, err, sizeof err);
    cr_expect_null (loaded, "CURVE would fail every handshake, with nothing said");
    cr_expect (strstr (err, "is not its secret key's"), "%s", err);
    zcert_destroy (&loaded);
    cr_assert_eq (zcert_save (one, path), 0);
    loaded = sn_config_cert (path, err, sizeof err);
    cr_expect (loaded, "%s", err);
    zcert_destroy (&loaded);
    char secret [80];
    snprintf (secret, sizeof secret, "%s_secret", path);
    //  not ZPL: refused before CZMQ's zconfig_load, which leaks what it read
    FILE *file = fopen (secret, "w");
    fputs ("curve\n  \"secret-key\n", file);
    fclose (file);
    loaded = sn_config_cert (path, err, sizeof err);
    cr_expect_null (loaded);
    cr_expect (strstr (err, "could not load certificate"), "%s", err);
    unlink (path);
    unlink (secret);
    zcert_destroy (&one);
    zcert_destroy (&other);
    zcert_destroy (&mixed);
}
