/*
 * error.h - how every function of argen reports a failure.
 *
 * The library never prints and never exits: a function that can fail returns
 * 0 on success and -1 on failure, after writing one line into the caller's
 * Error naming the file, field or option and what was expected.  Only main()
 * decides what to do with it.
 */
#ifndef ARGEN_ERROR_H
#define ARGEN_ERROR_H

typedef struct {
    char msg[1024];   /* one line, no trailing newline */
} Error;

/* printf-style; always returns -1 so that `return error_set(...)` reads well.
 * err may be NULL (the message is dropped). */
int error_set(Error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
