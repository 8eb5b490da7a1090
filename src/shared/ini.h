/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A line tokenizer for INI-style files: systemd units and .network files,
 * NetworkManager's NetworkManager.conf and keyfiles. Pure: text in, one callback per
 * assignment out; no files, no allocation. Not here: what any key means (each caller
 * owns its keys) and quoting (a value is the rest of the line, trimmed).
 *
 * Rules: '#' or ';' as the first non-blank character starts a comment line; "[Name]"
 * starts a section (no ']' or control characters inside); "key=value" with blanks
 * around both trimmed ("key += value" gives key "key +" trimmed to "key+"); empty lines
 * are skipped. A NUL byte, a line longer than INI_LINE_MAX, an assignment before the
 * first section header, or a line that is none of these is an error naming the line.
 */
#pragma once

#include <stddef.h>

#define INI_LINE_MAX 4096

/* Called once per assignment; return < 0 to stop (returned by ini_parse()). section is
 * "" never: assignments outside a section are errors. */
typedef int (*IniHandler)(const char *section, const char *key, const char *value, unsigned line, void *userdata);

/* Returns 0, the handler's negative value, or -EBADMSG with *ret_line (may be NULL)
 * set to the offending line number and *ret_error to a static reason (a handler that
 * returns -EBADMSG gets its line named too, reason "malformed value"). */
int ini_parse(const char *text, size_t len, IniHandler handler, void *userdata, unsigned *ret_line,
              const char **ret_error);
