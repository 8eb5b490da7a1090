/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test tool for the ACD edge: runs a real RFC 5227 probe for ADDRESS on IFNAME with
 * dhcp4-acd (the machine) and dhcp4-arp (the socket), owning the clock and the fd in
 * a small poll loop, and prints the outcome on stdout:
 *
 *   FREE <ms>                      no conflict; <ms> from start to the result
 *   CONFLICT <mac> <ms>            another host holds or probes for the address
 *
 * With --defend SEC, after FREE it announces the address and defends it for SEC
 * seconds, printing ANNOUNCE for each announcement, DEFEND <mac> for each defence
 * and LOST <mac> (then exits) when a second conflict comes within DEFEND_INTERVAL.
 * It never configures the address. Used by tests/integration/test_acd_edge.py; not
 * part of the daemon. Exit status 0 with a result, 1 on error, 2 on usage errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include "dhcp4-acd.h"
#include "dhcp4-arp.h"
#include "dhcp4-config.h"
#include "macro.h"
#include "time-util.h"

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_BOOTTIME, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / NSEC_PER_USEC;
}

static int link_mac(const char *ifname, uint8_t ret[6]) {
        struct ifreq ifr = {};
        _cleanup_(closep) int fd = -1;

        if (strlen(ifname) >= sizeof(ifr.ifr_name))
                return -EINVAL;
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        strncpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name) - 1);
        if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
                return -errno;
        memcpy(ret, ifr.ifr_hwaddr.sa_data, 6);
        return 0;
}

static const char *mac_str(const uint8_t m[6], char buf[static 18]) {
        snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
        return buf;
}

static void usage(FILE *f) {
        fprintf(f,
                "usage: arp-probe-tool [--profile datacenter|rfc5227] [--defend SEC] IFNAME ADDRESS\n"
                "Probes ADDRESS on IFNAME (RFC 5227) and prints FREE <ms> or CONFLICT <mac> <ms>.\n");
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "profile", required_argument, NULL, 'p' },
                { "defend", required_argument, NULL, 'd' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        Dhcp4AcdConfig cfg = {};
        Dhcp4AcdProfile profile = DHCP4_ACD_PROFILE_DATACENTER;
        _cleanup_(dhcp4_acd_freep) Dhcp4Acd *acd = NULL;
        _cleanup_(closep) int fd = -1;
        struct in_addr addr;
        uint64_t start, end, seed, defend_usec = 0;
        uint8_t mac[6];
        char mb[18];
        int ifindex, c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 'p':
                        if (strcmp(optarg, "datacenter") == 0)
                                profile = DHCP4_ACD_PROFILE_DATACENTER;
                        else if (strcmp(optarg, "rfc5227") == 0)
                                profile = DHCP4_ACD_PROFILE_RFC5227;
                        else {
                                usage(stderr);
                                return 2;
                        }
                        break;
                case 'd': {
                        char *e;
                        unsigned long s = strtoul(optarg, &e, 10);

                        if (!*optarg || *e || s > 3600) {
                                usage(stderr);
                                return 2;
                        }
                        defend_usec = s * USEC_PER_SEC;
                        break;
                }
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (argc - optind != 2 || inet_pton(AF_INET, argv[optind + 1], &addr) != 1) {
                usage(stderr);
                return 2;
        }

        ifindex = (int) if_nametoindex(argv[optind]);
        if (ifindex <= 0) {
                fprintf(stderr, "no interface %s: %m\n", argv[optind]);
                return 1;
        }
        r = link_mac(argv[optind], mac);
        if (r < 0) {
                fprintf(stderr, "cannot read the MAC of %s: %s\n", argv[optind], strerror(-r));
                return 1;
        }
        if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
                seed = now_usec();

        dhcp4_acd_config_set_profile(&cfg, profile);
        cfg.enabled = true;
        r = dhcp4_acd_new(&acd, &cfg, mac, seed);
        if (r < 0) {
                fprintf(stderr, "dhcp4_acd_new: %s\n", strerror(-r));
                return 1;
        }
        r = dhcp4_arp_open(ifindex, addr, &fd);
        if (r < 0) {
                fprintf(stderr, "dhcp4_arp_open: %s\n", strerror(-r));
                return 1;
        }

        start = now_usec();
        /* A probe needs at most probe_wait + (probe_num - 1) × probe_max + announce_wait;
         * give it 2 s more before calling it an error. */
        end = start + cfg.probe_wait_usec + (cfg.probe_num - 1) * cfg.probe_max_usec + cfg.announce_wait_usec +
              2 * USEC_PER_SEC;
        r = dhcp4_acd_start_probe(acd, addr, start);
        if (r < 0) {
                fprintf(stderr, "dhcp4_acd_start_probe: %s\n", strerror(-r));
                return 1;
        }

        for (;;) {
                Dhcp4AcdAction a;
                uint64_t now, deadline, wake;
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                int timeout_ms;

                while (dhcp4_acd_pop_action(acd, &a) > 0) {
                        switch (a.type) {
                        case DHCP4_ACD_ACTION_SEND:
                                r = dhcp4_arp_send(fd, ifindex, a.arp, a.len);
                                if (r < 0)
                                        fprintf(stderr, "dhcp4_arp_send: %s\n", strerror(-r));
                                if (a.kind == DHCP4_ACD_SEND_ANNOUNCE)
                                        printf("ANNOUNCE\n");
                                else if (a.kind == DHCP4_ACD_SEND_DEFEND)
                                        printf("DEFEND %s\n", mac_str(a.mac, mb));
                                break;
                        case DHCP4_ACD_ACTION_RESULT:
                                now = now_usec();
                                if (a.conflict)
                                        printf("CONFLICT %s %.1f\n", mac_str(a.mac, mb),
                                               (double) (now - start) / USEC_PER_MSEC);
                                else
                                        printf("FREE %.1f\n", (double) (now - start) / USEC_PER_MSEC);
                                fflush(stdout);
                                if (a.conflict || defend_usec == 0)
                                        return 0;
                                end = now + defend_usec;
                                r = dhcp4_acd_start_announce(acd, addr, now);
                                if (r < 0) {
                                        fprintf(stderr, "dhcp4_acd_start_announce: %s\n", strerror(-r));
                                        return 1;
                                }
                                break;
                        case DHCP4_ACD_ACTION_LOST:
                                printf("LOST %s\n", mac_str(a.mac, mb));
                                fflush(stdout);
                                return 0;
                        }
                        fflush(stdout);
                }

                now = now_usec();
                if (now >= end) {
                        if (dhcp4_acd_get_state(acd) == DHCP4_ACD_STATE_PROBING) {
                                fprintf(stderr, "no probe result in time\n");
                                return 1;
                        }
                        return 0; /* defended for the time asked */
                }
                deadline = dhcp4_acd_next_deadline(acd);
                wake = MIN(deadline, end);
                timeout_ms = (int) ((usec_sub(wake, now) + USEC_PER_MSEC - 1) / USEC_PER_MSEC);

                r = poll(&pfd, 1, timeout_ms);
                if (r < 0 && errno != EINTR) {
                        fprintf(stderr, "poll: %m\n");
                        return 1;
                }
                if (r > 0 && (pfd.revents & POLLIN)) {
                        for (;;) {
                                uint8_t buf[DHCP4_ARP_BUFFER_SIZE], src[6];
                                size_t len;

                                r = dhcp4_arp_recv(fd, buf, sizeof(buf), &len, src);
                                if (r == -EAGAIN)
                                        break;
                                if (r < 0) {
                                        fprintf(stderr, "dhcp4_arp_recv: %s\n", strerror(-r));
                                        return 1;
                                }
                                if (r > 0)
                                        continue;
                                r = dhcp4_acd_receive(acd, src, buf, len, now_usec());
                                if (r < 0) {
                                        fprintf(stderr, "dhcp4_acd_receive: %s\n", strerror(-r));
                                        return 1;
                                }
                                fprintf(stderr, "ARP from %s: %s\n", mac_str(src, mb), dhcp4_acd_rx_to_string(r));
                                if (r == DHCP4_ACD_RX_CONFLICT)
                                        break; /* act on it before reading more */
                        }
                }
                r = dhcp4_acd_timeout(acd, now_usec());
                if (r < 0) {
                        fprintf(stderr, "dhcp4_acd_timeout: %s\n", strerror(-r));
                        return 1;
                }
        }
}
