/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DHCPv4/BOOTP wire constants (RFC 951, RFC 2131, RFC 2132). Constants only.
 */
#pragma once

#include <stdint.h>

#define DHCP4_SERVER_PORT 67
#define DHCP4_CLIENT_PORT 68

#define BOOTREQUEST 1
#define BOOTREPLY 2
#define ARPHRD_ETHER_HTYPE 1
#define ETH_ALEN_HLEN 6

#define DHCP4_MAGIC_COOKIE UINT32_C(0x63825363)
#define DHCP4_FLAG_BROADCAST UINT16_C(0x8000)

/* Fixed BOOTP header: op..file, before the magic cookie (RFC 2131 Figure 1). */
#define DHCP4_HEADER_LEN 236
#define DHCP4_SNAME_OFFSET 44
#define DHCP4_SNAME_LEN 64
#define DHCP4_FILE_OFFSET 108
#define DHCP4_FILE_LEN 128
#define DHCP4_OPTIONS_OFFSET 240 /* header + cookie */
/* RFC 1542 §3.2.1: BOOTP relays may drop messages shorter than 300 bytes. */
#define DHCP4_MIN_MESSAGE_LEN 300
/* RFC 2131 §2: a client must accept messages of at least 576 bytes (IP datagram);
 * we accept up to a full Ethernet MTU worth of payload and never send above 576. */
#define DHCP4_MAX_MESSAGE_LEN 1472
#define DHCP4_MAX_SEND_LEN 548 /* 576 - 20 (IP) - 8 (UDP) */

enum {
        DHCP4_OPTION_PAD = 0,
        DHCP4_OPTION_SUBNET_MASK = 1,
        DHCP4_OPTION_ROUTER = 3,
        DHCP4_OPTION_DNS_SERVER = 6,
        DHCP4_OPTION_HOST_NAME = 12,
        DHCP4_OPTION_DOMAIN_NAME = 15,
        DHCP4_OPTION_MTU = 26,
        DHCP4_OPTION_BROADCAST = 28,
        DHCP4_OPTION_REQUESTED_ADDRESS = 50,
        DHCP4_OPTION_LEASE_TIME = 51,
        DHCP4_OPTION_OVERLOAD = 52,
        DHCP4_OPTION_MESSAGE_TYPE = 53,
        DHCP4_OPTION_SERVER_ID = 54,
        DHCP4_OPTION_PARAMETER_LIST = 55,
        DHCP4_OPTION_MESSAGE = 56,
        DHCP4_OPTION_MAX_MESSAGE_SIZE = 57,
        DHCP4_OPTION_RENEWAL_TIME = 58,
        DHCP4_OPTION_REBINDING_TIME = 59,
        DHCP4_OPTION_CLIENT_ID = 61,
        DHCP4_OPTION_CLASSLESS_ROUTE = 121,
        DHCP4_OPTION_END = 255,
};

/* Option 52 values (RFC 2132 §9.3). */
enum {
        DHCP4_OVERLOAD_FILE = 1,
        DHCP4_OVERLOAD_SNAME = 2,
        DHCP4_OVERLOAD_BOTH = 3,
};

/* Option 53 values (RFC 2132 §9.6). */
typedef enum Dhcp4MessageType {
        DHCP4_DISCOVER = 1,
        DHCP4_OFFER = 2,
        DHCP4_REQUEST = 3,
        DHCP4_DECLINE = 4,
        DHCP4_ACK = 5,
        DHCP4_NAK = 6,
        DHCP4_RELEASE = 7,
        DHCP4_INFORM = 8,
        DHCP4_FORCERENEW = 9, /* RFC 3203; parsed so that it can be named, never acted on */
} Dhcp4MessageType;
