/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the DHCPv4 message codec. Every input is parsed; a message
 * that parses is checked against the codec's documented invariants, checked with
 * dhcp4_message_check_reply against its own and altered identities, rebuilt with the
 * builder and parsed again, and must come back identical. The same bytes also drive
 * the builder with a buffer of an input-chosen size to prove it never writes past it.
 * Any violated invariant calls abort() so the fuzzer (or the corpus replay under
 * `meson test`) reports it. Test code: not part of the daemon.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>

#include "dhcp4-message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(expr)                                                                                \
        do {                                                                                       \
                if (!(expr)) {                                                                     \
                        fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__,     \
                                #expr);                                                            \
                        abort();                                                                   \
                }                                                                                  \
        } while (0)

static void check_text(const char *s, size_t size, uint8_t lo) {
        size_t n = strnlen(s, size);

        CHECK(n < size);
        for (size_t i = 0; i < n; i++)
                CHECK((uint8_t) s[i] >= lo && (uint8_t) s[i] < 0x7f);
}

static void check_invariants(const Dhcp4Message *m) {
        CHECK(m->op == BOOTREQUEST || m->op == BOOTREPLY);
        CHECK(m->htype == 1 && m->hlen == 6);
        CHECK(m->message_type >= DHCP4_DISCOVER && m->message_type <= DHCP4_FORCERENEW);
        CHECK(dhcp4_message_type_to_string(m->message_type));

        if (m->has_subnet_mask) {
                uint32_t mask = ntohl(m->subnet_mask.s_addr);
                CHECK(m->prefixlen <= 32);
                CHECK(m->subnet_mask.s_addr == lease_prefix_mask(m->prefixlen));
                CHECK((uint8_t) __builtin_popcount(mask) == m->prefixlen);
        } else
                CHECK(m->prefixlen == 0);

        CHECK(m->n_routers <= LEASE_MAX_ROUTERS);
        CHECK(m->n_dns <= LEASE_MAX_DNS);
        CHECK(m->n_params <= DHCP4_MAX_PARAMS);
        CHECK(m->client_id_len == 0 || (m->client_id_len >= 2 && m->client_id_len <= sizeof(m->client_id)));
        CHECK(m->mtu == 0 || m->mtu >= 68);
        CHECK(m->max_message_size == 0 || m->max_message_size >= 576);
        CHECK(m->overload <= DHCP4_OVERLOAD_BOTH);

        check_text(m->hostname, sizeof(m->hostname), 0x21);
        check_text(m->domain, sizeof(m->domain), 0x21);
        check_text(m->message, sizeof(m->message), 0x20);
        check_text(m->sname, sizeof(m->sname), 0x20);
        check_text(m->file, sizeof(m->file), 0x20);
        if (m->overload & DHCP4_OVERLOAD_FILE)
                CHECK(m->file[0] == '\0');
        if (m->overload & DHCP4_OVERLOAD_SNAME)
                CHECK(m->sname[0] == '\0');

        CHECK(m->n_routes <= LEASE_MAX_ROUTES);
        CHECK(m->has_routes == (m->n_routes > 0));
        for (size_t i = 0; i < m->n_routes; i++) {
                CHECK(m->routes[i].prefixlen <= 32);
                CHECK((m->routes[i].destination.s_addr & ~lease_prefix_mask(m->routes[i].prefixlen)) == 0);
        }
}

static void check_reply_semantics(const Dhcp4Message *m) {
        uint8_t mac[6], cid[255];
        Dhcp4ParseResult expect_ok = m->op == BOOTREPLY ? DHCP4_PARSE_OK : DHCP4_PARSE_NOT_REPLY;

        memcpy(mac, m->chaddr, 6);
        memcpy(cid, m->client_id, m->client_id_len);

        CHECK(dhcp4_message_check_reply(m, m->xid, mac, cid, m->client_id_len) == expect_ok);
        if (m->op != BOOTREPLY)
                return;

        CHECK(dhcp4_message_check_reply(m, m->xid ^ 1, mac, cid, m->client_id_len) == DHCP4_PARSE_XID_MISMATCH);
        mac[3] ^= 0x40;
        CHECK(dhcp4_message_check_reply(m, m->xid, mac, cid, m->client_id_len) == DHCP4_PARSE_CHADDR_MISMATCH);
        mac[3] ^= 0x40;

        if (m->client_id_len > 0) {
                cid[m->client_id_len - 1] ^= 0x01;
                CHECK(dhcp4_message_check_reply(m, m->xid, mac, cid, m->client_id_len) ==
                      DHCP4_PARSE_CLIENT_ID_MISMATCH);
                cid[m->client_id_len - 1] ^= 0x01;
                CHECK(dhcp4_message_check_reply(m, m->xid, mac, cid, m->client_id_len - 1) ==
                      DHCP4_PARSE_CLIENT_ID_MISMATCH);
                CHECK(dhcp4_message_check_reply(m, m->xid, mac, NULL, 0) == DHCP4_PARSE_CLIENT_ID_MISMATCH);
        } else
                CHECK(dhcp4_message_check_reply(m, m->xid, mac, NULL, 0) == DHCP4_PARSE_OK);
}

#define ADD_OK(expr) CHECK((expr) == 0)

/* Rebuilds m with the builder; returns the length, or 0 if it does not fit in a
 * message we would accept (the original may have used overload to fit more). */
static size_t rebuild(const Dhcp4Message *m, uint8_t *buf, size_t size) {
        Dhcp4Header h = {
                .op = m->op,
                .xid = m->xid,
                .secs = m->secs,
                .flags = m->flags,
                .ciaddr = m->ciaddr,
                .yiaddr = m->yiaddr,
                .siaddr = m->siaddr,
                .giaddr = m->giaddr,
        };
        Dhcp4Builder b;
        size_t len;
        int r;

        memcpy(h.chaddr, m->chaddr, 6);
        ADD_OK(dhcp4_builder_init(&b, buf, size, &h));
        ADD_OK(dhcp4_builder_add_u8(&b, DHCP4_OPTION_MESSAGE_TYPE, m->message_type));
        if (m->has_subnet_mask)
                ADD_OK(dhcp4_builder_add_addr(&b, DHCP4_OPTION_SUBNET_MASK, m->subnet_mask));
        if (m->n_routers > 0)
                ADD_OK(dhcp4_builder_add(&b, DHCP4_OPTION_ROUTER, m->routers, 4 * m->n_routers));
        if (m->n_dns > 0)
                ADD_OK(dhcp4_builder_add(&b, DHCP4_OPTION_DNS_SERVER, m->dns, 4 * m->n_dns));
        if (m->hostname[0])
                ADD_OK(dhcp4_builder_add(&b, DHCP4_OPTION_HOST_NAME, m->hostname, strlen(m->hostname)));
        if (m->domain[0])
                ADD_OK(dhcp4_builder_add(&b, DHCP4_OPTION_DOMAIN_NAME, m->domain, strlen(m->domain)));
        if (m->mtu)
                ADD_OK(dhcp4_builder_add_u16(&b, DHCP4_OPTION_MTU, m->mtu));
        if (m->has_broadcast)
                ADD_OK(dhcp4_builder_add_addr(&b, DHCP4_OPTION_BROADCAST, m->broadcast));
        if (m->has_requested_address)
                ADD_OK(dhcp4_builder_add_addr(&b, DHCP4_OPTION_REQUESTED_ADDRESS, m->requested_address));
        if (m->has_lease_time)
                ADD_OK(dhcp4_builder_add_u32(&b, DHCP4_OPTION_LEASE_TIME, m->lease_time));
        if (m->has_server_id)
                ADD_OK(dhcp4_builder_add_addr(&b, DHCP4_OPTION_SERVER_ID, m->server_id));
        if (m->n_params > 0)
                ADD_OK(dhcp4_builder_add(&b, DHCP4_OPTION_PARAMETER_LIST, m->params, m->n_params));
        if (m->message[0])
                ADD_OK(dhcp4_builder_add(&b, DHCP4_OPTION_MESSAGE, m->message, strlen(m->message)));
        if (m->max_message_size)
                ADD_OK(dhcp4_builder_add_u16(&b, DHCP4_OPTION_MAX_MESSAGE_SIZE, m->max_message_size));
        if (m->has_t1)
                ADD_OK(dhcp4_builder_add_u32(&b, DHCP4_OPTION_RENEWAL_TIME, m->t1));
        if (m->has_t2)
                ADD_OK(dhcp4_builder_add_u32(&b, DHCP4_OPTION_REBINDING_TIME, m->t2));
        if (m->client_id_len > 0)
                ADD_OK(dhcp4_builder_add(&b, DHCP4_OPTION_CLIENT_ID, m->client_id, m->client_id_len));
        if (m->has_routes) {
                uint8_t rbuf[LEASE_MAX_ROUTES * 9];
                size_t rlen;

                ADD_OK(dhcp4_routes_encode(m->routes, m->n_routes, rbuf, sizeof(rbuf), &rlen));
                ADD_OK(dhcp4_builder_add(&b, DHCP4_OPTION_CLASSLESS_ROUTE, rbuf, rlen));
        }
        r = dhcp4_builder_finish(&b, &len);
        CHECK(r >= DHCP4_MIN_MESSAGE_LEN && (size_t) r == len && len <= size);
        CHECK(buf[len - 1] == DHCP4_OPTION_END || len == DHCP4_MIN_MESSAGE_LEN);

        /* Fields the builder does not write: hops, chaddr beyond 6 bytes, and the
         * sname/file text (sanitized, so no NUL inside and within the field). */
        buf[3] = m->hops;
        memcpy(buf + 28, m->chaddr, sizeof(m->chaddr));
        memcpy(buf + DHCP4_SNAME_OFFSET, m->sname, strlen(m->sname));
        memcpy(buf + DHCP4_FILE_OFFSET, m->file, strlen(m->file));

        return len <= DHCP4_MAX_MESSAGE_LEN ? len : 0;
}

static void check_equal(const Dhcp4Message *a, const Dhcp4Message *b) {
        CHECK(a->op == b->op && a->hops == b->hops && a->xid == b->xid && a->secs == b->secs &&
              a->flags == b->flags);
        CHECK(a->ciaddr.s_addr == b->ciaddr.s_addr && a->yiaddr.s_addr == b->yiaddr.s_addr &&
              a->siaddr.s_addr == b->siaddr.s_addr && a->giaddr.s_addr == b->giaddr.s_addr);
        CHECK(memcmp(a->chaddr, b->chaddr, sizeof(a->chaddr)) == 0);
        CHECK(strcmp(a->sname, b->sname) == 0 && strcmp(a->file, b->file) == 0);
        CHECK(a->message_type == b->message_type);
        CHECK(a->has_subnet_mask == b->has_subnet_mask && a->subnet_mask.s_addr == b->subnet_mask.s_addr &&
              a->prefixlen == b->prefixlen);
        CHECK(a->n_routers == b->n_routers && memcmp(a->routers, b->routers, 4 * a->n_routers) == 0);
        CHECK(a->n_dns == b->n_dns && memcmp(a->dns, b->dns, 4 * a->n_dns) == 0);
        CHECK(strcmp(a->hostname, b->hostname) == 0 && strcmp(a->domain, b->domain) == 0);
        CHECK(a->mtu == b->mtu);
        CHECK(a->has_broadcast == b->has_broadcast && a->broadcast.s_addr == b->broadcast.s_addr);
        CHECK(a->has_requested_address == b->has_requested_address &&
              a->requested_address.s_addr == b->requested_address.s_addr);
        CHECK(a->has_lease_time == b->has_lease_time && a->lease_time == b->lease_time);
        CHECK(a->has_server_id == b->has_server_id && a->server_id.s_addr == b->server_id.s_addr);
        CHECK(a->n_params == b->n_params && memcmp(a->params, b->params, a->n_params) == 0);
        CHECK(strcmp(a->message, b->message) == 0);
        CHECK(a->max_message_size == b->max_message_size);
        CHECK(a->has_t1 == b->has_t1 && a->t1 == b->t1);
        CHECK(a->has_t2 == b->has_t2 && a->t2 == b->t2);
        CHECK(a->client_id_len == b->client_id_len && memcmp(a->client_id, b->client_id, a->client_id_len) == 0);
        CHECK(a->has_routes == b->has_routes && a->n_routes == b->n_routes);
        for (size_t i = 0; i < a->n_routes; i++)
                CHECK(a->routes[i].destination.s_addr == b->routes[i].destination.s_addr &&
                      a->routes[i].prefixlen == b->routes[i].prefixlen &&
                      a->routes[i].gateway.s_addr == b->routes[i].gateway.s_addr);
}

/* Drives the builder with (code, len) pairs taken from the input into a heap buffer of
 * exactly the chosen size, so ASan sees any write past it. */
static void fuzz_builder(const uint8_t *data, size_t size) {
        Dhcp4Header h = { .op = BOOTREPLY };
        Dhcp4Builder b;
        size_t bsize, i = 1, len = 0;
        uint8_t *buf;
        int r;

        if (size < 1)
                return;
        bsize = 230 + (size_t) data[0] * 2; /* 230..740: both sides of 241 and 300 */
        buf = malloc(bsize);
        if (!buf)
                return;

        r = dhcp4_builder_init(&b, buf, bsize, &h);
        if (bsize < DHCP4_OPTIONS_OFFSET + 1) {
                CHECK(r == -ENOBUFS);
                free(buf);
                return;
        }
        CHECK(r == 0);

        while (i + 2 <= size) {
                uint8_t code = data[i];
                size_t l = (size_t) data[i + 1] * 3, before = b.len;

                i += 2;
                if (l > size - i)
                        l = size - i;
                r = dhcp4_builder_add(&b, code, data + i, l);
                if (code == DHCP4_OPTION_PAD || code == DHCP4_OPTION_END)
                        CHECK(r == -EINVAL);
                else
                        CHECK(r == 0 || r == -ENOBUFS);
                if (r < 0)
                        CHECK(b.len == before);
                else
                        CHECK(b.len == before + l + 2 * (l == 0 ? 1 : (l + 254) / 255));
                CHECK(b.len < bsize);
                i += l;
        }

        r = dhcp4_builder_finish(&b, &len);
        if (r >= 0) {
                Dhcp4Message m;
                Dhcp4ParseResult pr;

                CHECK((size_t) r == len && len >= DHCP4_MIN_MESSAGE_LEN && len <= bsize);
                pr = dhcp4_message_parse(&m, buf, len);
                /* Whatever the option contents, the framing the builder writes is sound. */
                CHECK(pr != DHCP4_PARSE_TOO_SHORT && pr != DHCP4_PARSE_BAD_OP && pr != DHCP4_PARSE_BAD_HTYPE &&
                      pr != DHCP4_PARSE_BAD_COOKIE && pr != DHCP4_PARSE_NO_END);
        } else
                CHECK(r == -ENOBUFS && bsize < DHCP4_MIN_MESSAGE_LEN);

        free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static uint8_t buf[4096];
        Dhcp4Message m, m2;
        Dhcp4ParseResult r;
        size_t len;

        r = dhcp4_message_parse(&m, data, size);
        CHECK(dhcp4_parse_result_to_string(r));
        CHECK(r < DHCP4_PARSE_NOT_REPLY); /* parse never yields check_reply codes */

        if (r == DHCP4_PARSE_OK) {
                check_invariants(&m);
                check_reply_semantics(&m);

                len = rebuild(&m, buf, sizeof(buf));
                if (len > 0) {
                        r = dhcp4_message_parse(&m2, buf, len);
                        if (r != DHCP4_PARSE_OK) {
                                fprintf(stderr, "rebuilt message does not parse: %s\n",
                                        dhcp4_parse_result_to_string(r));
                                abort();
                        }
                        check_equal(&m, &m2);
                }
        }

        fuzz_builder(data, size);
        return 0;
}
