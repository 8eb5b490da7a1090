/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rtnetlink message decoders: one kernel message (already framed by mnl_nlmsg_ok)
 * into an RtnlLink/RtnlAddr/RtnlRoute/RtnlEvent. Every attribute is type- and
 * length-checked before it is read; a message that fails any check is rejected
 * whole. Pure: no sockets, no allocation. The sockets and requests are in rtnl.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>

#include "rtnl-decode.h"

/* ---- attribute helpers: every accessor validates type and length first ---- */

/* Indexes the attributes in data[0..len) by type (the last one wins; types above max,
 * i.e. from newer kernels, are ignored). Returns false if an attribute header or
 * length runs past the area or the area ends in bytes that are not an attribute. */
static bool attrs_index(const void *data, size_t len, const struct nlattr **tb, uint16_t max) {
        const struct nlattr *a = data;
        int rem;

        memset(tb, 0, sizeof(*tb) * (max + 1u));
        if (len > INT32_MAX)
                return false;
        rem = (int) len;
        while (mnl_attr_ok(a, rem)) {
                uint16_t type = mnl_attr_get_type(a);

                if (type <= max)
                        tb[type] = a;
                rem -= (int) MNL_ALIGN(a->nla_len);
                a = mnl_attr_next(a);
        }
        /* rem < 0: the last attribute lacked its alignment padding, harmless. */
        return rem <= 0;
}

/* Attributes after a fixed header of hdrlen bytes. False if the message is shorter
 * than the header or the attributes are malformed. */
static bool msg_parse_attrs(const struct nlmsghdr *nlh, size_t hdrlen, const struct nlattr **tb, uint16_t max) {
        size_t payload_len = mnl_nlmsg_get_payload_len(nlh);

        if (payload_len < MNL_ALIGN(hdrlen)) {
                memset(tb, 0, sizeof(*tb) * (max + 1u));
                return false;
        }
        return attrs_index(mnl_nlmsg_get_payload_offset(nlh, hdrlen), payload_len - MNL_ALIGN(hdrlen), tb, max);
}

static bool nested_parse_attrs(const struct nlattr *nest, const struct nlattr **tb, uint16_t max) {
        if (mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0) {
                memset(tb, 0, sizeof(*tb) * (max + 1u));
                return false;
        }
        return attrs_index(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), tb, max);
}

static bool attr_get_u32(const struct nlattr *a, uint32_t *ret) {
        if (!a || mnl_attr_validate(a, MNL_TYPE_U32) < 0)
                return false;
        *ret = mnl_attr_get_u32(a);
        return true;
}

static bool attr_get_u16(const struct nlattr *a, uint16_t *ret) {
        if (!a || mnl_attr_validate(a, MNL_TYPE_U16) < 0)
                return false;
        *ret = mnl_attr_get_u16(a);
        return true;
}

static bool attr_get_u8(const struct nlattr *a, uint8_t *ret) {
        if (!a || mnl_attr_validate(a, MNL_TYPE_U8) < 0)
                return false;
        *ret = mnl_attr_get_u8(a);
        return true;
}

static bool attr_get_in_addr(const struct nlattr *a, struct in_addr *ret) {
        if (!a || mnl_attr_get_payload_len(a) != sizeof(struct in_addr))
                return false;
        memcpy(ret, mnl_attr_get_payload(a), sizeof(struct in_addr));
        return true;
}

/* Copies a NUL-terminated string attribute that must fit in size bytes. */
static bool attr_get_string(const struct nlattr *a, char *ret, size_t size) {
        size_t n;

        if (!a || mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
                return false;
        n = strnlen(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));
        if (n >= size)
                return false;
        memcpy(ret, mnl_attr_get_payload(a), n);
        ret[n] = '\0';
        return true;
}

/* ---- message decoders (shared by requests and the monitor) ---- */

bool rtnl_link_decode(const struct nlmsghdr *nlh, RtnlLink *ret) {
        const struct nlattr *tb[IFLA_MAX + 1];
        const struct ifinfomsg *ifi;
        RtnlLink l = {};

        if (!msg_parse_attrs(nlh, sizeof(struct ifinfomsg), tb, IFLA_MAX))
                return false;
        ifi = mnl_nlmsg_get_payload(nlh);
        if (ifi->ifi_index <= 0)
                return false;

        l.ifindex = ifi->ifi_index;
        l.flags = ifi->ifi_flags;
        l.carrier = (l.flags & IFF_UP) && (l.flags & IFF_LOWER_UP);

        if (!attr_get_string(tb[IFLA_IFNAME], l.name, sizeof(l.name)))
                return false; /* every link has a name; anything else is malformed */
        if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == sizeof(l.mac)) {
                memcpy(l.mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), sizeof(l.mac));
                l.has_mac = true;
        }
        if (tb[IFLA_MTU] && !attr_get_u32(tb[IFLA_MTU], &l.mtu))
                return false;
        if (tb[IFLA_MIN_MTU] && !attr_get_u32(tb[IFLA_MIN_MTU], &l.min_mtu))
                return false;
        if (tb[IFLA_MAX_MTU] && !attr_get_u32(tb[IFLA_MAX_MTU], &l.max_mtu))
                return false;
        if (tb[IFLA_OPERSTATE] && !attr_get_u8(tb[IFLA_OPERSTATE], &l.operstate))
                return false;
        if (tb[IFLA_LINK]) {
                uint32_t parent;

                if (!attr_get_u32(tb[IFLA_LINK], &parent) || parent > INT32_MAX)
                        return false;
                l.parent_ifindex = (int) parent;
        }

        if (tb[IFLA_EVENT] && !attr_get_u32(tb[IFLA_EVENT], &l.event))
                return false;

        /* The kernel sends IPv4's devconf as a flat array of u32, IPV4_DEVCONF_x at index
         * x - 1 (inet_fill_link_af()). Anything else there is not ours to judge: unknown. */
        l.promote_secondaries = -1;
        if (tb[IFLA_AF_SPEC]) {
                const struct nlattr *af[AF_INET + 1], *inet[IFLA_INET_MAX + 1];

                if (nested_parse_attrs(tb[IFLA_AF_SPEC], af, AF_INET) && af[AF_INET] &&
                    nested_parse_attrs(af[AF_INET], inet, IFLA_INET_MAX) && inet[IFLA_INET_CONF] &&
                    mnl_attr_get_payload_len(inet[IFLA_INET_CONF]) >= IPV4_DEVCONF_PROMOTE_SECONDARIES * 4) {
                        uint32_t v;

                        memcpy(&v, (const uint8_t *) mnl_attr_get_payload(inet[IFLA_INET_CONF]) +
                                           (IPV4_DEVCONF_PROMOTE_SECONDARIES - 1) * 4,
                               sizeof(v));
                        l.promote_secondaries = v != 0;
                }
        }

        if (tb[IFLA_LINKINFO]) {
                const struct nlattr *info[IFLA_INFO_MAX + 1];

                if (!nested_parse_attrs(tb[IFLA_LINKINFO], info, IFLA_INFO_MAX))
                        return false;
                /* An over-long kind is not ours to judge; we only need to recognise "vlan". */
                if (info[IFLA_INFO_KIND] && !attr_get_string(info[IFLA_INFO_KIND], l.kind, sizeof(l.kind)))
                        l.kind[0] = '\0';
                if (strcmp(l.kind, "vlan") == 0 && info[IFLA_INFO_DATA]) {
                        const struct nlattr *vlan[IFLA_VLAN_MAX + 1];

                        if (!nested_parse_attrs(info[IFLA_INFO_DATA], vlan, IFLA_VLAN_MAX))
                                return false;
                        if (vlan[IFLA_VLAN_ID] && !attr_get_u16(vlan[IFLA_VLAN_ID], &l.vlan_id))
                                return false;
                        if (l.vlan_id > 4095) /* 12-bit field (IEEE 802.1Q) */
                                return false;
                }
        }

        *ret = l;
        return true;
}

bool rtnl_addr_decode(const struct nlmsghdr *nlh, RtnlAddr *ret) {
        const struct nlattr *tb[IFA_MAX + 1];
        const struct ifaddrmsg *ifa;
        RtnlAddr a = {
                .valid_sec = RTNL_LIFETIME_INFINITY,
                .preferred_sec = RTNL_LIFETIME_INFINITY,
        };

        if (!msg_parse_attrs(nlh, sizeof(struct ifaddrmsg), tb, IFA_MAX))
                return false;
        ifa = mnl_nlmsg_get_payload(nlh);
        if (ifa->ifa_family != AF_INET || ifa->ifa_prefixlen > 32 || ifa->ifa_index == 0 ||
            ifa->ifa_index > INT32_MAX)
                return false;

        a.ifindex = (int) ifa->ifa_index;
        a.prefixlen = ifa->ifa_prefixlen;
        a.scope = ifa->ifa_scope;
        a.flags = ifa->ifa_flags;

        /* IFA_LOCAL is the address; IFA_ADDRESS is the peer on point-to-point links. */
        if (tb[IFA_LOCAL]) {
                if (!attr_get_in_addr(tb[IFA_LOCAL], &a.address))
                        return false;
        } else if (!attr_get_in_addr(tb[IFA_ADDRESS], &a.address))
                return false;
        if (tb[IFA_BROADCAST] && !attr_get_in_addr(tb[IFA_BROADCAST], &a.broadcast))
                return false;
        if (tb[IFA_FLAGS] && !attr_get_u32(tb[IFA_FLAGS], &a.flags))
                return false;
        if (tb[IFA_CACHEINFO]) {
                struct ifa_cacheinfo ci;

                if (mnl_attr_validate2(tb[IFA_CACHEINFO], MNL_TYPE_UNSPEC, sizeof(ci)) < 0)
                        return false;
                memcpy(&ci, mnl_attr_get_payload(tb[IFA_CACHEINFO]), sizeof(ci));
                a.valid_sec = ci.ifa_valid;
                a.preferred_sec = ci.ifa_prefered;
        }

        *ret = a;
        return true;
}

bool rtnl_route_decode(const struct nlmsghdr *nlh, RtnlRoute *ret) {
        const struct nlattr *tb[RTA_MAX + 1];
        const struct rtmsg *rtm;
        RtnlRoute r = {};

        if (!msg_parse_attrs(nlh, sizeof(struct rtmsg), tb, RTA_MAX))
                return false;
        rtm = mnl_nlmsg_get_payload(nlh);
        if (rtm->rtm_family != AF_INET || rtm->rtm_dst_len > 32)
                return false;

        r.dst_len = rtm->rtm_dst_len;
        r.scope = rtm->rtm_scope;
        r.protocol = rtm->rtm_protocol;
        r.type = rtm->rtm_type;
        r.table = rtm->rtm_table;

        if (tb[RTA_DST] && !attr_get_in_addr(tb[RTA_DST], &r.dst))
                return false;
        if (tb[RTA_GATEWAY] && !attr_get_in_addr(tb[RTA_GATEWAY], &r.gateway))
                return false;
        if (tb[RTA_PREFSRC] && !attr_get_in_addr(tb[RTA_PREFSRC], &r.prefsrc))
                return false;
        if (tb[RTA_PRIORITY] && !attr_get_u32(tb[RTA_PRIORITY], &r.metric))
                return false;
        /* RTA_TABLE carries ids >= 256 that do not fit rtm_table. */
        if (tb[RTA_TABLE] && !attr_get_u32(tb[RTA_TABLE], &r.table))
                return false;
        if (tb[RTA_OIF]) {
                uint32_t oif;

                if (!attr_get_u32(tb[RTA_OIF], &oif) || oif > INT32_MAX)
                        return false;
                r.ifindex = (int) oif;
        }

        *ret = r;
        return true;
}


/* Decodes one notification. Returns false for messages we do not report (other
 * families, bridge-port link messages, route cache entries) and malformed ones. */
bool rtnl_event_decode(const struct nlmsghdr *nlh, RtnlEvent *ret) {
        RtnlEvent ev = {};

        switch (nlh->nlmsg_type) {
        case RTM_NEWLINK:
        case RTM_DELLINK: {
                const struct ifinfomsg *ifi;

                if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
                        return false;
                ifi = mnl_nlmsg_get_payload(nlh);
                /* AF_BRIDGE messages describe bridge-port state, and a bridge-port
                 * RTM_DELLINK does not mean the link is gone. */
                if (ifi->ifi_family != AF_UNSPEC)
                        return false;
                ev.type = nlh->nlmsg_type == RTM_NEWLINK ? RTNL_EVENT_NEWLINK : RTNL_EVENT_DELLINK;
                if (!rtnl_link_decode(nlh, &ev.link))
                        return false;
                break;
        }
        case RTM_NEWADDR:
        case RTM_DELADDR:
                ev.type = nlh->nlmsg_type == RTM_NEWADDR ? RTNL_EVENT_NEWADDR : RTNL_EVENT_DELADDR;
                if (!rtnl_addr_decode(nlh, &ev.addr))
                        return false;
                break;
        case RTM_NEWROUTE:
        case RTM_DELROUTE: {
                const struct rtmsg *rtm;

                if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
                        return false;
                rtm = mnl_nlmsg_get_payload(nlh);
                /* Route-cache/exception entries are not routes anyone configured. */
                if (rtm->rtm_flags & RTM_F_CLONED)
                        return false;
                ev.type = nlh->nlmsg_type == RTM_NEWROUTE ? RTNL_EVENT_NEWROUTE : RTNL_EVENT_DELROUTE;
                if (!rtnl_route_decode(nlh, &ev.route))
                        return false;
                break;
        }
        default:
                return false;
        }

        /* The port of the socket whose request caused the change (0: the kernel itself,
         * e.g. an expired lifetime or a link going down). */
        ev.portid = nlh->nlmsg_pid;
        *ret = ev;
        return true;
}

void rtnl_ack_error_message(const struct nlmsghdr *nlh, char *buf, size_t size) {
        const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
        const struct nlmsgerr *err;
        size_t offset = sizeof(struct nlmsgerr);

        if (size == 0)
                return;
        buf[0] = '\0';
        if (nlh->nlmsg_type != NLMSG_ERROR || mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nlmsgerr))
                return;
        err = mnl_nlmsg_get_payload(nlh);
        if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
                return;
        if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
                /* The original request follows; skip its payload. */
                if (err->msg.nlmsg_len < NLMSG_HDRLEN)
                        return;
                offset += NLMSG_ALIGN(err->msg.nlmsg_len - NLMSG_HDRLEN);
        }
        if (offset > mnl_nlmsg_get_payload_len(nlh))
                return;
        if (!msg_parse_attrs(nlh, offset, tb, NLMSGERR_ATTR_MAX))
                return;
        if (!attr_get_string(tb[NLMSGERR_ATTR_MSG], buf, size))
                buf[0] = '\0';
}
