/*
 * cmd_view.c - `argen view TRACE.json --out run.html`: one self-contained
 * HTML page that steps through a trace in a browser, offline.
 *
 * The page is src/trace/viewer/view.html with the CSS, the trace and the
 * JavaScript put in place of its three @ARGEN_...@ lines.  The three files
 * are compiled in (tools/embed.sh writes $(BUILD)/gen/viewer_assets.h), so
 * the command works from any folder.  The trace is checked by the trace
 * reader first, and written into the page with every '<', '>', '&', U+2028
 * and U+2029 as a \u escape: nothing in a trace can close the <script>
 * element or open a comment, and the JSON still parses to the same values.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "trace/trace_read.h"
#include "viewer_assets.h"

static const char *const usage_text =
    "usage: argen view TRACE.json --out PAGE.html\n"
    "\n"
    "Writes one self-contained HTML page (the trace, the CSS and the JavaScript\n"
    "inline; no network) to step through a trace of `argen generate --trace`\n"
    "(sampling, beam search or Jacobi), of `argen score --trace`, or the JSON of\n"
    "`argen compare --json`, in any current browser.  See docs/viewer.md.\n"
    "\n"
    "  --out PAGE.html  the page to write (replaced atomically)\n";

/* ---- the page ---- */

/* Writes the trace text, JSON-escaping what could end the <script> element
 * or be read as a line break by older JavaScript parsers.  These bytes can
 * only occur inside JSON strings, where a \u escape means the same. */
static void write_trace_json(FILE *f, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '<') fputs("\\u003c", f);
        else if (c == '>') fputs("\\u003e", f);
        else if (c == '&') fputs("\\u0026", f);
        else if (c == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
                 ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
            fputs((unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", f);
            i += 2;
        } else {
            fputc(c, f);
        }
    }
}

/* The template, each line "@ARGEN_CSS@", "@ARGEN_TRACE@" or "@ARGEN_JS@"
 * replaced by its content. */
static void write_page(FILE *f, const char *trace, size_t trace_len) {
    const char *t = (const char *)view_html, *end = t + view_html_len;
    while (t < end) {
        const char *nl = memchr(t, '\n', (size_t)(end - t));
        size_t len = nl ? (size_t)(nl - t) : (size_t)(end - t);
        if (len == 11 && !memcmp(t, "@ARGEN_CSS@", 11)) fwrite(view_css, 1, view_css_len, f);
        else if (len == 13 && !memcmp(t, "@ARGEN_TRACE@", 13)) write_trace_json(f, trace, trace_len);
        else if (len == 10 && !memcmp(t, "@ARGEN_JS@", 10)) fwrite(view_js, 1, view_js_len, f);
        else fwrite(t, 1, len, f);
        if (nl) fputc('\n', f);
        t += len + (nl ? 1 : 0);
    }
}

/* ---- the command ---- */

static int parse_args(int argc, char **argv, const char **trace, const char **out) {
    const char *cmd = argv[0];
    *trace = *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (cli_is_help(o)) { fputs(usage_text, stdout); return -1; }
        if (o[0] != '-' || o[1] == '\0') {
            if (*trace) { fprintf(stderr, "argen %s: expected one trace file, got '%s' and '%s'\n", cmd, *trace, o); return EXIT_USAGE; }
            *trace = o;
            continue;
        }
        if (strcmp(o, "--out")) return cli_unknown(cmd, o);
        if (!(*out = cli_value(cmd, argc, argv, &i))) return EXIT_USAGE;
    }
    if (!*trace) { fprintf(stderr, "argen %s: expected a trace file (see argen %s --help)\n", cmd, cmd); return EXIT_USAGE; }
    if (!*out || !**out) { fprintf(stderr, "argen %s: --out: expected the HTML file to write\n", cmd); return EXIT_USAGE; }
    return 0;
}

int cmd_view(int argc, char **argv) {
    const char *cmd = argv[0], *trace_path, *out_path;
    int rc = parse_args(argc, argv, &trace_path, &out_path);
    if (rc) return rc < 0 ? 0 : rc;
    NamedPath in = {"TRACE", trace_path}, out = {"--out", out_path};
    if (cli_check_outputs(cmd, &in, 1, &out, 1)) return EXIT_USAGE;

    Error err;
    char *text = NULL;
    size_t len = 0;
    TraceDoc doc;
    if (read_file(trace_path, &text, &len, &err) || trace_doc_parse(&doc, text, len, trace_path, &err)) {
        fprintf(stderr, "argen %s: %s\n", cmd, err.msg);
        free(text);
        return EXIT_FAIL;
    }
    trace_doc_free(&doc);

    AtomicFile af;
    if (atomic_open(&af, out_path, &err)) goto fail;
    write_page(af.f, text, len);
    if (atomic_commit(&af, &err)) goto fail;
    free(text);
    return 0;
fail:
    fprintf(stderr, "argen %s: %s\n", cmd, err.msg);
    free(text);
    return EXIT_FAIL;
}
