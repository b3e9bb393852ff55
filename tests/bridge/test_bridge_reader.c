/*  The bridge's reader without a network: docs/examples read record by
    record, a bad record rejected with its line while the file goes on,
    and hostile or unreadable files refused whole with their reason (a DTD
    and its entities, an external reference, deep nesting, a huge text
    node, another version, the wrong root, not XML). */
#include "br_reader.h"
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static br_schema_t *schema;
static char dir [] = "/tmp/snodo-reader-XXXXXX";

static void
setup (void)
{
    char err [256];
    schema = br_schema_new (err, sizeof err);
    cr_assert_not_null (schema, "%s", err);
    cr_assert_not_null (mkdtemp (dir));
}

static void
teardown (void)
{
    br_schema_destroy (&schema);
    char cmd [128];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq (system (cmd), 0);
}

TestSuite (reader, .init = setup, .fini = teardown, .timeout = 60);

//  Writes text to a file of the test's folder; returns its path (static).
static const char *
s_file (const char *name, const char *text)
{
    static char path [256];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen (path, "w");
    cr_assert_not_null (f);
    fputs (text, f);
    fclose (f);
    return path;
}

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
             "<inbound xmlns=\"urn:snodo:cartella-sociale:1\" sender=\"test\" created=\"2026-11-20T09:30:00Z\">\n"
#define REFERRAL(id, cf, objective) \
    "  <referral id=\"" id "\" date=\"2026-11-18\">\n" \
    "    <person><codiceFiscale>" cf "</codiceFiscale><surname>Rossi</surname><name>Mario</name></person>\n" \
    "    <ambito>urbano</ambito><socialWorker>Anna Bianchi</socialWorker><reason>motivo</reason>\n" \
    "    <objective>" objective "</objective>\n" \
    "    <consent date=\"2026-11-15\"><grant purpose=\"placement\" to=\"cpi\"/></consent>\n" \
    "  </referral>\n"
#define TAIL "</inbound>\n"

//  Reads every record of path; returns the count and the first fatal error.
static int
s_read_all (const char *path, br_record_t *records, int most, char *err)
{
    char why [600] = "";
    br_reader_t *reader = br_reader_new (schema, path, why, sizeof why);
    cr_assert_not_null (reader, "%s", why);
    br_record_t record;
    int n = 0, rc;
    while ((rc = br_reader_next (reader, &record, why, sizeof why)) == 1)
        if (n < most)
            records [n++] = record;
    strcpy (err, rc < 0 ? why : "");
    br_reader_destroy (&reader);
    return n;
}

Test (reader, the_example_file_reads_record_by_record_with_every_field)
{
    br_record_t records [8];
    char err [600];
    int n = s_read_all (SNODO_SOURCE_DIR "/docs/examples/inbound-referrals.xml", records, 8, err);
    cr_assert_str_empty (err);
    cr_assert_eq (n, 6);
    for (int i = 0; i < n; i++)
        cr_assert_str_empty (records [i].error, "record %d: %s", i, records [i].error);
    cr_assert_eq (records [0].kind, BR_RECORD_REFERRAL);
    cr_assert_str_eq (records [0].id, "SSC-URB-2026-0001");
    cr_assert_str_eq (records [0].codice_fiscale, "QGLTTV77H30Z133U");
    cr_assert_str_eq (records [0].address, "Via Mazzini 12");
    cr_assert_str_eq (records [0].ambito, "urbano");
    cr_assert_eq (records [0].objective, 9);
    cr_assert_eq (records [0].n_grants, 3);
    cr_assert_eq (records [0].line, 6);
    cr_assert_eq (records [1].n_categories, 2);
    cr_assert_eq (records [3].kind, BR_RECORD_UPDATE);
    cr_assert_eq (records [3].update, BR_UPDATE_CONTACT);
    cr_assert_str_eq (records [3].referral, "SSC-URB-2026-0001");
    cr_assert_str_eq (records [3].phone, "+39 0434 000002");
    cr_assert_eq (records [4].update, BR_UPDATE_CONSENT_REVOKED);
    cr_assert_eq (records [5].update, BR_UPDATE_WITHDRAWN);
    cr_assert_str_eq (records [5].reason, "La persona ha trovato lavoro da sola.");
}

Test (reader, the_digest_is_the_sha256_of_the_file_bytes)
{
    const char *path = SNODO_SOURCE_DIR "/docs/examples/inbound-referrals.xml";
    char why [256];
    br_reader_t *reader = br_reader_new (schema, path, why, sizeof why);
    br_record_t record;
    while (br_reader_next (reader, &record, why, sizeof why) == 1)
        ;
    uint8_t digest [32], expected [32];
    br_reader_digest (reader, digest);
    br_reader_destroy (&reader);
    FILE *f = fopen (path, "rb");
    crypto_hash_sha256_state sha;
    crypto_hash_sha256_init (&sha);
    uint8_t buffer [4096];
    size_t got;
    while ((got = fread (buffer, 1, sizeof buffer, f)) > 0)
        crypto_hash_sha256_update (&sha, buffer, got);
    fclose (f);
    crypto_hash_sha256_final (&sha, expected);
    cr_assert_arr_eq (digest, expected, 32);
}

Test (reader, an_invalid_record_is_rejected_with_its_line_and_the_file_goes_on)
{
    const char *path = s_file ("mixed.xml", HEAD REFERRAL ("A-1", "RSSMRA80A01H501U", "9")
                                        REFERRAL ("A-2", "rssmra80a01h501u", "9")
                                        REFERRAL ("A-3", "RSSMRA80A01H501U", "7")
                                        "  <note>not a record</note>\n"
                                        REFERRAL ("A-4", "BNCLRA85M41G888F", "8") TAIL);
    br_record_t records [8];
    char err [600];
    int n = s_read_all (path, records, 8, err);
    cr_assert_str_empty (err);
    cr_assert_eq (n, 5);
    cr_assert_str_empty (records [0].error);
    cr_assert (strstr (records [1].error, "codiceFiscale"), "%s", records [1].error);
    cr_assert (strstr (records [1].error, "pattern"), "%s", records [1].error);
    cr_assert_eq (records [1].line, 9);
    cr_assert (strstr (records [2].error, "objective"), "%s", records [2].error);
    cr_assert_eq (records [3].kind, BR_RECORD_OTHER);
    cr_assert (strstr (records [3].error, "<note> is not a record"), "%s", records [3].error);
    cr_assert_eq (records [3].line, 21);
    cr_assert_str_empty (records [4].error);
    cr_assert_eq (records [4].ordinal, 4);
}

Test (reader, the_same_record_indented_otherwise_has_the_same_content)
{
    const char *a = s_file ("a.xml", HEAD REFERRAL ("A-1", "RSSMRA80A01H501U", "9") TAIL);
    br_record_t one, two;
    char err [600];
    cr_assert_eq (s_read_all (a, &one, 1, err), 1);
    const char *b = s_file ("b.xml", HEAD "<referral id=\"A-1\" date=\"2026-11-18\"><person><codiceFiscale>"
                            "RSSMRA80A01H501U</codiceFiscale><surname>Rossi</surname><name>Mario</name></person>"
                            "<ambito>urbano</ambito><socialWorker>Anna Bianchi</socialWorker><reason>motivo</reason>"
                            "<objective>9</objective><consent date=\"2026-11-15\"><grant purpose=\"placement\" "
                            "to=\"cpi\"/></consent></referral>" TAIL);
    cr_assert_eq (s_read_all (b, &two, 1, err), 1);
    cr_assert_arr_eq (one.content, two.content, 32);
    const char *c = s_file ("c.xml", HEAD REFERRAL ("A-1", "RSSMRA80A01H501U", "8") TAIL);
    cr_assert_eq (s_read_all (c, &two, 1, err), 1);
    cr_assert (memcmp (one.content, two.content, 32) != 0, "a change must change the content's digest");
}

//  A file that cannot be read on: no records after the point, err says why.
static void
s_refused (const char *name, const char *text, const char *why)
{
    br_record_t records [4];
    char err [600];
    s_read_all (s_file (name, text), records, 4, err);
    cr_assert (strstr (err, why), "%s: expected \"%s\" in \"%s\"", name, why, err);
}

Test (reader, a_doctype_with_entities_is_refused_before_any_expansion)
{
    //  the billion laughs: refused at the DOCTYPE, nothing declared or expanded
    char text [4096] = "<?xml version=\"1.0\"?>\n<!DOCTYPE inbound [\n <!ENTITY a \"aaaaaaaaaa\">\n";
    for (int i = 1; i < 10; i++)
        sprintf (text + strlen (text), " <!ENTITY %c \"&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;\">\n",
                 'a' + i, 'a' + i - 1, 'a' + i - 1, 'a' + i - 1, 'a' + i - 1, 'a' + i - 1, 'a' + i - 1,
                 'a' + i - 1, 'a' + i - 1, 'a' + i - 1, 'a' + i - 1);
    strcat (text, "]>\n<inbound xmlns=\"urn:snodo:cartella-sociale:1\" sender=\"&j;\" created=\"2026-11-20T09:30:00Z\"/>\n");
    clock_t start = clock ();
    s_refused ("laughs.xml", text, "line 2: a DOCTYPE is not allowed");
    cr_assert_lt ((double) (clock () - start) / CLOCKS_PER_SEC, 1.0);
}

Test (reader, an_external_entity_is_refused_and_never_fetched)
{
    s_refused ("xxe.xml", "<?xml version=\"1.0\"?>\n<!-- a comment first -->\n"
               "<!DOCTYPE inbound SYSTEM \"file:///etc/passwd\">\n" HEAD TAIL, "line 3: a DOCTYPE is not allowed");
    //  an entity reference without a DTD is an XML error, not a fetch
    s_refused ("undeclared.xml", HEAD REFERRAL ("A-1", "&xxe;", "9") TAIL, "Entity 'xxe' not defined");
}

Test (reader, deep_nesting_is_refused)
{
    char text [8192] = HEAD "<referral id=\"A\" date=\"2026-11-18\">";
    for (int i = 0; i < 50; i++)
        strcat (text, "<x>");
    for (int i = 0; i < 50; i++)
        strcat (text, "</x>");
    strcat (text, "</referral>" TAIL);
    s_refused ("deep.xml", text, "nested deeper than 8 levels");
}

Test (reader, a_huge_text_node_is_refused)
{
    size_t size = 200000;
    char *text = (char *) malloc (size + 1024);
    strcpy (text, HEAD "<referral id=\"A\" date=\"2026-11-18\"><person><surname>");
    size_t n = strlen (text);
    memset (text + n, 'a', size);
    strcpy (text + n + size, "</surname></person></referral>" TAIL);
    s_refused ("huge.xml", text, "more than 65536 bytes without markup");
    free (text);
}

Test (reader, another_version_the_wrong_root_and_not_xml_are_refused_whole)
{
    s_refused ("v2.xml", "<inbound xmlns=\"urn:snodo:cartella-sociale:2\" sender=\"x\" created=\"2026-11-20T09:30:00Z\"/>",
               "version \"2\" of the exchange is not known here");
    s_refused ("other.xml", "<inbound xmlns=\"urn:example\"/>", "is not a file of the cartella sociale exchange");
    s_refused ("root.xml", "<outbound xmlns=\"urn:snodo:cartella-sociale:1\" from=\"1\" to=\"1\" "
               "created=\"2026-11-20T09:30:00Z\"/>", "the root is <outbound>");
    s_refused ("header.xml", "<inbound xmlns=\"urn:snodo:cartella-sociale:1\"/>", "the root <inbound>");
    s_refused ("text.txt", "codice fiscale;nome\nRSSMRA80A01H501U;Mario\n", "line 1: the file is not XML");
    s_refused ("empty.xml", "", "the file is empty");
    s_refused ("comment.xml", "<!-- nothing -->\n", "line 2");
    s_refused ("cut.xml", HEAD REFERRAL ("A-1", "RSSMRA80A01H501U", "9") "  <referral id=\"A-2\"",
               "line 9");
    s_refused ("utf16.xml", "\xff\xfe<\0i\0", "not UTF-8");
}

Test (reader, the_outbound_and_summary_examples_follow_the_schema_and_a_broken_one_does_not)
{
    char err [600];
    cr_assert_eq (br_schema_validate_file (schema, SNODO_SOURCE_DIR "/docs/examples/outbound-events.xml", err,
                                           sizeof err), 0, "%s", err);
    cr_assert_eq (br_schema_validate_file (schema, SNODO_SOURCE_DIR "/docs/examples/summary-2026.xml", err,
                                           sizeof err), 0, "%s", err);
    const char *bad = s_file ("bad-outbound.xml", "<outbound xmlns=\"urn:snodo:cartella-sociale:1\" from=\"1\" "
                              "to=\"1\" created=\"2026-11-20T09:30:00Z\"><event seq=\"1\" type=\"referred\" "
                              "at=\"2026-11-20T09:30:00Z\"><codiceFiscale>X</codiceFiscale></event></outbound>");
    cr_assert_eq (br_schema_validate_file (schema, bad, err, sizeof err), -1);
    cr_assert (strstr (err, "codiceFiscale"), "%s", err);
}
