/*
 * check_util.c - atomic files and the output-over-input check (src/formats/files.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testdir.h"
#include "testutil.h"
#include "formats/files.h"

/* Writes text to path (plain stdio, not the code under test). */
static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* The first line of path into buf, "" when it cannot be read. */
static const char *read_text(const char *path, char *buf, size_t n) {
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return buf;
    if (!fgets(buf, (int)n, f)) buf[0] = '\0';
    fclose(f);
    return buf;
}

/* Two atomic files on one path at once: two temporaries, and whichever
 * commits last is the whole file (never a mix of the two). */
START_TEST(test_two_atomic_files_on_one_path) {
    char dir[256], path[512], buf[64];
    temp_dir_make(dir, sizeof dir, "util");
    snprintf(path, sizeof path, "%s/out.txt", dir);
    AtomicFile a, b;
    Error err;
    ck_assert_int_eq(atomic_open(&a, path, &err), 0);
    ck_assert_int_eq(atomic_open(&b, path, &err), 0);
    ck_assert_str_ne(a.tmp_path, b.tmp_path);
    fputs("first\n", a.f);
    fputs("second\n", b.f);
    ck_assert_int_eq(atomic_commit(&a, &err), 0);
    ck_assert_int_eq(atomic_commit(&b, &err), 0);
    ck_assert_str_eq(read_text(path, buf, sizeof buf), "second\n");
    ck_assert_int_ne(access(a.tmp_path, F_OK), 0);
    ck_assert_int_ne(access(b.tmp_path, F_OK), 0);
    remove(path);
    rmdir(dir);
}
END_TEST

/* A file already at the first temporary name (another program's, or a
 * stale one of an earlier process with this PID) is neither opened nor
 * removed. */
START_TEST(test_existing_temporary_left_alone) {
    char dir[256], path[512], stale[600], buf[64];
    temp_dir_make(dir, sizeof dir, "util");
    snprintf(path, sizeof path, "%s/out.txt", dir);
    snprintf(stale, sizeof stale, "%s.tmp.%ld.0", path, (long)getpid());
    write_text(stale, "not argen's\n");
    AtomicFile af;
    Error err;
    ck_assert_int_eq(atomic_open(&af, path, &err), 0);
    ck_assert_str_ne(af.tmp_path, stale);
    fputs("mine\n", af.f);
    atomic_abort(&af);
    ck_assert_str_eq(read_text(stale, buf, sizeof buf), "not argen's\n");
    ck_assert_int_ne(access(path, F_OK), 0);
    remove(stale);
    rmdir(dir);
}
END_TEST

/* An output is refused when it is an input, a file of an input folder
 * (also through a symlink or a hard link), or another output. */
START_TEST(test_output_over_input_refused) {
    char dir[256], model[512], weights[600], symlink_path[600], hard[600], fresh[600], other[600];
    temp_dir_make(dir, sizeof dir, "util");
    snprintf(model, sizeof model, "%s/m", dir);
    ck_assert_int_eq(mkdir(model, 0777), 0);
    snprintf(weights, sizeof weights, "%s/model.safetensors", model);
    snprintf(symlink_path, sizeof symlink_path, "%s/link", dir);
    snprintf(hard, sizeof hard, "%s/hard", dir);
    snprintf(fresh, sizeof fresh, "%s/new.json", dir);
    snprintf(other, sizeof other, "%s/m/../new.json", dir);
    write_text(weights, "weights\n");
    ck_assert_int_eq(symlink(weights, symlink_path), 0);
    ck_assert_int_eq(link(weights, hard), 0);
    NamedPath in[] = {{"--model", model}};
    Error err;
    NamedPath o1[] = {{"--trace", weights}};
    ck_assert_int_eq(check_output_paths(in, 1, o1, 1, &err), -1);
    ck_assert_msg(strstr(err.msg, "--trace: ") == err.msg && strstr(err.msg, "--model"), "%s", err.msg);
    NamedPath o2[] = {{"--trace", symlink_path}};
    ck_assert_int_eq(check_output_paths(in, 1, o2, 1, &err), -1);
    NamedPath o3[] = {{"--trace", hard}};
    ck_assert_int_eq(check_output_paths(in, 1, o3, 1, &err), -1);
    NamedPath o4[] = {{"--trace", fresh}, {"--timing", other}};   /* neither exists yet */
    ck_assert_int_eq(check_output_paths(in, 1, o4, 2, &err), -1);
    ck_assert_msg(strstr(err.msg, "--timing: ") == err.msg, "%s", err.msg);
    NamedPath o5[] = {{"--trace", fresh}, {"--timing", NULL}};
    ck_assert_int_eq(check_output_paths(in, 1, o5, 2, &err), 0);
    NamedPath o6[] = {{"--trace", "/dev/null"}, {"--timing", "/dev/null"}};   /* devices replace nothing */
    ck_assert_int_eq(check_output_paths(in, 1, o6, 2, &err), 0);
    remove(symlink_path);
    remove(hard);
    remove(weights);
    rmdir(model);
    rmdir(dir);
}
END_TEST

static Suite *util_suite(void) {
    Suite *s = suite_create("util");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_two_atomic_files_on_one_path);
    tcase_add_test(core, test_output_over_input_refused);
    suite_add_tcase(s, core);
    TCase *edge = tcase_create("edge");
    tcase_add_test(edge, test_existing_temporary_left_alone);
    suite_add_tcase(s, edge);
    return s;
}

int main(void) { return run_suite(util_suite()); }
