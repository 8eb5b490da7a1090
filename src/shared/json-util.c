/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Checked json-c construction (json-util.h).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>

#include "json-util.h"

int json_add(json_object *o, const char *key, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (!o || json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

/* Adds the pairs of ap, the first key being `key`; consumes every value. */
static int json_add_pairs(json_object *o, const char *key, va_list ap) {
        int r = 0;

        for (; key; key = va_arg(ap, const char *)) {
                json_object *v = va_arg(ap, json_object *);

                if (r < 0)
                        json_object_put(v); /* consumed, even after a failure */
                else
                        r = json_add(o, key, v);
        }
        return r;
}

int json_add_many(json_object *o, ...) {
        va_list ap;
        int r;

        va_start(ap, o);
        r = json_add_pairs(o, va_arg(ap, const char *), ap);
        va_end(ap);
        return r;
}

int json_add_null(json_object *o, const char *key) {
        return o && json_object_object_add(o, key, NULL) >= 0 ? 0 : -ENOMEM;
}

json_object *json_build_object(const char *key, ...) {
        json_object *o = json_object_new_object();
        va_list ap;
        int r;

        va_start(ap, key);
        r = json_add_pairs(o, key, ap); /* with o NULL: consumes the values, fails */
        va_end(ap);
        if (r < 0) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

int json_append(json_object *array, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (!array || json_object_array_add(array, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

json_object *json_new_address(struct in_addr a) {
        char buf[INET_ADDRSTRLEN];

        return json_object_new_string(inet_ntop(AF_INET, &a, buf, sizeof(buf)));
}

json_object *json_new_address_array(const struct in_addr *a, size_t n) {
        json_object *arr = json_object_new_array();

        for (size_t i = 0; arr && i < n; i++)
                if (json_append(arr, json_new_address(a[i])) < 0) {
                        json_object_put(arr);
                        return NULL;
                }
        return arr;
}

json_object *json_new_string_array(const char *const *s, size_t n) {
        json_object *arr = json_object_new_array();

        for (size_t i = 0; arr && i < n; i++)
                if (json_append(arr, json_object_new_string(s[i])) < 0) {
                        json_object_put(arr);
                        return NULL;
                }
        return arr;
}

json_object *json_new_uint64(uint64_t v) {
        return json_object_new_int64(v > (uint64_t) INT64_MAX ? INT64_MAX : (int64_t) v);
}

int json_parse(const char *text, size_t len, unsigned flags, json_object **ret, const char **ret_error,
               size_t *ret_offset) {
        const char *error = NULL;
        size_t offset = 0;
        json_tokener *tok;
        json_object *o;

        if (len == 0 || len > INT32_MAX) {
                error = len == 0 ? "empty" : "too large";
                goto bad;
        }
        tok = json_tokener_new();
        if (!tok)
                return -ENOMEM;
        if (flags & JSON_PARSE_STRICT)
                json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        o = json_tokener_parse_ex(tok, text, (int) len);
        if (!o || json_tokener_get_error(tok) != json_tokener_success)
                error = json_tokener_error_desc(json_tokener_get_error(tok));
        else if (!(flags & JSON_PARSE_TRAILING_ANY) && json_tokener_get_parse_end(tok) < len) {
                error = "trailing data";
                offset = json_tokener_get_parse_end(tok);
        }
        json_tokener_free(tok);
        if (error) {
                json_object_put(o);
                goto bad;
        }
        *ret = o;
        return 0;
bad:
        if (ret_error)
                *ret_error = error;
        if (ret_offset)
                *ret_offset = offset;
        return -EBADMSG;
}
