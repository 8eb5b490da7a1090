/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DHCPv4 message codec: parse a BOOTP/DHCP payload (the UDP payload, no IP/UDP
 * headers) into a validated Dhcp4Message, and build messages option by option.
 * Pure: no sockets, clocks, randomness or allocation. Not the state machine
 * (dhcp4-engine) and not IP/UDP framing (dhcp4-packet).
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp4-protocol.h"
#include "infradhcp/lease.h"

#define DHCP4_MAX_PARAMS 64

/* Outcome of parsing/validation. DHCP4_PARSE_OK is 0; every other value names why a
 * packet was rejected. These are expected protocol outcomes, never errno. */
typedef enum Dhcp4ParseResult {
        DHCP4_PARSE_OK = 0,
        DHCP4_PARSE_TOO_SHORT,       /* < 236 + 4 bytes */
        DHCP4_PARSE_TOO_LONG,        /* > DHCP4_MAX_MESSAGE_LEN */
        DHCP4_PARSE_BAD_OP,          /* op not 1/2 */
        DHCP4_PARSE_BAD_HTYPE,       /* htype != 1 or hlen != 6 */
        DHCP4_PARSE_BAD_COOKIE,      /* magic cookie missing */
        DHCP4_PARSE_BAD_OPTION_LENGTH, /* option runs past its area, or wrong length for its type */
        DHCP4_PARSE_BAD_OPTION_VALUE,  /* e.g. non-contiguous netmask, bad RFC 3442 encoding, type 53 out of range */
        DHCP4_PARSE_BAD_OVERLOAD,    /* option 52 invalid or itself inside an overloaded field */
        DHCP4_PARSE_NO_END,          /* option area not terminated by END */
        DHCP4_PARSE_NO_MESSAGE_TYPE, /* no option 53 */
        /* validation of a reply against our request (dhcp4_message_check_reply) */
        DHCP4_PARSE_NOT_REPLY,          /* op != BOOTREPLY */
        DHCP4_PARSE_XID_MISMATCH,
        DHCP4_PARSE_CHADDR_MISMATCH,
        DHCP4_PARSE_CLIENT_ID_MISMATCH, /* option 61 echoed, and differs from ours */
        _DHCP4_PARSE_MAX,
} Dhcp4ParseResult;

const char *dhcp4_parse_result_to_string(Dhcp4ParseResult r);
const char *dhcp4_message_type_to_string(int type); /* "DISCOVER", ...; NULL if unknown */

typedef struct Dhcp4Message {
        /* fixed header */
        uint8_t op, htype, hlen, hops;
        uint32_t xid; /* host order */
        uint16_t secs, flags; /* host order */
        struct in_addr ciaddr, yiaddr, siaddr, giaddr;
        uint8_t chaddr[16];
        char sname[DHCP4_SNAME_LEN + 1]; /* NUL-terminated copy; "" when overloaded */
        char file[DHCP4_FILE_LEN + 1];

        /* options; has_* tells presence. RFC 3396: an option that appears more than
         * once (in options, then file, then sname) is concatenated before decoding. */
        uint8_t message_type;             /* 53, always present after successful parse */
        bool has_subnet_mask;
        struct in_addr subnet_mask;       /* 1 (validated contiguous) */
        uint8_t prefixlen;                /* derived from subnet_mask */
        struct in_addr routers[LEASE_MAX_ROUTERS]; size_t n_routers; /* 3, extra entries dropped */
        struct in_addr dns[LEASE_MAX_DNS]; size_t n_dns;             /* 6 */
        /* 12, 15: "" if absent or malformed (empty, too long, NUL inside, anything but
         * printable ASCII without space); a malformed name is dropped, the message is
         * still accepted. Trailing NULs are stripped first. */
        char hostname[LEASE_HOSTNAME_MAX];  /* 12 */
        char domain[LEASE_DOMAIN_MAX];      /* 15 */
        uint16_t mtu;                       /* 26; 0 if absent; < 68 rejected */
        bool has_broadcast; struct in_addr broadcast;             /* 28 */
        bool has_requested_address; struct in_addr requested_address; /* 50 */
        bool has_lease_time; uint32_t lease_time;                 /* 51 */
        uint8_t overload;                                         /* 52; 0 if absent */
        bool has_server_id; struct in_addr server_id;             /* 54 */
        uint8_t params[DHCP4_MAX_PARAMS]; size_t n_params;        /* 55 */
        char message[256];                                        /* 56, sanitized */
        uint16_t max_message_size;                                /* 57; 0 if absent; < 576 rejected */
        bool has_t1; uint32_t t1;                                 /* 58 */
        bool has_t2; uint32_t t2;                                 /* 59 */
        uint8_t client_id[255]; size_t client_id_len;             /* 61; len 0 if absent */
        LeaseRoute routes[LEASE_MAX_ROUTES]; size_t n_routes;     /* 121, RFC 3442 */
        bool has_routes;
} Dhcp4Message;

/* Parses and structurally validates buf (a BOOTP/DHCP payload). On DHCP4_PARSE_OK,
 * *ret is fully written; otherwise *ret is unspecified. Never reads outside buf. */
Dhcp4ParseResult dhcp4_message_parse(Dhcp4Message *ret, const uint8_t *buf, size_t len);

/* Checks a parsed message is a reply to us: BOOTREPLY, our xid, our chaddr, and if
 * option 61 is echoed (RFC 6842) it must equal client_id. */
Dhcp4ParseResult dhcp4_message_check_reply(const Dhcp4Message *m, uint32_t xid, const uint8_t mac[6],
                                           const uint8_t *client_id, size_t client_id_len);

/* Builder: writes header, cookie, options; finish() appends END and pads to 300 bytes.
 * Options longer than 255 bytes are split into consecutive instances (RFC 3396).
 * Every add returns 0 or -ENOBUFS when it would not fit; nothing is half-written. */
typedef struct Dhcp4Builder {
        uint8_t *buf;
        size_t size;
        size_t len;
} Dhcp4Builder;

typedef struct Dhcp4Header {
        uint8_t op;
        uint32_t xid;
        uint16_t secs;
        uint16_t flags;
        struct in_addr ciaddr, yiaddr, siaddr, giaddr;
        uint8_t chaddr[6];
} Dhcp4Header;

int dhcp4_builder_init(Dhcp4Builder *b, uint8_t *buf, size_t size, const Dhcp4Header *h);
int dhcp4_builder_add(Dhcp4Builder *b, uint8_t code, const void *data, size_t len);
int dhcp4_builder_add_u8(Dhcp4Builder *b, uint8_t code, uint8_t v);
int dhcp4_builder_add_u16(Dhcp4Builder *b, uint8_t code, uint16_t v);
int dhcp4_builder_add_u32(Dhcp4Builder *b, uint8_t code, uint32_t v);
int dhcp4_builder_add_addr(Dhcp4Builder *b, uint8_t code, struct in_addr a);
/* Returns the final length (>= 300) or -ENOBUFS. */
int dhcp4_builder_finish(Dhcp4Builder *b, size_t *ret_len);

/* RFC 3442 encoding helper for tests and servers-in-tests. */
int dhcp4_routes_encode(const LeaseRoute *routes, size_t n, uint8_t *buf, size_t size, size_t *ret_len);
