/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the rtnetlink decoders (rtnl-decode): well-formed link, address and
 * route messages decode to the expected fields, and each malformed class (short
 * header, attribute overrunning the message, wrong attribute size, missing NUL,
 * trailing junk, out-of-range values, wrong family) is rejected. Messages are built
 * here with libmnl and then corrupted by hand; no sockets. The real kernel is
 * exercised by tests/integration/rtnl-smoke.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>

#include "rtnl-decode.h"

typedef struct Msg {
        /* uint32_t-aligned, as netlink buffers are */
        uint32_t buf[1024];
} Msg;

static struct in_addr A(const char *s) {
        struct in_addr a;
        assert_int_equal(inet_pton(AF_INET, s, &a), 1);
        return a;
}

static struct nlmsghdr *msg_start(Msg *m, uint16_t type, size_t hdrlen, void **ret_hdr) {
        struct nlmsghdr *nlh;

        memset(m, 0, sizeof(*m));
        nlh = mnl_nlmsg_put_header(m->buf);
        nlh->nlmsg_type = type;
        *ret_hdr = mnl_nlmsg_put_extra_header(nlh, hdrlen);
        return nlh;
}

/* ---- links ---- */

static const uint8_t MAC[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };

static struct nlmsghdr *link_msg(Msg *m, uint16_t type, unsigned flags) {
        struct ifinfomsg *ifi;
        struct nlmsghdr *nlh = msg_start(m, type, sizeof(*ifi), (void **) &ifi);

        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = 7;
        ifi->ifi_flags = flags;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, "ens192.4093");
        mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(MAC), MAC);
        mnl_attr_put_u32(nlh, IFLA_MTU, 9000);
        mnl_attr_put_u8(nlh, IFLA_OPERSTATE, 6 /* IF_OPER_UP */);
        mnl_attr_put_u32(nlh, IFLA_LINK, 3);
        return nlh;
}

static void put_vlan_info(struct nlmsghdr *nlh, const char *kind, const void *id, size_t id_len) {
        struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO), *data;

        mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
        data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
        mnl_attr_put(nlh, IFLA_VLAN_ID, id_len, id);
        mnl_attr_nest_end(nlh, data);
        mnl_attr_nest_end(nlh, info);
}

static void test_link_ok(void **state) {
        unsigned up = IFF_UP | IFF_RUNNING | IFF_LOWER_UP;
        uint16_t id = 4093;
        struct nlmsghdr *nlh;
        RtnlLink l;
        Msg m;

        nlh = link_msg(&m, RTM_NEWLINK, up);
        put_vlan_info(nlh, "vlan", &id, sizeof(id));
        assert_true(rtnl_link_decode(nlh, &l));
        assert_int_equal(l.ifindex, 7);
        assert_string_equal(l.name, "ens192.4093");
        assert_true(l.has_mac);
        assert_memory_equal(l.mac, MAC, 6);
        assert_int_equal(l.mtu, 9000);
        assert_int_equal(l.operstate, 6);
        assert_int_equal(l.parent_ifindex, 3);
        assert_true(l.carrier);
        assert_string_equal(l.kind, "vlan");
        assert_int_equal(l.vlan_id, 4093);

        /* Up without lower-layer carrier, and lower-up while admin down (not possible
         * from the kernel, but the rule is both). */
        assert_true(rtnl_link_decode(link_msg(&m, RTM_NEWLINK, IFF_UP), &l));
        assert_false(l.carrier);
        assert_true(rtnl_link_decode(link_msg(&m, RTM_NEWLINK, IFF_LOWER_UP), &l));
        assert_false(l.carrier);
        assert_string_equal(l.kind, "");
        assert_int_equal(l.vlan_id, 0);

        /* A non-VLAN kind's IFLA_INFO_DATA is not read as a VLAN id. */
        nlh = link_msg(&m, RTM_NEWLINK, up);
        put_vlan_info(nlh, "veth", &id, sizeof(id));
        assert_true(rtnl_link_decode(nlh, &l));
        assert_string_equal(l.kind, "veth");
        assert_int_equal(l.vlan_id, 0);
}

/* IFLA_AF_SPEC as inet_fill_link_af() fills it: AF_INET/IFLA_INET_CONF, a flat array
 * of IPV4_DEVCONF_MAX u32, IPV4_DEVCONF_x at index x - 1. */
static void put_inet_conf(struct nlmsghdr *nlh, size_t n, uint32_t promote) {
        struct nlattr *spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC), *inet;
        uint32_t conf[IPV4_DEVCONF_MAX] = {};

        conf[IPV4_DEVCONF_PROMOTE_SECONDARIES - 1] = promote;
        conf[IPV4_DEVCONF_FORWARDING - 1] = 1;
        inet = mnl_attr_nest_start(nlh, AF_INET);
        mnl_attr_put(nlh, IFLA_INET_CONF, n * sizeof(uint32_t), conf);
        mnl_attr_nest_end(nlh, inet);
        mnl_attr_nest_end(nlh, spec);
}

static void test_link_inet_conf(void **state) {
        unsigned up = IFF_UP | IFF_RUNNING | IFF_LOWER_UP;
        struct nlmsghdr *nlh;
        RtnlLink l;
        Msg m;

        assert_true(rtnl_link_decode(link_msg(&m, RTM_NEWLINK, up), &l));
        assert_int_equal(l.promote_secondaries, -1); /* no IPv4 configuration sent */

        nlh = link_msg(&m, RTM_NEWLINK, up);
        put_inet_conf(nlh, IPV4_DEVCONF_MAX, 1);
        assert_true(rtnl_link_decode(nlh, &l));
        assert_int_equal(l.promote_secondaries, 1);

        nlh = link_msg(&m, RTM_NEWLINK, up);
        put_inet_conf(nlh, IPV4_DEVCONF_MAX, 0);
        assert_true(rtnl_link_decode(nlh, &l));
        assert_int_equal(l.promote_secondaries, 0);

        /* An array too short to hold the value: unknown, the link itself still decodes. */
        nlh = link_msg(&m, RTM_NEWLINK, up);
        put_inet_conf(nlh, IPV4_DEVCONF_PROMOTE_SECONDARIES - 1, 1);
        assert_true(rtnl_link_decode(nlh, &l));
        assert_int_equal(l.promote_secondaries, -1);
        assert_string_equal(l.name, "ens192.4093");

        /* IFLA_AF_SPEC that is no nest: unknown, not a malformed link. */
        nlh = link_msg(&m, RTM_NEWLINK, up);
        mnl_attr_put_u32(nlh, IFLA_AF_SPEC, 1);
        assert_true(rtnl_link_decode(nlh, &l));
        assert_int_equal(l.promote_secondaries, -1);
}

/* RTM_NEWLINK as rtnetlink_event() sends it for NETDEV_NOTIFY_PEERS: the link's
 * attributes plus IFLA_EVENT = IFLA_EVENT_NOTIFY_PEERS (u32). VLAN and bond links
 * cannot be created on the test machines, so this is how the hint is tested. */
static void test_link_event(void **state) {
        unsigned up = IFF_UP | IFF_RUNNING | IFF_LOWER_UP;
        struct nlmsghdr *nlh;
        RtnlEvent ev;
        RtnlLink l;
        Msg m;

        assert_true(rtnl_link_decode(link_msg(&m, RTM_NEWLINK, up), &l));
        assert_int_equal(l.event, 0);

        nlh = link_msg(&m, RTM_NEWLINK, up);
        mnl_attr_put_u32(nlh, IFLA_EVENT, IFLA_EVENT_NOTIFY_PEERS);
        assert_true(rtnl_link_decode(nlh, &l));
        assert_int_equal(l.event, IFLA_EVENT_NOTIFY_PEERS);
        assert_true(l.carrier);
        assert_true(rtnl_event_decode(nlh, &ev));
        assert_int_equal(ev.type, RTNL_EVENT_NEWLINK);
        assert_int_equal(ev.link.event, IFLA_EVENT_NOTIFY_PEERS);

        nlh = link_msg(&m, RTM_NEWLINK, up);
        mnl_attr_put_u32(nlh, IFLA_EVENT, IFLA_EVENT_BONDING_FAILOVER);
        assert_true(rtnl_link_decode(nlh, &l));
        assert_int_equal(l.event, IFLA_EVENT_BONDING_FAILOVER);

        /* A wrong length is malformed: the message is rejected whole. */
        nlh = link_msg(&m, RTM_NEWLINK, up);
        mnl_attr_put_u16(nlh, IFLA_EVENT, IFLA_EVENT_NOTIFY_PEERS);
        assert_false(rtnl_link_decode(nlh, &l));
}

static void test_link_unusual_but_valid(void **state) {
        uint8_t ib_addr[20] = { 0 };
        struct nlmsghdr *nlh;
        RtnlLink l;
        Msg m;

        /* 20-byte hardware address (InfiniBand): no MAC, not an error. */
        nlh = link_msg(&m, RTM_NEWLINK, IFF_UP);
        mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(ib_addr), ib_addr); /* last one wins */
        assert_true(rtnl_link_decode(nlh, &l));
        assert_false(l.has_mac);

        /* Attribute types from a newer kernel are ignored. */
        nlh = link_msg(&m, RTM_NEWLINK, IFF_UP);
        mnl_attr_put_u32(nlh, 0x3fff, 1);
        assert_true(rtnl_link_decode(nlh, &l));
        assert_string_equal(l.name, "ens192.4093");
}

static void test_link_malformed(void **state) {
        uint32_t id32 = 5;
        uint16_t id = 5000;
        struct nlmsghdr *nlh;
        struct nlattr *last;
        RtnlLink l, untouched;
        struct ifinfomsg *ifi;
        Msg m;

        memset(&untouched, 0xa5, sizeof(untouched));
        l = untouched;

        /* Payload shorter than struct ifinfomsg. */
        nlh = link_msg(&m, RTM_NEWLINK, IFF_UP);
        nlh->nlmsg_len = MNL_NLMSG_HDRLEN + sizeof(struct ifinfomsg) - 4;
        assert_false(rtnl_link_decode(nlh, &l));
        assert_memory_equal(&l, &untouched, sizeof(l)); /* ret untouched on failure */

        /* No name. */
        nlh = msg_start(&m, RTM_NEWLINK, sizeof(*ifi), (void **) &ifi);
        ifi->ifi_index = 7;
        mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
        assert_false(rtnl_link_decode(nlh, &l));

        /* Name without NUL. */
        nlh = msg_start(&m, RTM_NEWLINK, sizeof(*ifi), (void **) &ifi);
        ifi->ifi_index = 7;
        mnl_attr_put(nlh, IFLA_IFNAME, 4, "eth0");
        assert_false(rtnl_link_decode(nlh, &l));

        /* Name longer than IF_NAMESIZE - 1. */
        nlh = msg_start(&m, RTM_NEWLINK, sizeof(*ifi), (void **) &ifi);
        ifi->ifi_index = 7;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, "abcdefghijklmnop");
        assert_false(rtnl_link_decode(nlh, &l));

        /* Invalid ifindex. */
        nlh = link_msg(&m, RTM_NEWLINK, IFF_UP);
        ((struct ifinfomsg *) mnl_nlmsg_get_payload(nlh))->ifi_index = 0;
        assert_false(rtnl_link_decode(nlh, &l));

        /* MTU of the wrong size. */
        nlh = link_msg(&m, RTM_NEWLINK, IFF_UP);
        mnl_attr_put_u16(nlh, IFLA_MTU, 1500);
        assert_false(rtnl_link_decode(nlh, &l));

        /* Last attribute claims more bytes than the message has. */
        nlh = link_msg(&m, RTM_NEWLINK, IFF_UP);
        last = mnl_nlmsg_get_payload_tail(nlh);
        mnl_attr_put_u32(nlh, IFLA_TXQLEN, 1000);
        last->nla_len = 64;
        assert_false(rtnl_link_decode(nlh, &l));

        /* Trailing bytes that are not an attribute. */
        nlh = link_msg(&m, RTM_NEWLINK, IFF_UP);
        nlh->nlmsg_len += 4;
        assert_false(rtnl_link_decode(nlh, &l));

        /* VLAN id out of the 12-bit range, and of the wrong size. */
        nlh = link_msg(&m, RTM_NEWLINK, IFF_UP);
        put_vlan_info(nlh, "vlan", &id, sizeof(id));
        assert_false(rtnl_link_decode(nlh, &l));
        nlh = link_msg(&m, RTM_NEWLINK, IFF_UP);
        put_vlan_info(nlh, "vlan", &id32, sizeof(id32));
        assert_false(rtnl_link_decode(nlh, &l));

        /* IFLA_LINKINFO whose inner attribute overruns the nest. */
        nlh = link_msg(&m, RTM_NEWLINK, IFF_UP);
        {
                struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
                struct nlattr *kind = mnl_nlmsg_get_payload_tail(nlh);

                mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "vlan");
                mnl_attr_nest_end(nlh, info);
                kind->nla_len = 40;
        }
        assert_false(rtnl_link_decode(nlh, &l));

        assert_memory_equal(&l, &untouched, sizeof(l));
}

/* ---- addresses ---- */

static struct nlmsghdr *addr_msg(Msg *m, int family, uint8_t prefixlen) {
        struct ifa_cacheinfo ci = { .ifa_prefered = 100, .ifa_valid = 200 };
        struct in_addr local = A("10.0.0.5"), peer = A("10.0.0.6"), brd = A("10.0.0.255");
        struct ifaddrmsg *ifa;
        struct nlmsghdr *nlh = msg_start(m, RTM_NEWADDR, sizeof(*ifa), (void **) &ifa);

        ifa->ifa_family = (uint8_t) family;
        ifa->ifa_prefixlen = prefixlen;
        ifa->ifa_index = 7;
        ifa->ifa_flags = IFA_F_SECONDARY;
        mnl_attr_put(nlh, IFA_ADDRESS, 4, &peer);
        mnl_attr_put(nlh, IFA_LOCAL, 4, &local);
        mnl_attr_put(nlh, IFA_BROADCAST, 4, &brd);
        mnl_attr_put(nlh, IFA_CACHEINFO, sizeof(ci), &ci);
        return nlh;
}

static void test_addr_ok(void **state) {
        struct nlmsghdr *nlh;
        struct ifaddrmsg *ifa;
        struct in_addr a = A("192.0.2.9");
        RtnlAddr r;
        Msg m;

        nlh = addr_msg(&m, AF_INET, 24);
        mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_SECONDARY | IFA_F_NOPREFIXROUTE);
        assert_true(rtnl_addr_decode(nlh, &r));
        assert_int_equal(r.ifindex, 7);
        assert_int_equal(r.address.s_addr, A("10.0.0.5").s_addr); /* IFA_LOCAL, not the peer */
        assert_int_equal(r.prefixlen, 24);
        assert_int_equal(r.broadcast.s_addr, A("10.0.0.255").s_addr);
        assert_int_equal(r.valid_sec, 200);
        assert_int_equal(r.preferred_sec, 100);
        assert_int_equal(r.flags, IFA_F_SECONDARY | IFA_F_NOPREFIXROUTE); /* IFA_FLAGS wins */

        /* Only IFA_ADDRESS, no cacheinfo: permanent. */
        nlh = msg_start(&m, RTM_NEWADDR, sizeof(*ifa), (void **) &ifa);
        ifa->ifa_family = AF_INET;
        ifa->ifa_prefixlen = 32;
        ifa->ifa_index = 2;
        mnl_attr_put(nlh, IFA_ADDRESS, 4, &a);
        assert_true(rtnl_addr_decode(nlh, &r));
        assert_int_equal(r.address.s_addr, a.s_addr);
        assert_int_equal(r.valid_sec, RTNL_LIFETIME_INFINITY);
        assert_int_equal(r.broadcast.s_addr, 0);
}

static void test_addr_malformed(void **state) {
        struct ifa_cacheinfo ci = {};
        uint8_t v6[16] = { 0 };
        struct nlmsghdr *nlh;
        struct ifaddrmsg *ifa;
        RtnlAddr r;
        Msg m;

        assert_false(rtnl_addr_decode(addr_msg(&m, AF_INET6, 64), &r));
        assert_false(rtnl_addr_decode(addr_msg(&m, AF_INET, 33), &r));

        /* IFA_LOCAL present but not 4 bytes: rejected, not silently replaced by IFA_ADDRESS. */
        nlh = addr_msg(&m, AF_INET, 24);
        mnl_attr_put(nlh, IFA_LOCAL, sizeof(v6), v6);
        assert_false(rtnl_addr_decode(nlh, &r));

        nlh = addr_msg(&m, AF_INET, 24);
        mnl_attr_put(nlh, IFA_CACHEINFO, sizeof(ci) - 4, &ci);
        assert_false(rtnl_addr_decode(nlh, &r));

        nlh = addr_msg(&m, AF_INET, 24);
        mnl_attr_put_u16(nlh, IFA_FLAGS, 1);
        assert_false(rtnl_addr_decode(nlh, &r));

        /* No address at all. */
        nlh = msg_start(&m, RTM_NEWADDR, sizeof(*ifa), (void **) &ifa);
        ifa->ifa_family = AF_INET;
        ifa->ifa_index = 2;
        assert_false(rtnl_addr_decode(nlh, &r));

        /* ifindex 0. */
        nlh = addr_msg(&m, AF_INET, 24);
        ((struct ifaddrmsg *) mnl_nlmsg_get_payload(nlh))->ifa_index = 0;
        assert_false(rtnl_addr_decode(nlh, &r));

        /* Header cut short. */
        nlh = addr_msg(&m, AF_INET, 24);
        nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 4;
        assert_false(rtnl_addr_decode(nlh, &r));
}

/* ---- routes ---- */

static struct nlmsghdr *route_msg(Msg *m, uint16_t type, uint8_t dst_len) {
        struct in_addr dst = A("224.0.0.0"), gw = A("10.0.0.1");
        struct rtmsg *rtm;
        struct nlmsghdr *nlh = msg_start(m, type, sizeof(*rtm), (void **) &rtm);

        rtm->rtm_family = AF_INET;
        rtm->rtm_dst_len = dst_len;
        rtm->rtm_table = RT_TABLE_MAIN;
        rtm->rtm_protocol = RTPROT_STATIC;
        rtm->rtm_scope = RT_SCOPE_LINK;
        rtm->rtm_type = RTN_UNICAST;
        mnl_attr_put(nlh, RTA_DST, 4, &dst);
        mnl_attr_put(nlh, RTA_GATEWAY, 4, &gw);
        mnl_attr_put_u32(nlh, RTA_OIF, 7);
        mnl_attr_put_u32(nlh, RTA_PRIORITY, 401);
        return nlh;
}

static void test_route_ok(void **state) {
        struct nlmsghdr *nlh;
        RtnlRoute r;
        Msg m;

        assert_true(rtnl_route_decode(route_msg(&m, RTM_NEWROUTE, 4), &r));
        assert_int_equal(r.dst.s_addr, A("224.0.0.0").s_addr);
        assert_int_equal(r.dst_len, 4);
        assert_int_equal(r.gateway.s_addr, A("10.0.0.1").s_addr);
        assert_int_equal(r.ifindex, 7);
        assert_int_equal(r.metric, 401);
        assert_int_equal(r.table, RT_TABLE_MAIN);
        assert_int_equal(r.scope, RT_SCOPE_LINK);
        assert_int_equal(r.protocol, RTPROT_STATIC);
        assert_int_equal(r.type, RTN_UNICAST);

        /* RTA_TABLE carries ids that do not fit rtm_table. */
        nlh = route_msg(&m, RTM_NEWROUTE, 4);
        mnl_attr_put_u32(nlh, RTA_TABLE, 1000);
        assert_true(rtnl_route_decode(nlh, &r));
        assert_int_equal(r.table, 1000);
}

static void test_route_malformed(void **state) {
        uint8_t v6[16] = { 0 };
        struct nlmsghdr *nlh;
        RtnlRoute r;
        Msg m;

        assert_false(rtnl_route_decode(route_msg(&m, RTM_NEWROUTE, 33), &r));

        nlh = route_msg(&m, RTM_NEWROUTE, 4);
        ((struct rtmsg *) mnl_nlmsg_get_payload(nlh))->rtm_family = AF_INET6;
        assert_false(rtnl_route_decode(nlh, &r));

        nlh = route_msg(&m, RTM_NEWROUTE, 4);
        mnl_attr_put(nlh, RTA_DST, sizeof(v6), v6);
        assert_false(rtnl_route_decode(nlh, &r));

        nlh = route_msg(&m, RTM_NEWROUTE, 4);
        mnl_attr_put_u16(nlh, RTA_OIF, 7);
        assert_false(rtnl_route_decode(nlh, &r));

        nlh = route_msg(&m, RTM_NEWROUTE, 4);
        mnl_attr_put_u32(nlh, RTA_OIF, 0x80000000u);
        assert_false(rtnl_route_decode(nlh, &r));

        nlh = route_msg(&m, RTM_NEWROUTE, 4);
        mnl_attr_put_u64(nlh, RTA_PRIORITY, 401);
        assert_false(rtnl_route_decode(nlh, &r));
}

/* ---- events ---- */

static void test_event(void **state) {
        struct nlmsghdr *nlh;
        RtnlEvent ev, untouched;
        Msg m;

        assert_true(rtnl_event_decode(link_msg(&m, RTM_DELLINK, 0), &ev));
        assert_int_equal(ev.type, RTNL_EVENT_DELLINK);
        assert_int_equal(ev.link.ifindex, 7);

        assert_true(rtnl_event_decode(route_msg(&m, RTM_DELROUTE, 4), &ev));
        assert_int_equal(ev.type, RTNL_EVENT_DELROUTE);
        assert_int_equal(ev.route.metric, 401);

        nlh = addr_msg(&m, AF_INET, 24);
        nlh->nlmsg_type = RTM_DELADDR;
        assert_true(rtnl_event_decode(nlh, &ev));
        assert_int_equal(ev.type, RTNL_EVENT_DELADDR);
        assert_int_equal(ev.addr.prefixlen, 24);

        memset(&untouched, 0x5a, sizeof(untouched));
        ev = untouched;

        /* Bridge-port messages are not link lifecycle events. */
        nlh = link_msg(&m, RTM_DELLINK, 0);
        ((struct ifinfomsg *) mnl_nlmsg_get_payload(nlh))->ifi_family = AF_BRIDGE;
        assert_false(rtnl_event_decode(nlh, &ev));

        /* Route cache entries are skipped. */
        nlh = route_msg(&m, RTM_NEWROUTE, 32);
        ((struct rtmsg *) mnl_nlmsg_get_payload(nlh))->rtm_flags |= RTM_F_CLONED;
        assert_false(rtnl_event_decode(nlh, &ev));

        /* IPv6 address, other message types, truncated headers. */
        assert_false(rtnl_event_decode(addr_msg(&m, AF_INET6, 64), &ev));
        nlh = link_msg(&m, RTM_NEWLINK, 0);
        nlh->nlmsg_type = RTM_NEWNEIGH;
        assert_false(rtnl_event_decode(nlh, &ev));
        nlh = route_msg(&m, RTM_NEWROUTE, 4);
        nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 2;
        assert_false(rtnl_event_decode(nlh, &ev));
        nlh = link_msg(&m, RTM_NEWLINK, 0);
        nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 2;
        assert_false(rtnl_event_decode(nlh, &ev));

        assert_memory_equal(&ev, &untouched, sizeof(ev));
}

/* ---- extended ACK ---- */

static struct nlmsghdr *error_msg(Msg *m, uint16_t flags, size_t echoed_payload) {
        struct nlmsgerr *e;
        struct nlmsghdr *nlh = msg_start(m, NLMSG_ERROR, sizeof(*e), (void **) &e);

        nlh->nlmsg_flags = flags;
        e->error = -EINVAL;
        e->msg.nlmsg_len = (uint32_t) (MNL_NLMSG_HDRLEN + echoed_payload);
        /* Without NLM_F_CAPPED the original request's payload follows. */
        nlh->nlmsg_len += MNL_ALIGN(echoed_payload);
        return nlh;
}

static void test_ack_message(void **state) {
        struct nlmsghdr *nlh;
        char buf[32];
        Msg m;

        nlh = error_msg(&m, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
        mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "Invalid prefix");
        rtnl_ack_error_message(nlh, buf, sizeof(buf));
        assert_string_equal(buf, "Invalid prefix");

        nlh = error_msg(&m, NLM_F_ACK_TLVS, 12);
        mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "echoed");
        rtnl_ack_error_message(nlh, buf, sizeof(buf));
        assert_string_equal(buf, "echoed");

        /* No TLVs flag; echoed length pointing past the message; message too long. */
        nlh = error_msg(&m, NLM_F_CAPPED, 0);
        mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "ignored");
        rtnl_ack_error_message(nlh, buf, sizeof(buf));
        assert_string_equal(buf, "");

        nlh = error_msg(&m, NLM_F_ACK_TLVS, 12);
        ((struct nlmsgerr *) mnl_nlmsg_get_payload(nlh))->msg.nlmsg_len = 4000;
        rtnl_ack_error_message(nlh, buf, sizeof(buf));
        assert_string_equal(buf, "");

        nlh = error_msg(&m, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
        mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "a message longer than thirty-two bytes");
        rtnl_ack_error_message(nlh, buf, sizeof(buf));
        assert_string_equal(buf, "");

        nlh = error_msg(&m, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
        nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 8; /* shorter than struct nlmsgerr */
        rtnl_ack_error_message(nlh, buf, sizeof(buf));
        assert_string_equal(buf, "");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_link_ok),
                cmocka_unit_test(test_link_inet_conf),
                cmocka_unit_test(test_link_event),
                cmocka_unit_test(test_link_unusual_but_valid),
                cmocka_unit_test(test_link_malformed),
                cmocka_unit_test(test_addr_ok),
                cmocka_unit_test(test_addr_malformed),
                cmocka_unit_test(test_route_ok),
                cmocka_unit_test(test_route_malformed),
                cmocka_unit_test(test_event),
                cmocka_unit_test(test_ack_message),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
