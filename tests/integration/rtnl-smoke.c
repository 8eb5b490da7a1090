/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Integration test of the I/O edges (rtnl, dhcp4-socket) against the real kernel.
 * Runs as root in two network namespaces it creates itself with unshare(): "main"
 * holds veth end A (the client side), "peer" holds end B (the fabric). Both
 * namespaces die with the process, so nothing needs cleaning up even on failure.
 * This is not a DHCP conversation test (the Python tests in tests/integration do that against real
 * servers); it checks each edge call does what its header promises.
 * Exit 0: pass, 77: skipped (not root / no namespaces), 1: failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dhcp4-message.h"
#include "dhcp4-packet.h"
#include "dhcp4-protocol.h"
#include "dhcp4-socket.h"
#include "macro.h"
#include "rtnl.h"

#define CHECK(expr)                                                                                \
        do {                                                                                       \
                if (!(expr)) {                                                                     \
                        fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #expr);         \
                        exit(EXIT_FAILURE);                                                        \
                }                                                                                  \
        } while (0)

#define CHECK_RC(call, expected)                                                                   \
        do {                                                                                       \
                int _r = (call);                                                                   \
                if (_r != (expected)) {                                                            \
                        fprintf(stderr, "%s:%d: FAILED: %s = %d (%s), expected %d\n", __FILE__,     \
                                __LINE__, #call, _r, _r < 0 ? strerror(-_r) : "-", (expected));   \
                        exit(EXIT_FAILURE);                                                        \
                }                                                                                  \
        } while (0)

static const uint8_t mac_a[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x0a };
static char name_a[IF_NAMESIZE], name_b[IF_NAMESIZE];
static int ns_main = -1, ns_peer = -1;
static int ifindex_a, ifindex_b; /* ifindex_b is in the peer namespace */

static void step(const char *what) {
        printf("# %s\n", what);
        fflush(stdout);
}

static void enter(int ns) {
        CHECK(setns(ns, CLONE_NEWNET) == 0);
}

/* Runs `ip ARGS...` in the current namespace and requires success. */
static void ip(const char *first, ...) {
        const char *argv[32] = { "ip", first };
        size_t n = 2;
        va_list ap;
        pid_t pid;
        int status;

        va_start(ap, first);
        while (n < ELEMENTSOF(argv) - 1 && (argv[n] = va_arg(ap, const char *)))
                n++;
        va_end(ap);
        argv[n] = NULL;

        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                execvp("ip", (char *const *) argv);
                _exit(127);
        }
        CHECK(waitpid(pid, &status, 0) == pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "FAILED: ip %s ... exited with %d\n", first, status);
                exit(EXIT_FAILURE);
        }
}

static uint64_t now_msec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

static bool wait_readable(int fd, int timeout_ms) {
        struct pollfd p = { .fd = fd, .events = POLLIN };

        return poll(&p, 1, timeout_ms) == 1;
}

static struct in_addr addr(const char *s) {
        struct in_addr a;

        CHECK(inet_pton(AF_INET, s, &a) == 1);
        return a;
}

/* A DHCP message built with the codec's builder. */
static size_t build_message(uint8_t *buf, size_t size, uint8_t op, uint32_t xid, uint8_t type) {
        Dhcp4Header h = { .op = op, .xid = xid, .secs = 1 };
        Dhcp4Builder b;
        size_t len;

        memcpy(h.chaddr, mac_a, sizeof(mac_a));
        CHECK(dhcp4_builder_init(&b, buf, size, &h) == 0);
        CHECK(dhcp4_builder_add_u8(&b, DHCP4_OPTION_MESSAGE_TYPE, type) == 0);
        CHECK(dhcp4_builder_finish(&b, &len) >= 0);
        return len;
}

static uint32_t message_xid(const uint8_t *p, size_t len) {
        CHECK(len >= 8);
        return (uint32_t) p[4] << 24 | (uint32_t) p[5] << 16 | (uint32_t) p[6] << 8 | p[7];
}

/* ---- monitor helpers ---- */

typedef bool (*EventMatch)(const RtnlEvent *ev, const void *arg);

typedef struct MonitorWait {
        EventMatch match;
        const void *arg;
        bool seen;
        unsigned n_overrun;
        unsigned n_events;
} MonitorWait;

static int monitor_cb(Rtnl *rtnl, const RtnlEvent *ev, void *userdata) {
        MonitorWait *w = userdata;

        CHECK(rtnl_event_type_to_string(ev->type));
        w->n_events++;
        if (ev->type == RTNL_EVENT_OVERRUN)
                w->n_overrun++;
        if (w->match && w->match(ev, w->arg))
                w->seen = true;
        return 0;
}

static void monitor_drain(Rtnl *rtnl) {
        MonitorWait w = {};

        while (rtnl_monitor_dispatch(rtnl, monitor_cb, &w) > 0)
                ;
}

static bool monitor_wait(Rtnl *rtnl, EventMatch match, const void *arg, int timeout_ms) {
        MonitorWait w = { .match = match, .arg = arg };
        uint64_t deadline = now_msec() + (uint64_t) timeout_ms;

        while (!w.seen) {
                uint64_t now = now_msec();

                if (now >= deadline)
                        return false;
                if (!wait_readable(rtnl_monitor_fd(rtnl), (int) (deadline - now)))
                        continue;
                CHECK(rtnl_monitor_dispatch(rtnl, monitor_cb, &w) >= 0);
        }
        return true;
}

static bool match_carrier(const RtnlEvent *ev, const void *arg) {
        const bool *want = arg;

        return ev->type == RTNL_EVENT_NEWLINK && ev->link.ifindex == ifindex_a && ev->link.carrier == *want;
}

static bool match_delroute(const RtnlEvent *ev, const void *arg) {
        const RtnlRoute *k = arg;

        return ev->type == RTNL_EVENT_DELROUTE && ev->route.ifindex == k->ifindex &&
               ev->route.dst.s_addr == k->dst.s_addr && ev->route.dst_len == k->dst_len &&
               ev->route.metric == k->metric && ev->route.table == RT_TABLE_MAIN;
}

static bool match_newroute(const RtnlEvent *ev, const void *arg) {
        const RtnlRoute *k = arg;

        return ev->type == RTNL_EVENT_NEWROUTE && ev->route.ifindex == k->ifindex &&
               ev->route.dst.s_addr == k->dst.s_addr && ev->route.dst_len == k->dst_len &&
               ev->route.metric == k->metric && ev->route.table == RT_TABLE_MAIN &&
               ev->route.scope == RT_SCOPE_LINK && ev->route.protocol == RTPROT_STATIC;
}

static bool match_newaddr(const RtnlEvent *ev, const void *arg) {
        const RtnlAddr *k = arg;

        return ev->type == RTNL_EVENT_NEWADDR && ev->addr.ifindex == k->ifindex &&
               ev->addr.address.s_addr == k->address.s_addr && ev->addr.prefixlen == k->prefixlen &&
               ev->addr.valid_sec <= k->valid_sec && ev->addr.valid_sec + 5 >= k->valid_sec;
}

static bool match_deladdr(const RtnlEvent *ev, const void *arg) {
        const RtnlAddr *k = arg;

        return ev->type == RTNL_EVENT_DELADDR && ev->addr.ifindex == k->ifindex &&
               ev->addr.address.s_addr == k->address.s_addr;
}

static bool match_overrun(const RtnlEvent *ev, const void *arg) {
        return ev->type == RTNL_EVENT_OVERRUN;
}

/* ---- rtnl tests ---- */

static void test_link(Rtnl *rtnl) {
        RtnlLink l, l2;

        step("link: get by name and index");
        CHECK_RC(rtnl_link_get_by_name(rtnl, name_a, &l), 0);
        CHECK(l.ifindex == ifindex_a);
        CHECK(strcmp(l.name, name_a) == 0);
        CHECK(l.has_mac && memcmp(l.mac, mac_a, 6) == 0);
        CHECK(l.flags & IFF_UP);
        CHECK(l.carrier);
        CHECK(l.mtu == 1500);
        CHECK(strcmp(l.kind, "veth") == 0);
        CHECK(l.vlan_id == 0);

        CHECK_RC(rtnl_link_get_by_index(rtnl, ifindex_a, &l2), 0);
        CHECK(strcmp(l2.name, name_a) == 0 && memcmp(l2.mac, l.mac, 6) == 0);

        CHECK_RC(rtnl_link_get_by_name(rtnl, "nosuchlink0", &l), -ENODEV);
        CHECK_RC(rtnl_link_get_by_index(rtnl, 999999, &l), -ENODEV);
        CHECK_RC(rtnl_link_get_by_name(rtnl, "this-name-is-too-long", &l), -EINVAL);

        /* This kernel cannot create 802.1Q links (no 8021q), so only the negative
         * path of the VLAN discovery is exercised here; the decoder of IFLA_VLAN_ID
         * is the same code that decoded the veth's IFLA_LINKINFO above. */
        step("link: find_vlan without VLAN links");
        CHECK_RC(rtnl_link_find_vlan(rtnl, 4093, &l), -ENODEV);
        CHECK_RC(rtnl_link_find_vlan(rtnl, 0, &l), -EINVAL);
}

static size_t addrs_of_a(Rtnl *rtnl, RtnlAddr *out, size_t max) {
        size_t n = SIZE_MAX;

        CHECK_RC(rtnl_addr_list(rtnl, ifindex_a, out, max, &n), 0);
        CHECK(n != SIZE_MAX);
        return n;
}

static void test_addr(Rtnl *rtnl) {
        struct in_addr a = addr("192.0.2.10"), none = {};
        RtnlAddr list[8];
        RtnlAddr key;
        size_t n;

        step("addr: replace with lifetimes, list, replace again, delete");
        monitor_drain(rtnl);
        CHECK(addrs_of_a(rtnl, list, ELEMENTSOF(list)) == 0);

        CHECK_RC(rtnl_addr_replace(rtnl, ifindex_a, a, 24, none, 300, 200), 0);
        key = (RtnlAddr) { .ifindex = ifindex_a, .address = a, .prefixlen = 24, .valid_sec = 300 };
        CHECK(monitor_wait(rtnl, match_newaddr, &key, 2000));

        n = addrs_of_a(rtnl, list, ELEMENTSOF(list));
        CHECK(n == 1);
        CHECK(list[0].address.s_addr == a.s_addr);
        CHECK(list[0].prefixlen == 24);
        CHECK(list[0].broadcast.s_addr == addr("192.0.2.255").s_addr);
        CHECK(list[0].valid_sec <= 300 && list[0].valid_sec >= 295);
        CHECK(list[0].preferred_sec <= 200 && list[0].preferred_sec >= 195);
        CHECK(!(list[0].flags & IFA_F_PERMANENT));

        /* Renew: same address, new lifetimes; must update, not add. */
        CHECK_RC(rtnl_addr_replace(rtnl, ifindex_a, a, 24, none, 100, 500), 0);
        n = addrs_of_a(rtnl, list, ELEMENTSOF(list));
        CHECK(n == 1);
        CHECK(list[0].valid_sec <= 100 && list[0].valid_sec >= 95);
        CHECK(list[0].preferred_sec <= list[0].valid_sec); /* clamped */

        CHECK_RC(rtnl_addr_replace(rtnl, ifindex_a, a, 24, none, RTNL_LIFETIME_INFINITY,
                                   RTNL_LIFETIME_INFINITY), 0);
        n = addrs_of_a(rtnl, list, ELEMENTSOF(list));
        CHECK(n == 1 && list[0].valid_sec == RTNL_LIFETIME_INFINITY);

        /* A second address, /31: no broadcast (RFC 3021). Also the out-too-small path. */
        CHECK_RC(rtnl_addr_replace(rtnl, ifindex_a, addr("198.51.100.0"), 31, none, 60, 60), 0);
        n = addrs_of_a(rtnl, list, 1);
        CHECK(n == 2);
        n = addrs_of_a(rtnl, list, ELEMENTSOF(list));
        CHECK(n == 2);
        for (size_t i = 0; i < n; i++)
                if (list[i].prefixlen == 31)
                        CHECK(list[i].broadcast.s_addr == 0 &&
                              list[i].address.s_addr == addr("198.51.100.0").s_addr);
        CHECK_RC(rtnl_addr_del(rtnl, ifindex_a, addr("198.51.100.0"), 31), 1);

        CHECK_RC(rtnl_addr_replace(rtnl, ifindex_a, a, 24, none, 0, 0), -EINVAL);
        CHECK_RC(rtnl_addr_replace(rtnl, 999999, a, 24, none, 10, 10), -ENODEV);
        CHECK(rtnl_last_error_message(rtnl) != NULL);

        monitor_drain(rtnl);
        /* Wrong prefix length does not match the address. */
        CHECK_RC(rtnl_addr_del(rtnl, ifindex_a, a, 25), 0);
        CHECK_RC(rtnl_addr_del(rtnl, ifindex_a, a, 24), 1);
        CHECK(monitor_wait(rtnl, match_deladdr, &key, 2000));
        CHECK_RC(rtnl_addr_del(rtnl, ifindex_a, a, 24), 0);
        CHECK(addrs_of_a(rtnl, list, ELEMENTSOF(list)) == 0);
}

/* Make-before-break in one subnet: add the new lease, remove the old (primary). */
static size_t replace_in_subnet(Rtnl *rtnl, RtnlAddr *list, size_t max) {
        struct in_addr none = {};

        CHECK_RC(rtnl_addr_replace(rtnl, ifindex_a, addr("192.0.2.20"), 24, none, 60, 60), 0);
        CHECK_RC(rtnl_addr_replace(rtnl, ifindex_a, addr("192.0.2.21"), 24, none, 60, 60), 0);
        CHECK_RC(rtnl_addr_del(rtnl, ifindex_a, addr("192.0.2.20"), 24), 1);
        return addrs_of_a(rtnl, list, max);
}

static void test_promote_secondaries(Rtnl *rtnl) {
        RtnlAddr list[8];
        size_t n;

        step("addr: promote_secondaries keeps the new address when the old primary goes");
        CHECK_RC(rtnl_link_set_promote_secondaries(rtnl, ifindex_a, false), 0);
        n = replace_in_subnet(rtnl, list, ELEMENTSOF(list));
        CHECK(n == 0); /* the kernel took the secondary with it: the hazard */

        CHECK_RC(rtnl_link_set_promote_secondaries(rtnl, ifindex_a, true), 0);
        n = replace_in_subnet(rtnl, list, ELEMENTSOF(list));
        CHECK(n == 1 && list[0].address.s_addr == addr("192.0.2.21").s_addr);
        CHECK(!(list[0].flags & IFA_F_SECONDARY)); /* promoted */
        CHECK_RC(rtnl_addr_del(rtnl, ifindex_a, addr("192.0.2.21"), 24), 1);

        CHECK_RC(rtnl_link_set_promote_secondaries(rtnl, 999999, true), -ENODEV);
}

static void test_route(Rtnl *rtnl) {
        RtnlRoute r = {
                .ifindex = ifindex_a,
                .dst = addr("224.0.0.0"),
                .dst_len = 4,
                .scope = RT_SCOPE_LINK,
                .protocol = RTPROT_STATIC,
                .metric = 401,
                .table = RT_TABLE_MAIN,
        };
        RtnlRoute other;

        step("route: replace/exists/del 224.0.0.0/4 metric 401 scope link proto static");
        monitor_drain(rtnl);
        CHECK_RC(rtnl_route_exists(rtnl, &r), 0);
        CHECK_RC(rtnl_route_replace(rtnl, &r), 0);
        CHECK(monitor_wait(rtnl, match_newroute, &r, 2000));
        CHECK_RC(rtnl_route_exists(rtnl, &r), 1);
        CHECK_RC(rtnl_route_replace(rtnl, &r), 0); /* idempotent */
        CHECK_RC(rtnl_route_exists(rtnl, &r), 1);

        other = r;
        other.metric = 402;
        CHECK_RC(rtnl_route_exists(rtnl, &other), 0);
        other = r;
        other.ifindex = 1; /* lo */
        CHECK_RC(rtnl_route_exists(rtnl, &other), 0);
        other = r;
        other.table = 1000; /* no such table */
        CHECK_RC(rtnl_route_exists(rtnl, &other), 0);
        other = r;
        other.ifindex = 0; /* any link */
        CHECK_RC(rtnl_route_exists(rtnl, &other), 1);

        CHECK_RC(rtnl_route_del(rtnl, &r), 1);
        CHECK_RC(rtnl_route_exists(rtnl, &r), 0);
        CHECK_RC(rtnl_route_del(rtnl, &r), 0);

        step("route: monitor sees `ip route del` of the route");
        CHECK_RC(rtnl_route_replace(rtnl, &r), 0);
        monitor_drain(rtnl);
        ip("route", "del", "224.0.0.0/4", "dev", name_a, "metric", "401", NULL);
        CHECK(monitor_wait(rtnl, match_delroute, &r, 2000));
        CHECK_RC(rtnl_route_exists(rtnl, &r), 0);
}

static void test_carrier(Rtnl *rtnl) {
        bool down = false, up = true;

        step("link: monitor sees carrier loss and return when the peer goes down/up");
        monitor_drain(rtnl);
        enter(ns_peer);
        ip("link", "set", name_b, "down", NULL);
        enter(ns_main);
        CHECK(monitor_wait(rtnl, match_carrier, &down, 3000));
        {
                RtnlLink l;
                CHECK_RC(rtnl_link_get_by_index(rtnl, ifindex_a, &l), 0);
                CHECK(!l.carrier && (l.flags & IFF_UP));
        }
        enter(ns_peer);
        ip("link", "set", name_b, "up", NULL);
        enter(ns_main);
        CHECK(monitor_wait(rtnl, match_carrier, &up, 3000));
}

static void test_overrun(Rtnl *rtnl) {
        RtnlRoute r = { .ifindex = ifindex_a, .dst_len = 32, .scope = RT_SCOPE_LINK, .metric = 7 };
        unsigned i;

        /* Flood the monitor without reading it until the kernel drops notifications. */
        step("monitor: overrun is reported");
        monitor_drain(rtnl);
        for (i = 0; i < 20000; i++) {
                r.dst.s_addr = htonl(0x0a000000u | i);
                CHECK_RC(rtnl_route_replace(rtnl, &r), 0);
        }
        CHECK(monitor_wait(rtnl, match_overrun, NULL, 2000));
        /* After the overrun the socket keeps working. */
        monitor_drain(rtnl);
        r.dst = addr("10.255.255.1");
        {
                RtnlRoute k = r;
                k.table = RT_TABLE_MAIN;
                CHECK_RC(rtnl_route_replace(rtnl, &r), 0);
                k.scope = RT_SCOPE_LINK;
                k.protocol = RTPROT_STATIC;
                CHECK(monitor_wait(rtnl, match_newroute, &k, 2000));
        }
}

/* ---- socket tests ---- */

typedef struct Peer {
        int udp67;  /* UDP 0.0.0.0:67 bound to B, SO_BROADCAST */
        int packet; /* AF_PACKET/ETH_P_IP on B, unfiltered */
        int inject; /* AF_PACKET for crafted frames */
} Peer;

static void peer_open(Peer *p) {
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(67) };
        struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP) };
        int one = 1;

        enter(ns_peer);
        sll.sll_ifindex = ifindex_b;
        p->udp67 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        CHECK(p->udp67 >= 0);
        CHECK(setsockopt(p->udp67, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0);
        CHECK(setsockopt(p->udp67, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) == 0);
        CHECK(setsockopt(p->udp67, SOL_SOCKET, SO_BINDTODEVICE, name_b, strlen(name_b) + 1) == 0);
        CHECK(bind(p->udp67, (struct sockaddr *) &sin, sizeof(sin)) == 0);

        p->packet = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_IP));
        CHECK(p->packet >= 0);
        CHECK(bind(p->packet, (struct sockaddr *) &sll, sizeof(sll)) == 0);

        p->inject = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        CHECK(p->inject >= 0);
        enter(ns_main);
}

static void peer_send_udp(Peer *p, const char *dst, uint16_t port, const uint8_t *buf, size_t len) {
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = addr(dst) };

        CHECK(sendto(p->udp67, buf, len, 0, (struct sockaddr *) &sin, sizeof(sin)) == (ssize_t) len);
}

static void peer_inject(Peer *p, const uint8_t *frame, size_t len) {
        struct sockaddr_ll sll = {
                .sll_family = AF_PACKET,
                .sll_protocol = htons(ETH_P_IP),
                .sll_ifindex = ifindex_b,
                .sll_halen = 6,
                .sll_addr = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
        };

        CHECK(sendto(p->inject, frame, len, 0, (struct sockaddr *) &sll, sizeof(sll)) == (ssize_t) len);
}

/* Builds IP (with ip_options_len bytes of NOP options) + UDP around payload, with
 * correct checksums, from 192.0.2.1:67 to 255.255.255.255:dport. */
static size_t craft(uint8_t *out, size_t size, size_t ip_options_len, uint16_t dport, uint16_t frag,
                    const uint8_t *payload, size_t len) {
        size_t ihl = 20 + ip_options_len, udp_len = 8 + len, total = ihl + udp_len;
        uint8_t *udp = out + ihl, ph[12];
        uint16_t c;

        CHECK(ip_options_len % 4 == 0 && total <= size);
        memset(out, 0, ihl + 8);
        out[0] = (uint8_t) (0x40 | (ihl / 4));
        out[2] = (uint8_t) (total >> 8);
        out[3] = (uint8_t) total;
        out[6] = (uint8_t) (frag >> 8);
        out[7] = (uint8_t) frag;
        out[8] = 64;
        out[9] = IPPROTO_UDP;
        {
                struct in_addr src = addr("192.0.2.1");
                memcpy(out + 12, &src, 4);
        }
        memset(out + 16, 0xff, 4);
        memset(out + 20, 1 /* NOP */, ip_options_len);
        c = dhcp4_packet_checksum_fold(dhcp4_packet_checksum_partial(0, out, ihl));
        out[10] = (uint8_t) (c >> 8);
        out[11] = (uint8_t) c;

        udp[0] = 0;
        udp[1] = 67;
        udp[2] = (uint8_t) (dport >> 8);
        udp[3] = (uint8_t) dport;
        udp[4] = (uint8_t) (udp_len >> 8);
        udp[5] = (uint8_t) udp_len;
        memcpy(udp + 8, payload, len);
        memcpy(ph, out + 12, 8);
        ph[8] = 0;
        ph[9] = IPPROTO_UDP;
        ph[10] = (uint8_t) (udp_len >> 8);
        ph[11] = (uint8_t) udp_len;
        c = dhcp4_packet_checksum_fold(
                dhcp4_packet_checksum_partial(dhcp4_packet_checksum_partial(0, ph, sizeof(ph)), udp, udp_len));
        if (c == 0)
                c = 0xffff;
        udp[6] = (uint8_t) (c >> 8);
        udp[7] = (uint8_t) c;
        return total;
}

typedef struct RawResult {
        unsigned n_accepted, n_rejected;
        int last_rejection;
        uint32_t xids[16];
        uint8_t last_payload[DHCP4_MAX_MESSAGE_LEN];
        size_t last_payload_len;
} RawResult;

/* Reads the raw socket until it has been quiet for quiet_ms after the first packet
 * (or timeout_ms without any). */
static void raw_collect(int fd, size_t bufsize, RawResult *res, int timeout_ms, int quiet_ms) {
        uint8_t buf[DHCP4_SOCKET_RAW_BUFFER_SIZE];
        bool any = false;

        CHECK(bufsize <= sizeof(buf));
        *res = (RawResult) {};
        while (wait_readable(fd, any ? quiet_ms : timeout_ms)) {
                const uint8_t *payload;
                size_t len;
                int r;

                any = true;
                r = dhcp4_socket_recv_raw(fd, buf, bufsize, &payload, &len, NULL);
                if (r == -EAGAIN)
                        continue;
                CHECK(r >= 0);
                if (r > 0) {
                        res->n_rejected++;
                        res->last_rejection = r;
                        continue;
                }
                CHECK(len <= sizeof(res->last_payload));
                if (res->n_accepted < ELEMENTSOF(res->xids))
                        res->xids[res->n_accepted] = message_xid(payload, len);
                res->n_accepted++;
                memcpy(res->last_payload, payload, len);
                res->last_payload_len = len;
        }
        CHECK_RC(dhcp4_socket_recv_raw(fd, buf, bufsize, &(const uint8_t *) { NULL }, &(size_t) { 0 }, NULL), -EAGAIN);
}

static void test_raw(Peer *peer) {
        uint8_t msg[DHCP4_MAX_SEND_LEN], frame[2048], big[1200];
        RawResult res;
        size_t len, flen;
        int fd = -1;

        step("raw: open on A");
        CHECK_RC(dhcp4_socket_open_raw(ifindex_a, &fd), 0);
        CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
        CHECK_RC(dhcp4_socket_open_raw(0, &fd), -EINVAL);

        step("raw: BOOTREPLY from a UDP socket (veth checksum offload) is received");
        len = build_message(msg, sizeof(msg), BOOTREPLY, 0x1111, DHCP4_OFFER);
        peer_send_udp(peer, "255.255.255.255", 68, msg, len);
        raw_collect(fd, DHCP4_SOCKET_RAW_BUFFER_SIZE, &res, 2000, 200);
        CHECK(res.n_accepted == 1 && res.n_rejected == 0);
        CHECK(res.xids[0] == 0x1111);
        CHECK(res.last_payload_len == len && memcmp(res.last_payload, msg, len) == 0);

        step("raw: the kernel filter drops BOOTREQUEST, other ports, bad cookie, fragments");
        len = build_message(msg, sizeof(msg), BOOTREQUEST, 0x2001, DHCP4_DISCOVER);
        peer_send_udp(peer, "255.255.255.255", 68, msg, len);
        len = build_message(msg, sizeof(msg), BOOTREPLY, 0x2002, DHCP4_OFFER);
        peer_send_udp(peer, "255.255.255.255", 69, msg, len);
        msg[DHCP4_HEADER_LEN] ^= 0xff; /* break the cookie */
        peer_send_udp(peer, "255.255.255.255", 68, msg, len);
        msg[DHCP4_HEADER_LEN] ^= 0xff;
        msg[2] = 8; /* hlen */
        peer_send_udp(peer, "255.255.255.255", 68, msg, len);
        msg[2] = 6;
        flen = craft(frame, sizeof(frame), 0, 68, 0x2000 /* MF */, msg, len);
        peer_inject(peer, frame, flen);
        flen = craft(frame, sizeof(frame), 0, 68, 0x0001 /* offset 8 */, msg, len);
        peer_inject(peer, frame, flen);
        peer_send_udp(peer, "255.255.255.255", 68, msg, 100); /* shorter than the cookie offset */
        len = build_message(msg, sizeof(msg), BOOTREPLY, 0x2222, DHCP4_ACK);
        peer_send_udp(peer, "255.255.255.255", 68, msg, len);
        raw_collect(fd, DHCP4_SOCKET_RAW_BUFFER_SIZE, &res, 2000, 300);
        CHECK(res.n_rejected == 0); /* nothing leaked past the filter */
        CHECK(res.n_accepted == 1 && res.xids[0] == 0x2222);

        step("raw: IP options are skipped (BPF_MSH), checksums verified without offload");
        len = build_message(msg, sizeof(msg), BOOTREPLY, 0x3333, DHCP4_OFFER);
        flen = craft(frame, sizeof(frame), 8, 68, 0, msg, len);
        peer_inject(peer, frame, flen);
        raw_collect(fd, DHCP4_SOCKET_RAW_BUFFER_SIZE, &res, 2000, 200);
        CHECK(res.n_accepted == 1 && res.n_rejected == 0 && res.xids[0] == 0x3333);
        CHECK(res.last_payload_len == len && memcmp(res.last_payload, msg, len) == 0);

        /* An injected frame is not offloaded, so its checksum is checked: corrupt it. */
        flen = craft(frame, sizeof(frame), 0, 68, 0, msg, len);
        frame[20 + 6] ^= 0x5a;
        peer_inject(peer, frame, flen);
        raw_collect(fd, DHCP4_SOCKET_RAW_BUFFER_SIZE, &res, 2000, 200);
        CHECK(res.n_accepted == 0 && res.n_rejected == 1);
        CHECK(res.last_rejection == DHCP4_PACKET_BAD_UDP_CHECKSUM);

        step("raw: a datagram larger than the buffer is rejected, not truncated");
        memset(big, 0, sizeof(big));
        len = build_message(big, sizeof(big), BOOTREPLY, 0x4444, DHCP4_OFFER);
        peer_send_udp(peer, "255.255.255.255", 68, big, sizeof(big));
        raw_collect(fd, 600, &res, 2000, 200);
        CHECK(res.n_accepted == 0 && res.n_rejected == 1);
        CHECK(res.last_rejection == DHCP4_PACKET_BAD_LENGTH);

        step("raw: send_raw reaches a UDP :67 socket on the peer, with valid checksums");
        {
                uint8_t rbuf[2048];
                struct sockaddr_in from;
                socklen_t fl = sizeof(from);
                struct sockaddr_ll sll;
                socklen_t sl;
                bool seen = false;
                ssize_t n;

                len = build_message(msg, sizeof(msg), BOOTREQUEST, 0x5555, DHCP4_DISCOVER);
                CHECK_RC(dhcp4_socket_send_raw(fd, ifindex_a, msg, len, (struct in_addr) {}), 0);

                CHECK(wait_readable(peer->udp67, 2000));
                n = recvfrom(peer->udp67, rbuf, sizeof(rbuf), 0, (struct sockaddr *) &from, &fl);
                CHECK(n == (ssize_t) len && memcmp(rbuf, msg, len) == 0);
                CHECK(from.sin_port == htons(68) && from.sin_addr.s_addr == INADDR_ANY);

                /* The same frame as the peer's link layer saw it. */
                while (!seen && wait_readable(peer->packet, 2000)) {
                        const uint8_t *payload;
                        size_t plen;
                        struct in_addr src;

                        sl = sizeof(sll);
                        n = recvfrom(peer->packet, rbuf, sizeof(rbuf), 0, (struct sockaddr *) &sll, &sl);
                        CHECK(n > 0);
                        if (dhcp4_packet_parse(rbuf, (size_t) n, true, 67, &payload, &plen, &src) != DHCP4_PACKET_OK)
                                continue;
                        if (plen != len || memcmp(payload, msg, len) != 0)
                                continue;
                        seen = true;
                        CHECK(sll.sll_pkttype == PACKET_BROADCAST);
                        CHECK(src.s_addr == INADDR_ANY);
                        CHECK(memcmp(rbuf + 16, "\xff\xff\xff\xff", 4) == 0);
                        CHECK(rbuf[1] == DHCP4_SOCKET_TOS);
                        CHECK(rbuf[20] == 0 && rbuf[21] == 68 && rbuf[22] == 0 && rbuf[23] == 67);
                }
                CHECK(seen);

                CHECK_RC(dhcp4_socket_send_raw(fd, ifindex_a, big, DHCP4_MAX_MESSAGE_LEN + 1,
                                               (struct in_addr) {}), -EMSGSIZE);
        }

        close(fd);
}

static void test_udp(Rtnl *rtnl, Peer *peer) {
        struct in_addr a = addr("192.0.2.10"), none = {};
        uint8_t msg[DHCP4_MAX_SEND_LEN], rbuf[2048];
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        size_t len, rlen;
        ssize_t n;
        int fd = -1, fd2 = -1, other;

        step("udp: bind before the address exists fails with EADDRNOTAVAIL");
        CHECK_RC(dhcp4_socket_open_udp(ifindex_a, name_a, a, &fd), -EADDRNOTAVAIL);
        CHECK(fd == -1);

        step("udp: unicast to the server and back");
        CHECK_RC(rtnl_addr_replace(rtnl, ifindex_a, a, 24, none, 120, 120), 0);
        CHECK_RC(dhcp4_socket_open_udp(ifindex_a, name_a, a, &fd), 0);
        CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
        /* SO_REUSEADDR: a second socket (e.g. a restarted daemon's) can bind too. */
        CHECK_RC(dhcp4_socket_open_udp(ifindex_a, name_a, a, &fd2), 0);
        close(fd2);

        len = build_message(msg, sizeof(msg), BOOTREQUEST, 0x6666, DHCP4_REQUEST);
        CHECK_RC(dhcp4_socket_send_udp(fd, addr("192.0.2.1"), msg, len), 0);
        CHECK(wait_readable(peer->udp67, 2000));
        n = recvfrom(peer->udp67, rbuf, sizeof(rbuf), 0, (struct sockaddr *) &from, &fl);
        CHECK(n == (ssize_t) len && memcmp(rbuf, msg, len) == 0);
        CHECK(from.sin_addr.s_addr == a.s_addr && from.sin_port == htons(68));

        len = build_message(msg, sizeof(msg), BOOTREPLY, 0x6666, DHCP4_ACK);
        peer_send_udp(peer, "192.0.2.10", 68, msg, len);
        CHECK(wait_readable(fd, 2000));
        {
                Dhcp4SocketPeer from_peer;
                CHECK_RC(dhcp4_socket_recv_udp(fd, rbuf, sizeof(rbuf), &rlen, &from_peer), 0);
                CHECK(from_peer.has_address && from_peer.address.s_addr == addr("192.0.2.1").s_addr &&
                      !from_peer.has_mac);
        }
        CHECK(rlen == len && memcmp(rbuf, msg, len) == 0);
        CHECK_RC(dhcp4_socket_recv_udp(fd, rbuf, sizeof(rbuf), &rlen, NULL), -EAGAIN);

        step("udp: datagrams not from port 67, or too large, are rejected");
        enter(ns_peer);
        other = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        enter(ns_main);
        CHECK(other >= 0);
        {
                struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(68), .sin_addr = a };
                CHECK(sendto(other, msg, len, 0, (struct sockaddr *) &to, sizeof(to)) == (ssize_t) len);
        }
        CHECK(wait_readable(fd, 2000));
        CHECK_RC(dhcp4_socket_recv_udp(fd, rbuf, sizeof(rbuf), &rlen, NULL), DHCP4_PACKET_WRONG_PORT);
        close(other);
        peer_send_udp(peer, "192.0.2.10", 68, msg, len);
        CHECK(wait_readable(fd, 2000));
        CHECK_RC(dhcp4_socket_recv_udp(fd, rbuf, 100, &rlen, NULL), DHCP4_PACKET_BAD_LENGTH);

        close(fd);
        CHECK_RC(rtnl_addr_del(rtnl, ifindex_a, a, 24), 1);
}

static int ignore_event(Rtnl *r, const RtnlEvent *ev, void *userdata) {
        return 0;
}

int main(void) {
        _cleanup_(rtnl_freep) Rtnl *rtnl = NULL;
        char path[64];
        Peer peer;

        if (geteuid() != 0) {
                fprintf(stderr, "SKIP: needs root\n");
                return 77;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (unshare(CLONE_NEWNET) < 0) {
                fprintf(stderr, "SKIP: unshare(CLONE_NEWNET): %m\n");
                return 77;
        }
        ns_main = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        CHECK(ns_main >= 0);
        CHECK(unshare(CLONE_NEWNET) == 0);
        ns_peer = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        CHECK(ns_peer >= 0);
        enter(ns_main);

        /* Unique per run (the rule for every network test), even though these
         * namespaces are private to this process. */
        snprintf(name_a, sizeof(name_a), "edA%d", (int) getpid());
        snprintf(name_b, sizeof(name_b), "edB%d", (int) getpid());

        step("setup: veth A (main ns) <-> B (peer ns)");
        ip("link", "set", "lo", "up", NULL);
        ip("link", "add", name_a, "address", "02:00:5e:10:00:0a", "type", "veth", "peer", "name", name_b, NULL);
        snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int) getpid(), ns_peer);
        ip("link", "set", name_b, "netns", path, NULL);
        ip("link", "set", name_a, "up", NULL);
        ifindex_a = (int) if_nametoindex(name_a);
        CHECK(ifindex_a > 0);

        enter(ns_peer);
        ip("link", "set", "lo", "up", NULL);
        ip("address", "add", "192.0.2.1/24", "dev", name_b, NULL);
        ip("link", "set", name_b, "up", NULL);
        ifindex_b = (int) if_nametoindex(name_b);
        CHECK(ifindex_b > 0);
        enter(ns_main);

        /* The request socket alone (infradhcpd before its first packet): requests work,
         * there is no monitor until it is opened, and it then sees what changes. */
        {
                Rtnl *r0 = NULL;
                RtnlLink l;

                CHECK_RC(rtnl_new_request(&r0), 0);
                CHECK_RC(rtnl_monitor_fd(r0), -EBADF);
                CHECK_RC(rtnl_monitor_dispatch(r0, ignore_event, NULL), -EBADF);
                CHECK_RC(rtnl_link_get_by_index(r0, ifindex_a, &l), 0);
                CHECK_RC(rtnl_monitor_open(r0), 0);
                CHECK(rtnl_monitor_fd(r0) >= 0);
                CHECK_RC(rtnl_monitor_open(r0), 0); /* again: the same socket */
                CHECK(fcntl(rtnl_monitor_fd(r0), F_GETFL) & O_NONBLOCK);
                rtnl_free(r0);
        }

        CHECK_RC(rtnl_new(&rtnl), 0);
        CHECK(rtnl_monitor_fd(rtnl) >= 0);
        CHECK(fcntl(rtnl_monitor_fd(rtnl), F_GETFL) & O_NONBLOCK);

        /* veth carrier comes up as soon as both ends are up. */
        {
                bool up = true;
                RtnlLink l;

                CHECK_RC(rtnl_link_get_by_index(rtnl, ifindex_a, &l), 0);
                if (!l.carrier)
                        CHECK(monitor_wait(rtnl, match_carrier, &up, 3000));
        }

        test_link(rtnl);
        test_addr(rtnl);
        test_promote_secondaries(rtnl);
        test_route(rtnl);
        test_carrier(rtnl);

        peer_open(&peer);
        test_raw(&peer);
        test_udp(rtnl, &peer);

        test_overrun(rtnl);

        printf("PASS\n");
        return 0;
}
