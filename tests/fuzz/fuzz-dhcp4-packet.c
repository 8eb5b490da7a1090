/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for IPv4/UDP framing. Each input is parsed as a received datagram
 * with and without UDP checksum verification; the results must agree (skipping the
 * checksum can only turn BAD_UDP_CHECKSUM into OK), the payload must lie inside the
 * input, and an accepted datagram re-framed with dhcp4_packet_build must parse back
 * to the same payload and source. Accepted payloads are fed to the message codec too.
 * abort() on any violated invariant. Test code: not part of the daemon.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp4-message.h"
#include "dhcp4-packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(expr)                                                                                \
        do {                                                                                       \
                if (!(expr)) {                                                                     \
                        fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__,     \
                                #expr);                                                            \
                        abort();                                                                   \
                }                                                                                  \
        } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static uint8_t buf[65536 + 64];
        const uint8_t *p = NULL, *p2 = NULL, *p3 = NULL;
        size_t plen = 0, plen2 = 0, plen3 = 0, len = 0;
        struct in_addr src = {}, src2 = {}, dst;
        Dhcp4PacketResult r_ready, r_unready, r;
        Dhcp4Message m;

        r_ready = dhcp4_packet_parse(data, size, true, DHCP4_CLIENT_PORT, &p, &plen, &src);
        r_unready = dhcp4_packet_parse(data, size, false, DHCP4_CLIENT_PORT, &p2, &plen2, &src2);
        CHECK(dhcp4_packet_result_to_string(r_ready) && dhcp4_packet_result_to_string(r_unready));

        if (r_ready == DHCP4_PACKET_OK)
                CHECK(r_unready == DHCP4_PACKET_OK && p == p2 && plen == plen2 && src.s_addr == src2.s_addr);
        else if (r_unready == DHCP4_PACKET_OK)
                CHECK(r_ready == DHCP4_PACKET_BAD_UDP_CHECKSUM);
        else
                CHECK(r_ready == r_unready);

        if (r_unready != DHCP4_PACKET_OK)
                return 0;

        /* Payload inside the input, after at least the minimal headers. */
        CHECK(p2 >= data + DHCP4_IP_UDP_OVERHEAD && plen2 <= size && (size_t) (p2 - data) <= size - plen2);
        CHECK(memcmp(&src2.s_addr, data + 12, 4) == 0);

        /* Re-frame and parse again, now with checksums we computed. */
        memcpy(&dst.s_addr, data + 16, 4);
        CHECK(dhcp4_packet_build(buf, sizeof(buf), &len, src2, dst, DHCP4_SERVER_PORT, DHCP4_CLIENT_PORT, p2,
                                 plen2) == 0);
        CHECK(len == plen2 + DHCP4_IP_UDP_OVERHEAD);
        r = dhcp4_packet_parse(buf, len, true, DHCP4_CLIENT_PORT, &p3, &plen3, &src);
        CHECK(r == DHCP4_PACKET_OK);
        CHECK(plen3 == plen2 && memcmp(p3, p2, plen2) == 0 && src.s_addr == src2.s_addr);
        CHECK(dhcp4_packet_parse(buf, len, true, DHCP4_SERVER_PORT, NULL, NULL, NULL) == DHCP4_PACKET_WRONG_PORT);

        /* Any single bit flipped in the rebuilt IP header is detected (the version/IHL
         * byte is judged before the checksum, so it may be reported differently). */
        for (size_t i = 1; i < 20; i++) {
                buf[i] ^= 0x01;
                CHECK(dhcp4_packet_parse(buf, len, false, DHCP4_CLIENT_PORT, NULL, NULL, NULL) ==
                      DHCP4_PACKET_BAD_IP_CHECKSUM);
                buf[i] ^= 0x01;
        }

        /* And the payload goes on to the codec, as the daemon does. */
        (void) dhcp4_message_parse(&m, p2, plen2);
        return 0;
}
