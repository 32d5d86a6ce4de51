/*
 * render_text.c - what every diagram shares: token text made safe and
 * visible inside Graphviz HTML-like labels, number formats, the colours,
 * and the graph preamble.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "formats/json.h"
#include "trace/render.h"

/* Longest token shown in full, in bytes; longer ones end with an ellipsis. */
#define TOKEN_SHOWN_BYTES 40
#define ELLIPSIS "&#8230;"

/* Appends s to out[0..n) at *k when it fits with room for the ellipsis left. */
static int put(char *out, size_t n, size_t *k, const char *s, size_t len) {
    if (*k + len + sizeof ELLIPSIS > n) return -1;
    memcpy(out + *k, s, len);
    *k += len;
    out[*k] = '\0';
    return 0;
}

/* The one escaping function of every label: the visible, Graphviz-safe form
 * of the single byte c (not part of a valid UTF-8 sequence) inside an
 * HTML-like label or one of its attribute values.  Letters and digits pass
 * through; every other printable ASCII byte becomes a numeric character
 * reference (&#93; for ']'), so that no byte of a token can close the label,
 * a tag, an attribute or the attribute list around it, whatever Graphviz's
 * lexer treats specially; control bytes and bytes outside ASCII are shown
 * as \n \t \r or \xNN, their backslash itself written as &#92;. */
static void byte_visible(char buf[16], unsigned char c) {
    switch (c) {
    case ' ': strcpy(buf, "&#9251;"); break;   /* U+2423 OPEN BOX: a space you can see */
    case '\n': strcpy(buf, "&#92;n"); break;
    case '\t': strcpy(buf, "&#92;t"); break;
    case '\r': strcpy(buf, "&#92;r"); break;
    case '\\': strcpy(buf, "&#92;&#92;"); break;
    default:
        if (c < 0x20 || c >= 0x7f) snprintf(buf, 16, "&#92;x%02X", c);
        else if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) { buf[0] = (char)c; buf[1] = '\0'; }
        else snprintf(buf, 16, "&#%d;", c);
    }
}

void token_html(char *out, size_t n, const TracedToken *t) {
    size_t k = 0;
    if (n < sizeof ELLIPSIS + 16) { if (n) out[0] = '\0'; return; }
    out[0] = '\0';
    if (!t->text) { snprintf(out, n, "#%d", t->id); return; }
    if (t->len == 0) { snprintf(out, n, "(empty)"); return; }
    const unsigned char *s = (const unsigned char *)t->text;
    size_t i = 0;
    while (i < t->len) {
        int u = s[i] >= 0x80 ? utf8_valid_len(s + i, t->len - i) : 0;
        char buf[16];
        const char *piece = buf;
        size_t len;
        if (u > 0) { piece = (const char *)s + i; len = (size_t)u; }
        else { byte_visible(buf, s[i]); len = strlen(buf); u = 1; }
        if (i >= TOKEN_SHOWN_BYTES || put(out, n, &k, piece, len) != 0) {
            memcpy(out + k, ELLIPSIS, sizeof ELLIPSIS);
            return;
        }
        i += (size_t)u;
    }
}

void text_html(char *out, size_t n, const char *s) {
    size_t k = 0;
    if (n < sizeof ELLIPSIS + 16) { if (n) out[0] = '\0'; return; }
    out[0] = '\0';
    for (; *s; s++) {
        char buf[16];
        unsigned char c = (unsigned char)*s;
        if (c == ' ') strcpy(buf, " ");   /* ordinary text keeps its spaces */
        else byte_visible(buf, c);
        if (put(out, n, &k, buf, strlen(buf)) != 0) { memcpy(out + k, ELLIPSIS, sizeof ELLIPSIS); return; }
    }
}

void fmt_num(char *out, size_t n, double x) {
    if (isnan(x)) snprintf(out, n, "&#8212;");   /* an em dash: masked or not finite */
    else snprintf(out, n, "%.4g", x);
}

void fmt_percent(char *out, size_t n, double p) {
    double x = 100 * p;
    if (isnan(p)) snprintf(out, n, "&#8212;");
    else if (p >= 1) snprintf(out, n, "100 %%");
    else if (p <= 0) snprintf(out, n, "0 %%");
    else if (x < 0.01) snprintf(out, n, "&lt; 0.01 %%");
    else if (x >= 99.995) snprintf(out, n, "&gt; 99.99 %%");   /* never "100 %" for what is not certain */
    else if (x >= 99.95) snprintf(out, n, "%.2f %%", x);
    else if (x >= 1) snprintf(out, n, "%.1f %%", x);
    else snprintf(out, n, "%.2f %%", x);
}

int small_font(const RenderOptions *o) { return o && o->slide ? 18 : 12; }

size_t html_visible_chars(const char *s) {
    size_t n = 0;
    while (*s) {
        if (*s == '<') {   /* a tag shows nothing */
            while (*s && *s != '>') s++;
            if (*s) s++;
            continue;
        }
        if (*s == '&') {   /* an entity is one character */
            const char *e = s + 1;
            while (*e && *e != ';' && *e != '&' && *e != '<' && *e != ' ') e++;
            s = *e == ';' ? e + 1 : s + 1;
        } else {
            unsigned char c = (unsigned char)*s++;
            if (c >= 0xC0) while ((*s & 0xC0) == 0x80) s++;   /* one UTF-8 sequence, one character */
        }
        n++;
    }
    return n;
}

/* DejaVu Sans averages a little under 0.6 em a character over lowercase
 * text; 0.6 leaves room for some wide letters (m, w, capitals). */
int text_points(const char *html, int font_pt) { return (int)(html_visible_chars(html) * font_pt * 0.6 + 0.5); }

/* viridis at 0, 0.1, ..., 1 (matplotlib's table, rounded to 8 bits). */
static const unsigned char viridis_stops[11][3] = {
    {0x44, 0x01, 0x54}, {0x48, 0x24, 0x75}, {0x41, 0x44, 0x87}, {0x35, 0x5F, 0x8D}, {0x2A, 0x78, 0x8E}, {0x21, 0x91, 0x8C},
    {0x22, 0xA8, 0x84}, {0x44, 0xBF, 0x70}, {0x7A, 0xD1, 0x51}, {0xBD, 0xDF, 0x26}, {0xFD, 0xE7, 0x25}};

void viridis(char out[8], double x) {
    if (!(x > 0)) x = 0;   /* NaN too */
    if (x > 1) x = 1;
    double f = x * 10;
    int i = (int)f;
    if (i > 9) i = 9;
    double t = f - i;
    int c[3];
    for (int j = 0; j < 3; j++) c[j] = (int)lround(viridis_stops[i][j] * (1 - t) + viridis_stops[i + 1][j] * t);
    snprintf(out, 8, "#%02X%02X%02X", c[0], c[1], c[2]);
}

int viridis_text_dark(double x) { return x >= 0.6; }

void dot_begin(FILE *f, const char *name, const char *rankdir) {
    fprintf(f, "digraph %s {\n", name);
    fprintf(f, "  graph [fontname=\"DejaVu Sans\", fontsize=22, bgcolor=\"white\", pad=0.3, nodesep=0.35, "
               "ranksep=0.55, rankdir=%s, labelloc=t];\n", rankdir);
    fprintf(f, "  node [fontname=\"DejaVu Sans\", fontsize=18, shape=plain];\n");
    fprintf(f, "  edge [fontname=\"DejaVu Sans\", fontsize=16, color=\"#555555\", arrowsize=0.8];\n");
}

void dot_begin_slide(FILE *f, const char *name, const char *rankdir) {
    fprintf(f, "digraph %s {\n", name);
    /* 96 dpi: 1920x1080 pixels are 20 x 11.25 inches; a picture that fits is drawn at 1:1. */
    fprintf(f, "  graph [fontname=\"DejaVu Sans\", fontsize=24, bgcolor=\"white\", pad=0.25, nodesep=0.3, "
               "ranksep=0.45, rankdir=%s, labelloc=t, dpi=96, size=\"20,11.25\"];\n", rankdir);
    fprintf(f, "  node [fontname=\"DejaVu Sans\", fontsize=20, shape=plain];\n");
    fprintf(f, "  edge [fontname=\"DejaVu Sans\", fontsize=18, color=\"#555555\", arrowsize=0.8];\n");
}

void dot_begin_for(FILE *f, const char *name, const char *rankdir, const RenderOptions *o) {
    if (o && o->slide) dot_begin_slide(f, name, rankdir);
    else dot_begin(f, name, rankdir);
}

void dot_end(FILE *f) { fprintf(f, "}\n"); }
