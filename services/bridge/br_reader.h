/*  br_reader: reads an inbound file of the cartella sociale record by
    record, validating it against the exchange's XSD as it goes (libxml2's
    reader): memory stays flat whatever the file's size.

    Hostile XML is refused before libxml2 parses it: the bytes pass a
    check on their way in that refuses any DOCTYPE (so no DTD, no entity
    is ever declared, fetched or expanded) and any run of more than
    BR_MAX_RUN bytes without a '<' (a huge text node or attribute); the
    parser runs without entity substitution, DTD loading or network, and
    the reader refuses nesting deeper than BR_MAX_DEPTH. No external
    resource is ever loaded (br_schema_new installs a loader that refuses
    every one).

    br_schema_t *schema = br_schema_new (err, sizeof err);
    br_reader_t *reader = br_reader_new (schema, path, err, sizeof err);
    br_record_t record;
    while ((rc = br_reader_next (reader, &record, err, sizeof err)) == 1)
        ...                               //  record.error: invalid, with why
    //  rc 0: the end; rc -1: the file is unreadable (err says where, why)
    br_reader_digest (reader, digest);    //  SHA-256 of the bytes read
    br_reader_destroy (&reader);
*/
#ifndef BR_READER_H_INCLUDED
#define BR_READER_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  The namespace of version 1; another version's is "...:N".
#define BR_NAMESPACE        "urn:snodo:cartella-sociale:1"
#define BR_NAMESPACE_STEM   "urn:snodo:cartella-sociale:"
//  The deepest element an inbound file has is at depth 3; beyond this, refused.
#define BR_MAX_DEPTH        8
//  The longest run of bytes without a '<' (a text node, a tag with its attributes).
#define BR_MAX_RUN          65536
#define BR_MAX_GRANTS       20
#define BR_MAX_CATEGORIES   11

typedef enum {
    BR_RECORD_OTHER = 0,        //  an element the schema does not allow here (it has an error)
    BR_RECORD_REFERRAL,         //  <referral>: a segnalazione
    BR_RECORD_UPDATE            //  <update>: a change to a referral
} br_record_kind_t;

typedef enum {
    BR_UPDATE_NONE = 0,
    BR_UPDATE_CONTACT,          //  <contact>
    BR_UPDATE_CONSENT_REVOKED,  //  <consentRevoked>
    BR_UPDATE_WITHDRAWN         //  <withdrawn>
} br_update_kind_t;

//  A consent given or revoked: a purpose (snodo.Purpose) for a member kind
//  (snodo.MemberKind).
typedef struct {
    int purpose;
    int kind;
} br_grant_t;

//  One record as read. Texts longer than the schema allows are cut here,
//  and the schema's error rejects the record anyway.
typedef struct {
    br_record_kind_t kind;
    char element [32];              //  its element's name
    uint64_t ordinal;               //  0 for the file's first record
    long line;                      //  where its start tag is
    char id [72];                   //  the social record's key of the record
    char referral [72];             //  an update's referral
    char date [16];                 //  YYYY-MM-DD
    //  the person (a referral), or the contact data (an update)
    char codice_fiscale [20];
    char surname [104];
    char name [104];
    char birth_date [16];
    char sex [4];
    char municipality [104];
    char address [204];
    char phone [36];
    char email [204];
    int categories [BR_MAX_CATEGORIES];     //  snodo.registry.Category
    size_t n_categories;
    //  the referral
    char ambito [36];
    char social_worker [204];
    char reason [2004];             //  the referral's reason, or a withdrawal's
    int objective;                  //  8 or 9
    int pathway_kind;               //  snodo.monitoring.PathwayKind, 0 if not given
    char consent_date [16];
    //  the update
    br_update_kind_t update;
    br_grant_t grants [BR_MAX_GRANTS];      //  given (referral) or revoked (update)
    size_t n_grants;
    //  what the reader found wrong with it, with its line ("" if nothing)
    char error [512];
    uint8_t content [32];           //  SHA-256 of its content (not of its bytes)
} br_record_t;

typedef struct _br_schema_t br_schema_t;
typedef struct _br_reader_t br_reader_t;

//  Compiles the exchange's XSD (docs/bridge.xsd, built into the binary) and
//  makes libxml2 refuse every external resource from now on, in this
//  process. Returns NULL with err filled if it cannot.
br_schema_t *br_schema_new (char *err, size_t errlen);
void br_schema_destroy (br_schema_t **self_p);

//  Validates a whole file of any root (inbound, outbound, summary) against
//  the schema, with the same protections. Returns 0, or -1 with err filled
//  ("line N: why"). For tests and for the files the bridge writes.
int br_schema_validate_file (br_schema_t *schema, const char *path, char *err, size_t errlen);

//  Opens an inbound file for reading (schema borrowed, must outlive the
//  reader). Returns NULL with err filled when the file cannot be opened.
br_reader_t *br_reader_new (br_schema_t *schema, const char *path, char *err, size_t errlen);
void br_reader_destroy (br_reader_t **self_p);

//  Whether records are checked against the schema (the default). The
//  first pass, which only counts them and checks the file, does without.
void br_reader_set_validate (br_reader_t *self, bool validate);

//  Reads the next record. Returns 1 with *record filled (record->error set
//  if the record is invalid: the file goes on), 0 at the end of a valid
//  file, -1 when the file cannot be read on (not XML, a DOCTYPE, the wrong
//  root or version, an XML error): err says where and why, and nothing
//  more comes from this reader.
int br_reader_next (br_reader_t *self, br_record_t *record, char *err, size_t errlen);

//  The bytes read so far, and the file's size.
uint64_t br_reader_bytes (br_reader_t *self);
uint64_t br_reader_size (br_reader_t *self);

//  SHA-256 of the bytes read so far (of the whole file, after the end).
void br_reader_digest (br_reader_t *self, uint8_t digest [32]);

//  The record's key in the bridge: "referral:ID" or "update:ID". out: 96 bytes.
void br_record_key (const br_record_t *record, char *out);

#endif
