/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DHCPv4 message codec: strict parser and bounded builder for the BOOTP/DHCP payload.
 *
 * This is the only code that interprets option bytes from the wire. It is pure: no
 * sockets, clocks, randomness, logging or heap allocation; every index is checked
 * against the length of the area it reads. It is not the state machine (it does not
 * decide whether an OFFER is acceptable) and not IP/UDP framing (dhcp4-packet).
 *
 * Parsing happens in two passes. The first walks each option area (options, then
 * file, then sname when option 52 says so, RFC 2131 §4.1) and checks only framing:
 * every option's length byte and data lie inside its area, and the main options area
 * ends with END. The second gathers each option we understand, concatenating all its
 * instances across the areas in that order (RFC 3396 §7), and validates the
 * concatenated value against the option's type.
 *
 * Decisions where the RFCs leave room:
 * - END is required in the main options area (RFC 2131 §3 / RFC 2132 §3.2 "the last
 *   option must always be END"). In an overloaded file/sname field END is optional:
 *   the field's fixed length already bounds it, and servers differ here. Bytes after
 *   END are ignored (servers pad with zeros to 300 bytes).
 * - Option 52 must be in the main options area with length 1 and value 1..3; found
 *   inside file/sname it makes the message invalid (BAD_OVERLOAD). A field that
 *   carries options is reported as "".
 * - Host name (12) and domain name (15): a malformed value (empty, too long for the
 *   lease, embedded NUL, anything outside printable ASCII without space) is dropped
 *   ("" as if absent) instead of rejecting the message: these fields are cosmetic
 *   for us, and losing an otherwise valid ACK over them would be worse. Trailing NULs
 *   are stripped first, since some servers NUL-terminate (RFC 2132 §3.14 says not to).
 * - Message (56) and the sname/file strings are copied up to the first NUL with
 *   every byte outside 0x20..0x7e replaced by '?', so they are safe to log.
 * - Option 121 (RFC 3442): destination bits beyond the prefix length are cleared;
 *   a width above 32 is BAD_OPTION_VALUE, an entry cut short is BAD_OPTION_LENGTH.
 *   Routes beyond LEASE_MAX_ROUTES (likewise routers, DNS servers and parameters
 *   beyond their arrays) are validated and then dropped. Whether option 3 is ignored
 *   because 121 is present (RFC 3442 §DHCP Client Behavior) is the engine's call.
 * - Every other per-type violation rejects the message: wrong length for the type is
 *   BAD_OPTION_LENGTH, an out-of-range value is BAD_OPTION_VALUE.
 */

#include <errno.h>
#include <string.h>

#include "dhcp4-message.h"
#include "string-table.h"
#include "unaligned.h"

/* Upper bound on the concatenated data of one option: it can never exceed the sum of
 * the three option areas of a message we accept. */
#define OPTION_DATA_MAX DHCP4_MAX_MESSAGE_LEN

static const char *const dhcp4_parse_result_table[_DHCP4_PARSE_MAX] = {
        [DHCP4_PARSE_OK] = "ok",
        [DHCP4_PARSE_TOO_SHORT] = "too-short",
        [DHCP4_PARSE_TOO_LONG] = "too-long",
        [DHCP4_PARSE_BAD_OP] = "bad-op",
        [DHCP4_PARSE_BAD_HTYPE] = "bad-htype",
        [DHCP4_PARSE_BAD_COOKIE] = "bad-cookie",
        [DHCP4_PARSE_BAD_OPTION_LENGTH] = "bad-option-length",
        [DHCP4_PARSE_BAD_OPTION_VALUE] = "bad-option-value",
        [DHCP4_PARSE_BAD_OVERLOAD] = "bad-overload",
        [DHCP4_PARSE_NO_END] = "no-end",
        [DHCP4_PARSE_NO_MESSAGE_TYPE] = "no-message-type",
        [DHCP4_PARSE_NOT_REPLY] = "not-reply",
        [DHCP4_PARSE_XID_MISMATCH] = "xid-mismatch",
        [DHCP4_PARSE_CHADDR_MISMATCH] = "chaddr-mismatch",
        [DHCP4_PARSE_CLIENT_ID_MISMATCH] = "client-id-mismatch",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(dhcp4_parse_result, Dhcp4ParseResult)

static const char *const dhcp4_message_type_table[] = {
        [DHCP4_DISCOVER] = "DISCOVER", [DHCP4_OFFER] = "OFFER", [DHCP4_REQUEST] = "REQUEST",
        [DHCP4_DECLINE] = "DECLINE",   [DHCP4_ACK] = "ACK",     [DHCP4_NAK] = "NAK",
        [DHCP4_RELEASE] = "RELEASE",   [DHCP4_INFORM] = "INFORM", [DHCP4_FORCERENEW] = "FORCERENEW",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(dhcp4_message_type, int)

static struct in_addr addr_read(const uint8_t *p) {
        struct in_addr a;
        memcpy(&a.s_addr, p, 4); /* already network order */
        return a;
}

typedef struct OptionArea {
        const uint8_t *data;
        size_t len;
} OptionArea;

/* First pass over one area: framing only. Stops at END; with require_end, running off
 * the end of the area without END is NO_END. */
static Dhcp4ParseResult option_area_validate(const OptionArea *area, bool require_end) {
        size_t i = 0;

        while (i < area->len) {
                uint8_t code = area->data[i];

                if (code == DHCP4_OPTION_END)
                        return DHCP4_PARSE_OK;
                if (code == DHCP4_OPTION_PAD) {
                        i++;
                        continue;
                }
                if (area->len - i < 2)
                        return DHCP4_PARSE_BAD_OPTION_LENGTH; /* no length byte */
                if (area->data[i + 1] > area->len - i - 2)
                        return DHCP4_PARSE_BAD_OPTION_LENGTH; /* data runs past the area */
                i += 2 + (size_t) area->data[i + 1];
        }

        return require_end ? DHCP4_PARSE_NO_END : DHCP4_PARSE_OK;
}

/* Second pass: concatenates every instance of code across the (already validated)
 * areas, in order (RFC 3396 §7). out must hold OPTION_DATA_MAX bytes. Returns whether
 * the option appeared at all; *ret_len is its total length. */
static bool option_gather(const OptionArea *areas, size_t n_areas, uint8_t code, uint8_t *out, size_t *ret_len) {
        bool found = false;
        size_t len = 0;

        for (size_t a = 0; a < n_areas; a++) {
                const OptionArea *area = &areas[a];
                size_t i = 0;

                while (i < area->len) {
                        uint8_t c = area->data[i], l;

                        if (c == DHCP4_OPTION_END)
                                break;
                        if (c == DHCP4_OPTION_PAD) {
                                i++;
                                continue;
                        }
                        /* Framing was validated, but re-check rather than trust it. */
                        if (area->len - i < 2 || area->data[i + 1] > area->len - i - 2)
                                break;
                        l = area->data[i + 1];
                        if (c == code) {
                                found = true;
                                if (l > OPTION_DATA_MAX - len)
                                        break;
                                memcpy(out + len, area->data + i + 2, l);
                                len += l;
                        }
                        i += 2 + (size_t) l;
                }
        }

        *ret_len = len;
        return found;
}

static bool option_area_contains(const OptionArea *area, uint8_t code) {
        uint8_t scratch[OPTION_DATA_MAX];
        size_t len;

        return option_gather(area, 1, code, scratch, &len);
}

static bool mask_is_contiguous(uint32_t mask_host) {
        uint32_t inv = ~mask_host;
        /* inv must be 0...01...1: adding one carries through all ones. */
        return (inv & (inv + 1)) == 0;
}

static uint8_t mask_to_prefixlen(uint32_t mask_host) {
        return (uint8_t) __builtin_popcount(mask_host);
}

static bool char_is_name(uint8_t c) {
        return c > 0x20 && c < 0x7f;
}

/* Host/domain names: strips trailing NULs, then accepts only printable ASCII without
 * space that fits out (incl. NUL). Anything else leaves out empty (see top comment). */
static void name_copy(char *out, size_t out_size, const uint8_t *data, size_t len) {
        out[0] = '\0';

        while (len > 0 && data[len - 1] == 0)
                len--;
        if (len == 0 || len >= out_size)
                return;
        for (size_t i = 0; i < len; i++)
                if (!char_is_name(data[i]))
                        return;

        memcpy(out, data, len);
        out[len] = '\0';
}

/* Copies up to the first NUL or len bytes (truncated to fit out), replacing
 * non-printable bytes so the result is safe to log. */
static void text_sanitize_copy(char *out, size_t out_size, const uint8_t *data, size_t len) {
        size_t n = 0;

        for (size_t i = 0; i < len && n + 1 < out_size; i++) {
                if (data[i] == 0)
                        break;
                out[n++] = (data[i] >= 0x20 && data[i] < 0x7f) ? (char) data[i] : '?';
        }
        out[n] = '\0';
}

/* RFC 3442 §DHCP Client Behavior: each entry is width (0..32), the significant
 * octets of the destination (ceil(width / 8)), then the 4-byte router. */
static Dhcp4ParseResult routes_decode(Dhcp4Message *m, const uint8_t *data, size_t len) {
        size_t i = 0;

        if (len < 5)
                return DHCP4_PARSE_BAD_OPTION_LENGTH;

        m->n_routes = 0;
        while (i < len) {
                uint8_t width = data[i], dst[4] = {};
                size_t sig;
                LeaseRoute r;

                if (width > 32)
                        return DHCP4_PARSE_BAD_OPTION_VALUE;
                sig = (width + 7u) / 8u;
                if (len - i - 1 < sig + 4)
                        return DHCP4_PARSE_BAD_OPTION_LENGTH;

                memcpy(dst, data + i + 1, sig);
                r.prefixlen = width;
                r.destination = addr_read(dst);
                r.destination.s_addr &= lease_prefix_mask(width);
                r.gateway = addr_read(data + i + 1 + sig);

                if (m->n_routes < LEASE_MAX_ROUTES)
                        m->routes[m->n_routes++] = r;
                i += 1 + sig + 4;
        }

        m->has_routes = true;
        return DHCP4_PARSE_OK;
}

static Dhcp4ParseResult addr_list_decode(struct in_addr *out, size_t max, size_t *ret_n, const uint8_t *data,
                                         size_t len) {
        size_t n = 0;

        if (len < 4 || len % 4 != 0)
                return DHCP4_PARSE_BAD_OPTION_LENGTH;
        for (size_t i = 0; i < len && n < max; i += 4)
                out[n++] = addr_read(data + i);
        *ret_n = n;
        return DHCP4_PARSE_OK;
}

static Dhcp4ParseResult options_decode(Dhcp4Message *m, const OptionArea *areas, size_t n_areas) {
        uint8_t data[OPTION_DATA_MAX];
        size_t len;
        Dhcp4ParseResult r;

#define GATHER(code) option_gather(areas, n_areas, (code), data, &len)

        if (!GATHER(DHCP4_OPTION_MESSAGE_TYPE))
                return DHCP4_PARSE_NO_MESSAGE_TYPE;
        if (len != 1)
                return DHCP4_PARSE_BAD_OPTION_LENGTH;
        if (data[0] < DHCP4_DISCOVER || data[0] > DHCP4_FORCERENEW)
                return DHCP4_PARSE_BAD_OPTION_VALUE;
        m->message_type = data[0];

        if (GATHER(DHCP4_OPTION_SUBNET_MASK)) {
                uint32_t mask;

                if (len != 4)
                        return DHCP4_PARSE_BAD_OPTION_LENGTH;
                mask = unaligned_read_be32(data);
                if (!mask_is_contiguous(mask))
                        return DHCP4_PARSE_BAD_OPTION_VALUE;
                m->has_subnet_mask = true;
                m->subnet_mask = addr_read(data);
                m->prefixlen = mask_to_prefixlen(mask);
        }

        if (GATHER(DHCP4_OPTION_ROUTER)) {
                r = addr_list_decode(m->routers, LEASE_MAX_ROUTERS, &m->n_routers, data, len);
                if (r != DHCP4_PARSE_OK)
                        return r;
        }

        if (GATHER(DHCP4_OPTION_DNS_SERVER)) {
                r = addr_list_decode(m->dns, LEASE_MAX_DNS, &m->n_dns, data, len);
                if (r != DHCP4_PARSE_OK)
                        return r;
        }

        if (GATHER(DHCP4_OPTION_HOST_NAME))
                name_copy(m->hostname, sizeof(m->hostname), data, len);

        if (GATHER(DHCP4_OPTION_DOMAIN_NAME))
                name_copy(m->domain, sizeof(m->domain), data, len);

        if (GATHER(DHCP4_OPTION_MTU)) {
                uint16_t mtu;

                if (len != 2)
                        return DHCP4_PARSE_BAD_OPTION_LENGTH;
                mtu = unaligned_read_be16(data);
                if (mtu < 68) /* RFC 2132 §5.1: minimum legal value is 68 */
                        return DHCP4_PARSE_BAD_OPTION_VALUE;
                m->mtu = mtu;
        }

        if (GATHER(DHCP4_OPTION_BROADCAST)) {
                if (len != 4)
                        return DHCP4_PARSE_BAD_OPTION_LENGTH;
                m->has_broadcast = true;
                m->broadcast = addr_read(data);
        }

        if (GATHER(DHCP4_OPTION_REQUESTED_ADDRESS)) {
                if (len != 4)
                        return DHCP4_PARSE_BAD_OPTION_LENGTH;
                m->has_requested_address = true;
                m->requested_address = addr_read(data);
        }

        if (GATHER(DHCP4_OPTION_LEASE_TIME)) {
                if (len != 4)
                        return DHCP4_PARSE_BAD_OPTION_LENGTH;
                m->has_lease_time = true;
                m->lease_time = unaligned_read_be32(data);
        }

        if (GATHER(DHCP4_OPTION_SERVER_ID)) {
                if (len != 4)
                        return DHCP4_PARSE_BAD_OPTION_LENGTH;
                m->has_server_id = true;
                m->server_id = addr_read(data);
        }

        if (GATHER(DHCP4_OPTION_PARAMETER_LIST)) {
                if (len < 1)
                        return DHCP4_PARSE_BAD_OPTION_LENGTH;
                m->n_params = len < DHCP4_MAX_PARAMS ? len : DHCP4_MAX_PARAMS;
                memcpy(m->params, data, m->n_params);
        }

        if (GATHER(DHCP4_OPTION_MESSAGE))
                text_sanitize_copy(m->message, sizeof(m->message), data, len);

        if (GATHER(DHCP4_OPTION_MAX_MESSAGE_SIZE)) {
                uint16_t v;

                if (len != 2)
                        return DHCP4_PARSE_BAD_OPTION_LENGTH;
                v = unaligned_read_be16(data);
                if (v < 576) /* RFC 2132 §9.10: minimum legal value is 576 */
                        return DHCP4_PARSE_BAD_OPTION_VALUE;
                m->max_message_size = v;
        }

        if (GATHER(DHCP4_OPTION_RENEWAL_TIME)) {
                if (len != 4)
                        return DHCP4_PARSE_BAD_OPTION_LENGTH;
                m->has_t1 = true;
                m->t1 = unaligned_read_be32(data);
        }

        if (GATHER(DHCP4_OPTION_REBINDING_TIME)) {
                if (len != 4)
                        return DHCP4_PARSE_BAD_OPTION_LENGTH;
                m->has_t2 = true;
                m->t2 = unaligned_read_be32(data);
        }

        if (GATHER(DHCP4_OPTION_CLIENT_ID)) {
                /* RFC 2132 §9.14: type byte plus at least one byte of identifier. */
                if (len < 2 || len > sizeof(m->client_id))
                        return DHCP4_PARSE_BAD_OPTION_LENGTH;
                memcpy(m->client_id, data, len);
                m->client_id_len = len;
        }

        if (GATHER(DHCP4_OPTION_CLASSLESS_ROUTE)) {
                r = routes_decode(m, data, len);
                if (r != DHCP4_PARSE_OK)
                        return r;
        }

#undef GATHER
        return DHCP4_PARSE_OK;
}

Dhcp4ParseResult dhcp4_message_parse(Dhcp4Message *ret, const uint8_t *buf, size_t len) {
        OptionArea areas[3];
        size_t n_areas = 0;
        uint8_t ov[OPTION_DATA_MAX];
        size_t ov_len;
        Dhcp4ParseResult r;
        Dhcp4Message *m = ret;

        if (!buf || len < DHCP4_OPTIONS_OFFSET)
                return DHCP4_PARSE_TOO_SHORT;
        if (len > DHCP4_MAX_MESSAGE_LEN)
                return DHCP4_PARSE_TOO_LONG;
        if (buf[0] != BOOTREQUEST && buf[0] != BOOTREPLY)
                return DHCP4_PARSE_BAD_OP;
        if (buf[1] != ARPHRD_ETHER_HTYPE || buf[2] != ETH_ALEN_HLEN)
                return DHCP4_PARSE_BAD_HTYPE;
        if (unaligned_read_be32(buf + DHCP4_HEADER_LEN) != DHCP4_MAGIC_COOKIE)
                return DHCP4_PARSE_BAD_COOKIE;

        areas[n_areas++] = (OptionArea) { buf + DHCP4_OPTIONS_OFFSET, len - DHCP4_OPTIONS_OFFSET };
        r = option_area_validate(&areas[0], true);
        if (r != DHCP4_PARSE_OK)
                return r;

        memset(m, 0, sizeof(*m));
        m->op = buf[0];
        m->htype = buf[1];
        m->hlen = buf[2];
        m->hops = buf[3];
        m->xid = unaligned_read_be32(buf + 4);
        m->secs = unaligned_read_be16(buf + 8);
        m->flags = unaligned_read_be16(buf + 10);
        m->ciaddr = addr_read(buf + 12);
        m->yiaddr = addr_read(buf + 16);
        m->siaddr = addr_read(buf + 20);
        m->giaddr = addr_read(buf + 24);
        memcpy(m->chaddr, buf + 28, sizeof(m->chaddr));

        /* RFC 2131 §4.1: options first, so option 52 is known before file/sname. */
        if (option_gather(areas, 1, DHCP4_OPTION_OVERLOAD, ov, &ov_len)) {
                if (ov_len != 1)
                        return DHCP4_PARSE_BAD_OPTION_LENGTH;
                if (ov[0] < DHCP4_OVERLOAD_FILE || ov[0] > DHCP4_OVERLOAD_BOTH)
                        return DHCP4_PARSE_BAD_OVERLOAD;
                m->overload = ov[0];
        }

        /* Then file, then sname (RFC 2131 §4.1). */
        if (m->overload & DHCP4_OVERLOAD_FILE)
                areas[n_areas++] = (OptionArea) { buf + DHCP4_FILE_OFFSET, DHCP4_FILE_LEN };
        else
                text_sanitize_copy(m->file, sizeof(m->file), buf + DHCP4_FILE_OFFSET, DHCP4_FILE_LEN);

        if (m->overload & DHCP4_OVERLOAD_SNAME)
                areas[n_areas++] = (OptionArea) { buf + DHCP4_SNAME_OFFSET, DHCP4_SNAME_LEN };
        else
                text_sanitize_copy(m->sname, sizeof(m->sname), buf + DHCP4_SNAME_OFFSET, DHCP4_SNAME_LEN);

        for (size_t a = 1; a < n_areas; a++) {
                r = option_area_validate(&areas[a], false);
                if (r != DHCP4_PARSE_OK)
                        return r;
                /* RFC 2132 §9.3: option 52 belongs in the options field only. */
                if (option_area_contains(&areas[a], DHCP4_OPTION_OVERLOAD))
                        return DHCP4_PARSE_BAD_OVERLOAD;
        }

        return options_decode(m, areas, n_areas);
}

Dhcp4ParseResult dhcp4_message_check_reply(const Dhcp4Message *m, uint32_t xid, const uint8_t mac[6],
                                           const uint8_t *client_id, size_t client_id_len) {
        if (m->op != BOOTREPLY)
                return DHCP4_PARSE_NOT_REPLY;
        if (m->xid != xid)
                return DHCP4_PARSE_XID_MISMATCH;
        if (memcmp(m->chaddr, mac, ETH_ALEN_HLEN) != 0)
                return DHCP4_PARSE_CHADDR_MISMATCH;
        /* RFC 6842 §3: a server that echoes option 61 must echo ours unchanged. */
        if (m->client_id_len > 0 &&
            (!client_id || client_id_len != m->client_id_len || memcmp(m->client_id, client_id, client_id_len) != 0))
                return DHCP4_PARSE_CLIENT_ID_MISMATCH;
        return DHCP4_PARSE_OK;
}

int dhcp4_builder_init(Dhcp4Builder *b, uint8_t *buf, size_t size, const Dhcp4Header *h) {
        if (!b || !buf || !h)
                return -EINVAL;
        if (size < DHCP4_OPTIONS_OFFSET + 1) /* room for at least END */
                return -ENOBUFS;

        memset(buf, 0, DHCP4_OPTIONS_OFFSET);
        buf[0] = h->op;
        buf[1] = ARPHRD_ETHER_HTYPE;
        buf[2] = ETH_ALEN_HLEN;
        buf[3] = 0; /* hops: clients set zero (RFC 2131 Table 3) */
        unaligned_write_be32(buf + 4, h->xid);
        unaligned_write_be16(buf + 8, h->secs);
        unaligned_write_be16(buf + 10, h->flags);
        memcpy(buf + 12, &h->ciaddr.s_addr, 4);
        memcpy(buf + 16, &h->yiaddr.s_addr, 4);
        memcpy(buf + 20, &h->siaddr.s_addr, 4);
        memcpy(buf + 24, &h->giaddr.s_addr, 4);
        memcpy(buf + 28, h->chaddr, ETH_ALEN_HLEN);
        unaligned_write_be32(buf + DHCP4_HEADER_LEN, DHCP4_MAGIC_COOKIE);

        *b = (Dhcp4Builder) { .buf = buf, .size = size, .len = DHCP4_OPTIONS_OFFSET };
        return 0;
}

int dhcp4_builder_add(Dhcp4Builder *b, uint8_t code, const void *data, size_t len) {
        const uint8_t *p = data;
        size_t n_chunks, need;

        if (!b || !b->buf || code == DHCP4_OPTION_PAD || code == DHCP4_OPTION_END || (!data && len > 0))
                return -EINVAL;
        if (b->len > b->size)
                return -ENOBUFS;

        /* RFC 3396 §5: data longer than 255 bytes goes into consecutive instances. */
        n_chunks = len == 0 ? 1 : (len + 254) / 255;
        if (len > b->size) /* keeps the arithmetic below from overflowing */
                return -ENOBUFS;
        need = len + 2 * n_chunks;
        /* Always keep one byte for END so finish() cannot be starved by an add. */
        if (need + 1 > b->size - b->len)
                return -ENOBUFS;

        for (size_t off = 0, c = 0; c < n_chunks; c++) {
                size_t l = len - off > 255 ? 255 : len - off;

                b->buf[b->len++] = code;
                b->buf[b->len++] = (uint8_t) l;
                if (l > 0)
                        memcpy(b->buf + b->len, p + off, l);
                b->len += l;
                off += l;
        }
        return 0;
}

int dhcp4_builder_add_u8(Dhcp4Builder *b, uint8_t code, uint8_t v) {
        return dhcp4_builder_add(b, code, &v, 1);
}

int dhcp4_builder_add_u16(Dhcp4Builder *b, uint8_t code, uint16_t v) {
        uint8_t d[2];

        unaligned_write_be16(d, v);
        return dhcp4_builder_add(b, code, d, sizeof(d));
}

int dhcp4_builder_add_u32(Dhcp4Builder *b, uint8_t code, uint32_t v) {
        uint8_t d[4];

        unaligned_write_be32(d, v);
        return dhcp4_builder_add(b, code, d, sizeof(d));
}

int dhcp4_builder_add_addr(Dhcp4Builder *b, uint8_t code, struct in_addr a) {
        return dhcp4_builder_add(b, code, &a.s_addr, 4);
}

int dhcp4_builder_finish(Dhcp4Builder *b, size_t *ret_len) {
        size_t total;

        if (!b || !b->buf)
                return -EINVAL;
        if (b->len >= b->size)
                return -ENOBUFS;

        /* RFC 1542 §3.2.1: pad to the 300-byte BOOTP minimum. */
        total = b->len + 1 < DHCP4_MIN_MESSAGE_LEN ? DHCP4_MIN_MESSAGE_LEN : b->len + 1;
        if (total > b->size || total > INT32_MAX)
                return -ENOBUFS;

        b->buf[b->len] = DHCP4_OPTION_END;
        memset(b->buf + b->len + 1, 0, total - b->len - 1);
        b->len = total;

        if (ret_len)
                *ret_len = total;
        return (int) total;
}

int dhcp4_routes_encode(const LeaseRoute *routes, size_t n, uint8_t *buf, size_t size, size_t *ret_len) {
        size_t need = 0, off = 0;

        if ((!routes && n > 0) || (!buf && size > 0))
                return -EINVAL;

        for (size_t i = 0; i < n; i++) {
                if (routes[i].prefixlen > 32)
                        return -EINVAL;
                need += 1 + (routes[i].prefixlen + 7u) / 8u + 4;
        }
        if (need > size)
                return -ENOBUFS;

        for (size_t i = 0; i < n; i++) {
                size_t sig = (routes[i].prefixlen + 7u) / 8u;
                uint32_t dst = routes[i].destination.s_addr & lease_prefix_mask(routes[i].prefixlen);

                buf[off++] = routes[i].prefixlen;
                memcpy(buf + off, &dst, sig);
                off += sig;
                memcpy(buf + off, &routes[i].gateway.s_addr, 4);
                off += 4;
        }

        if (ret_len)
                *ret_len = off;
        return 0;
}
