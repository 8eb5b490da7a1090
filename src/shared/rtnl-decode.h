/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to rtnl.c and its tests: decoders from one rtnetlink message to the
 * public Rtnl* types. Pure (no sockets). Each returns false, leaving *ret untouched,
 * for a malformed message or one that is not ours to report (not IPv4, bridge-port
 * link messages, route cache entries).
 * The caller guarantees nlh->nlmsg_len was checked against the datagram
 * (mnl_nlmsg_ok); everything inside the message is checked here.
 */
#pragma once

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>

#include "rtnl.h"

bool rtnl_link_decode(const struct nlmsghdr *nlh, RtnlLink *ret);   /* RTM_NEWLINK/DELLINK */
bool rtnl_addr_decode(const struct nlmsghdr *nlh, RtnlAddr *ret);   /* RTM_NEWADDR/DELADDR, AF_INET */
bool rtnl_route_decode(const struct nlmsghdr *nlh, RtnlRoute *ret); /* RTM_NEWROUTE/DELROUTE, AF_INET */
/* Any notification: link (AF_UNSPEC only), address, route (not RTM_F_CLONED). */
bool rtnl_event_decode(const struct nlmsghdr *nlh, RtnlEvent *ret);

/* The extended-ACK text (NLMSGERR_ATTR_MSG) of an NLMSG_ERROR message into buf,
 * "" when there is none or it does not fit. */
void rtnl_ack_error_message(const struct nlmsghdr *nlh, char *buf, size_t size);
