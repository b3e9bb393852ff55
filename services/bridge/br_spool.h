/*  br_spool: the bridge's spool directories and their rules.

    <root>/inbox/      where the social record drops files
    <root>/work/       files taken, while the bridge reads them (<id>-<name>)
    <root>/processed/  files read, each with <name>.report beside it
    <root>/rejected/   files that could not be read at all, with their report
    <root>/outbox/     the files the bridge writes for the social record

    A file in the inbox is ready when it is complete: with the marker rule,
    when <name>.done is there; with the age rule (the default), also when
    it has not changed for settle_ms and its size is the one the scan
    before saw. Names starting with '.', temporary suffixes (.tmp, .part,
    .partial, .filepart, .crdownload, .swp, ~), markers and anything but a
    regular file are left alone.
*/
#ifndef BR_SPOOL_H_INCLUDED
#define BR_SPOOL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    BR_READY_AGE = 0,       //  a marker, or unchanged for settle_ms (and across two scans)
    BR_READY_MARKER         //  only with <name>.done
} br_ready_rule_t;

#define BR_MARKER ".done"

typedef struct _br_spool_t br_spool_t;

//  Opens the spool under root, making its directories if missing. Returns
//  NULL with err filled if a directory cannot be made.
br_spool_t *br_spool_new (const char *root, br_ready_rule_t rule, int settle_ms, char *err, size_t errlen);
void br_spool_destroy (br_spool_t **self_p);

//  The path of a directory ("inbox", ...) or of a file in it (name may be
//  NULL). out: at least 1024 bytes. Returns out.
char *br_spool_path (br_spool_t *self, const char *dir, const char *name, char *out);

//  One scan of the inbox: the first ready file by name. Returns true and
//  its name (size at least 256), false if none is ready.
bool br_spool_ready (br_spool_t *self, char *name);

//  True if name is a file the inbox may take (not a temporary, a marker,
//  a report or a hidden name).
bool br_spool_takes_name (const char *name);

//  Files in dir, markers, reports and temporaries left out; -1 on error.
int br_spool_count (br_spool_t *self, const char *dir);

//  Renames from/name to to/to_name and makes both directories durable
//  (fsync). Returns 0, or -1 with err filled.
int br_spool_move (br_spool_t *self, const char *from, const char *name, const char *to,
                   const char *to_name, char *err, size_t errlen);

//  A name not taken in dir: name, or else name.<n> (n from 2). out: 256.
void br_spool_free_name (br_spool_t *self, const char *dir, const char *name, char *out);

//  Makes dir's entries durable (fsync of the directory). Returns 0 or -1.
int br_spool_sync_dir (br_spool_t *self, const char *dir);

//  Removes inbox/<name>.done if there. 
void br_spool_drop_marker (br_spool_t *self, const char *name);

#endif
