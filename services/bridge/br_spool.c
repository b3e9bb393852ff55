/*  br_spool: spool directories, the readiness rule, durable moves. */
#include "br_spool.h"
#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct _br_spool_t {
    char *root;                 //  the spool's directory
    br_ready_rule_t rule;       //  how the inbox knows a file is complete
    int settle_ms;              //  the age rule's quiet time
    zhashx_t *seen;             //  inbox name -> "size mtime" at the scan before
};

static const char *const s_dirs [] = {"inbox", "work", "processed", "rejected", "outbox", NULL};

br_spool_t *
br_spool_new (const char *root, br_ready_rule_t rule, int settle_ms, char *err, size_t errlen)
{
    if (mkdir (root, 0750) && errno != EEXIST) {
        snprintf (err, errlen, "could not make the spool \"%s\": %s", root, strerror (errno));
        return NULL;
    }
    for (int i = 0; s_dirs [i]; i++) {
        char path [1024];
        snprintf (path, sizeof path, "%s/%s", root, s_dirs [i]);
        if (mkdir (path, 0750) && errno != EEXIST) {
            snprintf (err, errlen, "could not make \"%s\": %s", path, strerror (errno));
            return NULL;
        }
    }
    br_spool_t *self = (br_spool_t *) zmalloc (sizeof (br_spool_t));
    self->root = strdup (root);
    self->rule = rule;
    self->settle_ms = settle_ms;
    self->seen = zhashx_new ();
    zhashx_set_destructor (self->seen, (zhashx_destructor_fn *) zstr_free);
    zhashx_set_duplicator (self->seen, (zhashx_duplicator_fn *) strdup);
    return self;
}

void
br_spool_destroy (br_spool_t **self_p)
{
    br_spool_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->seen);
    free (self->root);
    free (self);
    *self_p = NULL;
}

char *
br_spool_path (br_spool_t *self, const char *dir, const char *name, char *out)
{
    if (name)
        snprintf (out, 1024, "%s/%s/%s", self->root, dir, name);
    else
        snprintf (out, 1024, "%s/%s", self->root, dir);
    return out;
}

static bool
s_ends (const char *name, const char *suffix)
{
    size_t n = strlen (name), s = strlen (suffix);
    return n >= s && strcmp (name + n - s, suffix) == 0;
}

bool
br_spool_takes_name (const char *name)
{
    static const char *const temporary [] = {".tmp", ".part", ".partial", ".filepart", ".crdownload",
                                             ".swp", "~", BR_MARKER, ".report", NULL};
    if (!*name || name [0] == '.' || strlen (name) > 200)
        return false;
    for (int i = 0; temporary [i]; i++)
        if (s_ends (name, temporary [i]))
            return false;
    for (const char *c = name; *c; c++)
        if ((unsigned char) *c < 0x20 || *c == 0x7f)
            return false;
    return true;
}

//  Whether the inbox's file name is complete by the rule. st is its stat.
static bool
s_is_ready (br_spool_t *self, const char *name, const struct stat *st)
{
    char path [1024], marker [300];
    snprintf (marker, sizeof marker, "%s" BR_MARKER, name);
    if (access (br_spool_path (self, "inbox", marker, path), F_OK) == 0)
        return true;
    if (self->rule == BR_READY_MARKER)
        return false;
    char now_seen [64];
    snprintf (now_seen, sizeof now_seen, "%lld %lld.%09ld", (long long) st->st_size,
              (long long) st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
    const char *before = (const char *) zhashx_lookup (self->seen, name);
    bool same = before && streq (before, now_seen);
    zhashx_update (self->seen, name, now_seen);
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    int64_t age_ms = ((int64_t) now.tv_sec - st->st_mtim.tv_sec) * 1000
                   + (now.tv_nsec - st->st_mtim.tv_nsec) / 1000000;
    return same && age_ms >= self->settle_ms;
}

bool
br_spool_ready (br_spool_t *self, char *name)
{
    char path [1024];
    DIR *dir = opendir (br_spool_path (self, "inbox", NULL, path));
    if (!dir)
        return false;
    char best [256] = "";
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        if (!br_spool_takes_name (entry->d_name))
            continue;
        struct stat st;
        if (fstatat (dirfd (dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG (st.st_mode))
            continue;
        if (s_is_ready (self, entry->d_name, &st) && (!*best || strcmp (entry->d_name, best) < 0))
            snprintf (best, sizeof best, "%s", entry->d_name);
    }
    closedir (dir);
    if (*best) {
        zhashx_delete (self->seen, best);
        snprintf (name, 256, "%s", best);
    }
    return *best != 0;
}

int
br_spool_count (br_spool_t *self, const char *which)
{
    char path [1024];
    DIR *dir = opendir (br_spool_path (self, which, NULL, path));
    if (!dir)
        return -1;
    int n = 0;
    struct dirent *entry;
    while ((entry = readdir (dir)))
        if (br_spool_takes_name (entry->d_name))
            n++;
    closedir (dir);
    return n;
}

int
br_spool_sync_dir (br_spool_t *self, const char *which)
{
    char path [1024];
    int fd = open (br_spool_path (self, which, NULL, path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync (fd);
    close (fd);
    return rc;
}

int
br_spool_move (br_spool_t *self, const char *from, const char *name, const char *to, const char *to_name,
               char *err, size_t errlen)
{
    char source [1024], target [1024];
    br_spool_path (self, from, name, source);
    br_spool_path (self, to, to_name, target);
    if (rename (source, target)) {
        snprintf (err, errlen, "could not move \"%s\" to \"%s\": %s", source, target, strerror (errno));
        return -1;
    }
    if (br_spool_sync_dir (self, to) || (strcmp (from, to) != 0 && br_spool_sync_dir (self, from))) {
        snprintf (err, errlen, "could not make the move of \"%s\" durable: %s", source, strerror (errno));
        return -1;
    }
    return 0;
}

void
br_spool_free_name (br_spool_t *self, const char *dir, const char *name, char *out)
{
    char path [1024];
    snprintf (out, 256, "%s", name);
    for (int n = 2; access (br_spool_path (self, dir, out, path), F_OK) == 0 && n < 100000; n++)
        snprintf (out, 256, "%.200s.%d", name, n);
}

void
br_spool_drop_marker (br_spool_t *self, const char *name)
{
    char marker [300], path [1024];
    snprintf (marker, sizeof marker, "%s" BR_MARKER, name);
    unlink (br_spool_path (self, "inbox", marker, path));
}
