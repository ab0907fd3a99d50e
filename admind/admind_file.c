/*
 * QuotaLane admind: reading small files whole.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#include "admind_file.h"


int
admind_file_read(const char *path, size_t max, unsigned char **data,
    size_t *len, char *err, size_t errlen)
{
    int             fd;
    size_t          n, cap;
    ssize_t         r;
    struct stat     st;
    unsigned char  *buf;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return ADMIND_ERROR;
    }

    if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return ADMIND_ERROR;
    }

    if ((unsigned long long) st.st_size > max) {
        snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
        close(fd);
        return ADMIND_ERROR;
    }

    /* one byte more than fstat() said, to notice a file still growing */
    cap = (size_t) st.st_size + 1;

    buf = malloc(cap + 1);
    if (buf == NULL) {
        snprintf(err, errlen, "%s: out of memory", path);
        close(fd);
        return ADMIND_ERROR;
    }

    n = 0;

    while (n < cap) {
        r = read(fd, buf + n, cap - n);
        if (r == -1 && errno == EINTR) {
            continue;
        }

        if (r == -1) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            free(buf);
            close(fd);
            return ADMIND_ERROR;
        }

        if (r == 0) {
            break;
        }

        n += (size_t) r;
    }

    close(fd);

    if (n == cap) {
        snprintf(err, errlen, "%s: changed while being read", path);
        free(buf);
        return ADMIND_ERROR;
    }

    buf[n] = '\0';
    *data = buf;
    *len = n;

    return ADMIND_OK;
}
