/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Checked building of json-c objects. json_object_object_add() and
 * json_object_array_add() fail on allocation failure, and json_object_new_*() return
 * NULL: a status built with unchecked adds silently loses fields. Every helper here
 * consumes the value it is given, whether it succeeds or not, so
 *
 *     r = json_add(o, "address", json_new_address(a));
 *
 * neither leaks nor loses a failure. Returns are 0 or -ENOMEM.
 * Depends on json-c and src/basic only, so the pure JSON cores (docs/CODING_STYLE.md)
 * may use it. Not a JSON parser or schema validator.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* For _cleanup_(): drops one reference. json-c ships no such helper. */
static inline void json_object_unrefp(json_object **o) {
        if (*o)
                json_object_put(*o);
}

/* o[key] = v (consumed). -ENOMEM when v is NULL (its constructor failed) or the add
 * failed. */
int json_add(json_object *o, const char *key, json_object *v);
/* Several adds: key, value pairs ending with a NULL key; every value is consumed,
 * also after a failure. Returns the first failure, or 0. */
int json_add_many(json_object *o, ...) __attribute__((sentinel));
/* o[key] = null (a JSON null, e.g. "delete this annotation" in a merge patch). */
int json_add_null(json_object *o, const char *key);
/* Appends v (consumed) to array. */
int json_append(json_object *array, json_object *v);

/* A new object from key, value pairs ending with a NULL key, in that order; values
 * are consumed. NULL when any value is NULL (its constructor failed) or an add
 * fails, so nested builds need one check at the end:
 *
 *     o = json_build_object("kind", json_object_new_string("Event"),
 *                           "metadata", json_build_object("name", json_object_new_string(n), NULL),
 *                           NULL);
 */
json_object *json_build_object(const char *key, ...) __attribute__((sentinel));

/* Parsing a whole text (a file, a message, a response body) as one JSON value.
 * Whitespace after the value is always fine (json-c consumes it); anything else is
 * trailing data. */
enum {
        JSON_PARSE_STRICT = 1 << 0,       /* RFC 8259 only (no comments, single quotes ...) and valid UTF-8 */
        JSON_PARSE_TRAILING_ANY = 1 << 1, /* anything may follow the value: it is ignored */
};
/* Returns 0 and *ret (owned), -ENOMEM, or -EBADMSG with *ret_error (static text:
 * json-c's description of the error, or "trailing data") and *ret_offset (where the
 * trailing data starts; 0 otherwise); both may be NULL. An empty text is -EBADMSG. */
int json_parse(const char *text, size_t len, unsigned flags, json_object **ret, const char **ret_error,
               size_t *ret_offset);

/* Constructors that never lose the NULL of a failed allocation. */
json_object *json_new_address(struct in_addr a);                   /* "10.0.0.1" */
json_object *json_new_address_array(const struct in_addr *a, size_t n);
json_object *json_new_string_array(const char *const *s, size_t n);
json_object *json_new_uint64(uint64_t v);                          /* capped at INT64_MAX */
