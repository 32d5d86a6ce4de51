/*
 * testdir.h - temporary model folders for the Check suites that write files.
 * POSIX (mkdtemp, rmdir): include it after defining _POSIX_C_SOURCE 200809L.
 */
#ifndef ARGEN_TESTDIR_H
#define ARGEN_TESTDIR_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* A fresh folder /tmp/argen_TAG_XXXXXX, its path written into dir (n bytes). */
static inline void temp_dir_make(char *dir, size_t n, const char *tag) {
    snprintf(dir, n, "/tmp/argen_%s_XXXXXX", tag);
    ck_assert_msg(mkdtemp(dir) != NULL, "cannot create a temporary folder");
}

/* Removes the files a model folder holds, then the folder. */
static inline void temp_dir_remove(const char *dir) {
    static const char *const files[] = {"config.json", "model.safetensors", "vocab.json", "merges.txt"};
    char path[4096];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        remove(path);
    }
    rmdir(dir);
}

#endif
