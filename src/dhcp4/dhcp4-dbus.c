/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * io.infradhcp.Link1 on the system bus (sd-bus): the status of one infradhcpd as
 * properties, PropertiesChanged when they change, and Release/Renew/Rebind for root.
 * Everything is read from the public dhcp4-client API when asked; the object keeps
 * only a snapshot of what it last announced, to signal exactly the properties that
 * changed. Not the primary control interface (varlink: dhcp4-varlink.c) and not
 * part of the protocol: a bus that goes away costs the daemon nothing.
 *
 * Names (docs/dbus.md): several infradhcpd (one per interface) share the bus.
 * Each one exports its object at /io/infradhcp/link/<sd_bus_path_encode(ifname)>
 * and requests
 *  - io.infradhcp.link.<sanitized ifname>, without queueing: the stable name to
 *    reach that interface's daemon (busctl tree io.infradhcp.link.ens192_4093);
 *  - io.infradhcp, queued: exactly one daemon owns it at a time and the next in
 *    the queue takes over when it exits, so on the usual single-interface node
 *    `busctl tree io.infradhcp` simply works.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "dhcp4-dbus.h"
#include "parse-util.h"
#include "log.h"
#include "time-util.h"

#define DBUS_DECLINED_MAX 16
#define DBUS_CLIENT_ID_MAX 32 /* shown bytes of option 61 (ours is 7: 0x01 + MAC) */
#define DBUS_ROOT_PATH "/io/infradhcp"

/* What the properties showed when last announced (or at start). Values are kept in
 * the engine's clock, never converted to realtime: a conversion reads two clocks and
 * would differ by a microsecond from one snapshot to the next. */
typedef struct Snapshot {
        Dhcp4State state;
        bool has_lease;
        Dhcp4Lease lease; /* all zero when !has_lease */
        uint8_t client_id[DBUS_CLIENT_ID_MAX];
        size_t client_id_len;
        char last_error[256];
        char acd_state[32];
        char conflict_mac[18]; /* "" when none */
        unsigned conflicts;
        uint64_t decline_backoff_usec;
} Snapshot;

struct Dhcp4Dbus {
        sd_bus *bus;
        sd_event_source *post_source; /* notices changes made without a state change */
        sd_bus_slot *object_slot, *manager_slot, *disconnect_slot, *name_slot, *link_name_slot;
        Dhcp4Client *client;
        char *path;
        char link_name[sizeof(DHCP4_DBUS_LINK_NAME_PREFIX) + 32];
        Snapshot announced;
        /* While emitting a transition: the state the State property shows. */
        Dhcp4State reporting_state;
        /* The lease start in CLOCK_REALTIME, converted once per lease: converting
         * reads two clocks, and each read would give a slightly different value,
         * so T1USec - LeaseStartUSec would not be T1 exactly. */
        bool start_valid;
        uint64_t start_engine_usec, start_realtime_usec;
};

int dhcp4_dbus_link_name(const char *ifname, char *buf, size_t size) {
        size_t prefix = strlen(DHCP4_DBUS_LINK_NAME_PREFIX), n, k;
        bool digit;

        if (!ifname || !*ifname)
                return -EINVAL;
        n = strlen(ifname);
        /* D-Bus specification, "Bus names": elements of [A-Za-z0-9_-], not starting
         * with a digit, whole name at most 255 bytes. */
        digit = ifname[0] >= '0' && ifname[0] <= '9';
        if (n > 255 || prefix + digit + n + 1 > size)
                return -ENOBUFS;
        memcpy(buf, DHCP4_DBUS_LINK_NAME_PREFIX, prefix);
        k = prefix;
        if (digit)
                buf[k++] = '_';
        for (size_t i = 0; i < n; i++) {
                char c = ifname[i];
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                          c == '-';
                buf[k++] = ok ? c : '_';
        }
        buf[k] = '\0';
        return 0;
}

/* ------------------------------------------------------------------------- */
/* Reading the client */

static void snapshot_conflict_mac(const Dhcp4Dbus *d, char buf[static 18]) {
        uint8_t mac[6];

        if (dhcp4_client_get_conflict_mac(d->client, mac))
                format_mac(mac, buf);
        else
                buf[0] = '\0';
}

static void snapshot_take(const Dhcp4Dbus *d, Snapshot *ret) {
        const Dhcp4Lease *l = dhcp4_client_get_lease(d->client);
        const uint8_t *cid;
        const char *s;
        size_t len = 0;

        memset(ret, 0, sizeof(*ret));
        ret->state = dhcp4_client_get_state(d->client);
        if (l) {
                ret->has_lease = true;
                ret->lease = *l;
                memcpy(ret->client_id, l->client_id, LEASE_CLIENT_ID_LEN);
                ret->client_id_len = LEASE_CLIENT_ID_LEN;
        } else {
                cid = dhcp4_client_get_client_id(d->client, &len);
                if (cid && len > 0) {
                        len = MIN(len, sizeof(ret->client_id));
                        memcpy(ret->client_id, cid, len);
                        ret->client_id_len = len;
                }
        }
        s = dhcp4_client_get_last_error(d->client);
        snprintf(ret->last_error, sizeof(ret->last_error), "%s", s ?: "");
        s = dhcp4_client_get_acd_state(d->client);
        snprintf(ret->acd_state, sizeof(ret->acd_state), "%s", s ?: "");
        snapshot_conflict_mac(d, ret->conflict_mac);
        ret->conflicts = dhcp4_client_get_conflicts(d->client);
        ret->decline_backoff_usec = dhcp4_client_get_decline_backoff(d->client);
}

static bool addrs_equal(const struct in_addr *a, size_t na, const struct in_addr *b, size_t nb, size_t max) {
        na = MIN(na, max);
        nb = MIN(nb, max);
        if (na != nb)
                return false;
        for (size_t i = 0; i < na; i++)
                if (a[i].s_addr != b[i].s_addr)
                        return false;
        return true;
}

static bool routes_equal(const Dhcp4Lease *a, const Dhcp4Lease *b) {
        size_t na = MIN(a->n_routes, (size_t)LEASE_MAX_ROUTES), nb = MIN(b->n_routes, (size_t)LEASE_MAX_ROUTES);

        if (na != nb)
                return false;
        for (size_t i = 0; i < na; i++)
                if (a->routes[i].destination.s_addr != b->routes[i].destination.s_addr ||
                    a->routes[i].prefixlen != b->routes[i].prefixlen ||
                    a->routes[i].gateway.s_addr != b->routes[i].gateway.s_addr)
                        return false;
        return true;
}

/* The names of the properties whose shown value differs between a and b, NULL-
 * terminated, in `names` (room for all of them). Returns the count. The realtime
 * conversion is left out on purpose: the same lease shows the same times. */
static size_t snapshot_diff(const Snapshot *a, const Snapshot *b, const char **names) {
        const Dhcp4Lease *la = &a->lease, *lb = &b->lease;
        bool lease_changed = a->has_lease != b->has_lease;
        bool times_changed = lease_changed || la->acquired_usec != lb->acquired_usec || la->lifetime != lb->lifetime;
        size_t n = 0;

#define ADD_IF(cond, name)                                                                                        \
        do {                                                                                                      \
                if (cond)                                                                                         \
                        names[n++] = name;                                                                        \
        } while (0)

        ADD_IF(a->state != b->state, "State");
        ADD_IF(la->address.s_addr != lb->address.s_addr, "Address");
        ADD_IF(la->prefixlen != lb->prefixlen, "PrefixLength");
        ADD_IF(la->server_id.s_addr != lb->server_id.s_addr, "Server");
        ADD_IF(!addrs_equal(la->routers, la->n_routers, lb->routers, lb->n_routers, LEASE_MAX_ROUTERS), "Routers");
        ADD_IF(!addrs_equal(la->dns, la->n_dns, lb->dns, lb->n_dns, LEASE_MAX_DNS), "DNS");
        ADD_IF(!routes_equal(la, lb), "Routes");
        ADD_IF(la->mtu != lb->mtu, "MTU");
        ADD_IF(strncmp(la->hostname, lb->hostname, sizeof(la->hostname)) != 0, "Hostname");
        ADD_IF(strncmp(la->domain, lb->domain, sizeof(la->domain)) != 0, "Domain");
        ADD_IF(times_changed, "LeaseStartUSec");
        ADD_IF(times_changed, "LifetimeUSec");
        ADD_IF(times_changed || la->t1 != lb->t1, "T1USec");
        ADD_IF(times_changed || la->t2 != lb->t2, "T2USec");
        ADD_IF(times_changed, "ExpiryUSec");
        ADD_IF(a->client_id_len != b->client_id_len || memcmp(a->client_id, b->client_id, a->client_id_len) != 0,
               "ClientId");
        ADD_IF(strcmp(a->last_error, b->last_error) != 0, "LastError");
        ADD_IF(strcmp(a->acd_state, b->acd_state) != 0, "ACDState");
        ADD_IF(strcmp(a->conflict_mac, b->conflict_mac) != 0, "ConflictMAC");
        ADD_IF(a->conflicts != b->conflicts, "Conflicts");
        ADD_IF(a->decline_backoff_usec != b->decline_backoff_usec, "DeclineBackoffUSec");
#undef ADD_IF
        names[n] = NULL;
        return n;
}

#define SNAPSHOT_PROPERTIES_MAX 24

/* Announces what changed since the last announcement. `state` overrides the
 * client's current state (a transition being reported), or is _DHCP4_STATE_MAX. */
static void dbus_announce(Dhcp4Dbus *d, Dhcp4State state) {
        const char *names[SNAPSHOT_PROPERTIES_MAX + 1];
        Snapshot now;
        int r;

        if (!d->bus)
                return;
        snapshot_take(d, &now);
        if (state != _DHCP4_STATE_MAX)
                now.state = state;
        if (snapshot_diff(&d->announced, &now, names) == 0)
                return;
        d->announced = now;
        /* The getters run inside the emit: State shows the transition reported.
         * Fails only when the connection is gone or out of memory: the values can
         * still be read, so a lost signal is logged and not retried. */
        d->reporting_state = state;
        r = sd_bus_emit_properties_changed_strv(d->bus, d->path, DHCP4_DBUS_INTERFACE, (char **)names);
        d->reporting_state = _DHCP4_STATE_MAX;
        if (r < 0 && r != -ENOTCONN)
                log_debug_errno(r, "Failed to emit PropertiesChanged: %m");
}

void dhcp4_dbus_on_state(Dhcp4Client *c, Dhcp4State old_state, Dhcp4State new_state, void *userdata) {
        Dhcp4Dbus *d = userdata;

        if (d && (unsigned)new_state < _DHCP4_STATE_MAX)
                dbus_announce(d, new_state);
}

static int on_post(sd_event_source *s, void *userdata) {
        dbus_announce(userdata, _DHCP4_STATE_MAX);
        return 0;
}

/* ------------------------------------------------------------------------- */
/* Properties */

static const Dhcp4Lease *link_lease(void *userdata) {
        Dhcp4Dbus *d = userdata;
        return dhcp4_client_get_lease(d->client);
}

static int append_address(sd_bus_message *reply, struct in_addr a) {
        char buf[INET_ADDRSTRLEN];

        if (a.s_addr == 0)
                return sd_bus_message_append(reply, "s", "");
        return sd_bus_message_append(reply, "s", inet_ntop(AF_INET, &a, buf, sizeof(buf)) ?: "");
}

static int append_address_array(sd_bus_message *reply, const struct in_addr *a, size_t n) {
        char buf[INET_ADDRSTRLEN];
        int r;

        r = sd_bus_message_open_container(reply, 'a', "s");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(reply, "s", inet_ntop(AF_INET, &a[i], buf, sizeof(buf)) ?: "");
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int property_get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Dhcp4Dbus *d = userdata;
        Dhcp4State s = d->reporting_state != _DHCP4_STATE_MAX ? d->reporting_state : dhcp4_client_get_state(d->client);

        return sd_bus_message_append(reply, "s", dhcp4_state_to_string(s) ?: "");
}

static int property_get_interface(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Dhcp4Dbus *d = userdata;
        return sd_bus_message_append(reply, "s", dhcp4_client_get_ifname(d->client) ?: "");
}

static int property_get_address(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Dhcp4Lease *l = link_lease(userdata);
        return append_address(reply, l ? l->address : (struct in_addr) {});
}

static int property_get_prefix_length(sd_bus *bus, const char *path, const char *interface, const char *property,
                                      sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Dhcp4Lease *l = link_lease(userdata);
        return sd_bus_message_append(reply, "y", l ? l->prefixlen : (uint8_t)0);
}

static int property_get_server(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Dhcp4Lease *l = link_lease(userdata);
        return append_address(reply, l ? l->server_id : (struct in_addr) {});
}

static int property_get_routers(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Dhcp4Lease *l = link_lease(userdata);
        return append_address_array(reply, l ? l->routers : NULL, l ? MIN(l->n_routers, (size_t)LEASE_MAX_ROUTERS) : 0);
}

static int property_get_dns(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Dhcp4Lease *l = link_lease(userdata);
        return append_address_array(reply, l ? l->dns : NULL, l ? MIN(l->n_dns, (size_t)LEASE_MAX_DNS) : 0);
}

static int property_get_routes(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Dhcp4Lease *l = link_lease(userdata);
        size_t n = l ? MIN(l->n_routes, (size_t)LEASE_MAX_ROUTES) : 0;
        char dst[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(sys)");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const LeaseRoute *rt = &l->routes[i];

                r = sd_bus_message_append(reply, "(sys)", inet_ntop(AF_INET, &rt->destination, dst, sizeof(dst)) ?: "",
                                          rt->prefixlen,
                                          rt->gateway.s_addr == 0 ? "" : inet_ntop(AF_INET, &rt->gateway, gw, sizeof(gw)) ?: "");
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int property_get_mtu(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Dhcp4Lease *l = link_lease(userdata);
        return sd_bus_message_append(reply, "q", l ? l->mtu : (uint16_t)0);
}

static int property_get_hostname(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Dhcp4Lease *l = link_lease(userdata);
        char buf[LEASE_HOSTNAME_MAX];

        snprintf(buf, sizeof(buf), "%.*s", (int)sizeof(buf) - 1, l ? l->hostname : "");
        return sd_bus_message_append(reply, "s", buf);
}

static int property_get_domain(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Dhcp4Lease *l = link_lease(userdata);
        char buf[LEASE_DOMAIN_MAX];

        snprintf(buf, sizeof(buf), "%.*s", (int)sizeof(buf) - 1, l ? l->domain : "");
        return sd_bus_message_append(reply, "s", buf);
}

/* Lease times as CLOCK_REALTIME usec: 0 without a lease, USEC_INFINITY for the
 * timers of an infinite lease. RFC 2131 §4.4.1: they count from when the REQUEST
 * that obtained the lease was sent. */
static int property_get_time(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Dhcp4Dbus *d = userdata;
        const Dhcp4Lease *l = dhcp4_client_get_lease(d->client);
        uint64_t start, v;
        uint32_t secs;

        if (!l)
                return sd_bus_message_append(reply, "t", UINT64_C(0));
        if (!d->start_valid || d->start_engine_usec != l->acquired_usec) {
                d->start_engine_usec = l->acquired_usec;
                d->start_realtime_usec = dhcp4_client_engine_to_realtime(d->client, l->acquired_usec);
                d->start_valid = true;
        }
        start = d->start_realtime_usec;
        if (strcmp(property, "LeaseStartUSec") == 0)
                return sd_bus_message_append(reply, "t", start);
        if (l->lifetime == UINT32_MAX)
                return sd_bus_message_append(reply, "t", USEC_INFINITY);
        if (strcmp(property, "LifetimeUSec") == 0)
                return sd_bus_message_append(reply, "t", (uint64_t)l->lifetime * USEC_PER_SEC);
        if (strcmp(property, "T1USec") == 0)
                secs = l->t1;
        else if (strcmp(property, "T2USec") == 0)
                secs = l->t2;
        else
                secs = l->lifetime;
        v = usec_add(start, (uint64_t)secs * USEC_PER_SEC);
        return sd_bus_message_append(reply, "t", v);
}

static int property_get_client_id(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Dhcp4Dbus *d = userdata;
        const Dhcp4Lease *l = dhcp4_client_get_lease(d->client);
        char buf[3 * DBUS_CLIENT_ID_MAX + 1] = "";
        const uint8_t *cid;
        size_t len = 0, pos = 0;

        if (l) {
                cid = l->client_id;
                len = LEASE_CLIENT_ID_LEN;
        } else
                cid = dhcp4_client_get_client_id(d->client, &len);
        len = cid ? MIN(len, (size_t)DBUS_CLIENT_ID_MAX) : 0;
        for (size_t i = 0; i < len; i++)
                pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, "%s%02x", i ? ":" : "", cid[i]);
        return sd_bus_message_append(reply, "s", buf);
}

static int property_get_last_error(sd_bus *bus, const char *path, const char *interface, const char *property,
                                   sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Dhcp4Dbus *d = userdata;
        return sd_bus_message_append(reply, "s", dhcp4_client_get_last_error(d->client) ?: "");
}

static int property_get_acd_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Dhcp4Dbus *d = userdata;
        return sd_bus_message_append(reply, "s", dhcp4_client_get_acd_state(d->client) ?: "");
}

static int property_get_conflict_mac(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        char m[18];

        snapshot_conflict_mac(userdata, m);
        return sd_bus_message_append(reply, "s", m);
}

static int property_get_conflicts(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Dhcp4Dbus *d = userdata;
        return sd_bus_message_append(reply, "u", (uint32_t)dhcp4_client_get_conflicts(d->client));
}

static int property_get_decline_backoff(sd_bus *bus, const char *path, const char *interface, const char *property,
                                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Dhcp4Dbus *d = userdata;
        return sd_bus_message_append(reply, "t", (uint64_t)dhcp4_client_get_decline_backoff(d->client));
}

static int property_get_declined(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Dhcp4Dbus *d = userdata;
        struct in_addr a[DBUS_DECLINED_MAX];
        size_t n = dhcp4_client_get_declined(d->client, a, ELEMENTSOF(a));

        return append_address_array(reply, a, MIN(n, ELEMENTSOF(a)));
}

/* ------------------------------------------------------------------------- */
/* Methods */

/* The daemon-side check is authoritative (the bus policy is defence in depth): only
 * uid 0 may change the client's state. The uid comes from the bus driver
 * (GetConnectionUnixUser: the peer credentials of the caller's socket); /proc-based
 * augmentation is refused because a pid can be reused by then. Returns 1 when
 * allowed, else a negative errno with `error` set. */
static int check_root(sd_bus_message *m, sd_bus_error *error) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        uid_t uid;
        int r;

        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &creds);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot determine the caller's user: %m");
        if (sd_bus_creds_get_augmented_mask(creds) & SD_BUS_CREDS_EUID)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "The caller's user is not known to the bus");
        r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "The caller's user is not known to the bus");
        if (uid != 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "Only root may call %s.%s()",
                                         DHCP4_DBUS_INTERFACE, sd_bus_message_get_member(m));
        return 1;
}

static int link_command(sd_bus_message *m, Dhcp4Dbus *d, int (*command)(Dhcp4Client *c), sd_bus_error *error) {
        const char *member = sd_bus_message_get_member(m) ?: "?";
        int r;

        r = check_root(m, error);
        if (r < 0) {
                log_notice("Refused %s over D-Bus from %s: not root", member, sd_bus_message_get_sender(m) ?: "?");
                return r;
        }
        if (dhcp4_client_sequence_running(d->client)) {
                log_notice("Refused %s over D-Bus: a ReleaseAndRenew is running", member);
                return sd_bus_error_set(error, DHCP4_DBUS_ERROR_BUSY,
                                        "A ReleaseAndRenew sequence is running; try again when it has finished");
        }
        log_info("%s requested over D-Bus by %s", member, sd_bus_message_get_sender(m) ?: "?");
        r = command(d->client);
        if (r == -ESTALE)
                return sd_bus_error_set(error, DHCP4_DBUS_ERROR_STOPPED, "The client is stopped");
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "%s failed: %m", member);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_release(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return link_command(m, userdata, dhcp4_client_release, error);
}

static int method_renew(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return link_command(m, userdata, dhcp4_client_renew, error);
}

static int method_rebind(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return link_command(m, userdata, dhcp4_client_rebind, error);
}

#define EMITS SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE

/* Every property is read live. DeclinedAddresses emits no change signal
 * (EmitsChangedSignal=false in the introspection): an address also leaves the
 * quarantine when its time is up, an instant no client event marks. Interface is
 * fixed for the daemon's life. The methods are UNPRIVILEGED for sd-bus (its own
 * check would admit the daemon's uid, not root only): check_root() decides. */
static const sd_bus_vtable link_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, EMITS),
        SD_BUS_PROPERTY("Interface", "s", property_get_interface, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Address", "s", property_get_address, 0, EMITS),
        SD_BUS_PROPERTY("PrefixLength", "y", property_get_prefix_length, 0, EMITS),
        SD_BUS_PROPERTY("Server", "s", property_get_server, 0, EMITS),
        SD_BUS_PROPERTY("Routers", "as", property_get_routers, 0, EMITS),
        SD_BUS_PROPERTY("DNS", "as", property_get_dns, 0, EMITS),
        SD_BUS_PROPERTY("Routes", "a(sys)", property_get_routes, 0, EMITS),
        SD_BUS_PROPERTY("MTU", "q", property_get_mtu, 0, EMITS),
        SD_BUS_PROPERTY("Hostname", "s", property_get_hostname, 0, EMITS),
        SD_BUS_PROPERTY("Domain", "s", property_get_domain, 0, EMITS),
        SD_BUS_PROPERTY("LeaseStartUSec", "t", property_get_time, 0, EMITS),
        SD_BUS_PROPERTY("LifetimeUSec", "t", property_get_time, 0, EMITS),
        SD_BUS_PROPERTY("T1USec", "t", property_get_time, 0, EMITS),
        SD_BUS_PROPERTY("T2USec", "t", property_get_time, 0, EMITS),
        SD_BUS_PROPERTY("ExpiryUSec", "t", property_get_time, 0, EMITS),
        SD_BUS_PROPERTY("ClientId", "s", property_get_client_id, 0, EMITS),
        SD_BUS_PROPERTY("LastError", "s", property_get_last_error, 0, EMITS),
        SD_BUS_PROPERTY("ACDState", "s", property_get_acd_state, 0, EMITS),
        SD_BUS_PROPERTY("DeclinedAddresses", "as", property_get_declined, 0, 0),
        SD_BUS_PROPERTY("ConflictMAC", "s", property_get_conflict_mac, 0, EMITS),
        SD_BUS_PROPERTY("Conflicts", "u", property_get_conflicts, 0, EMITS),
        SD_BUS_PROPERTY("DeclineBackoffUSec", "t", property_get_decline_backoff, 0, EMITS),
        SD_BUS_METHOD("Release", "", "", method_release, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Renew", "", "", method_renew, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Rebind", "", "", method_rebind, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};

/* ------------------------------------------------------------------------- */
/* Connection */

static int on_name_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *name = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        uint32_t result;
        int r;

        if (e) {
                log_warning("Cannot own the D-Bus name %s (%s: %s); the object stays reachable on the unique name",
                            name, e->name, e->message ?: "");
                return 0;
        }
        r = sd_bus_message_read(m, "u", &result);
        if (r < 0) {
                log_warning_errno(r, "Invalid reply to RequestName(%s): %m", name);
                return 0;
        }
        switch (result) {
        case 1: /* DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER */
        case 4: /* ALREADY_OWNER */
                log_debug("Owning the D-Bus name %s", name);
                break;
        case 2: /* IN_QUEUE */
                log_debug("Queued for the D-Bus name %s (another infradhcpd owns it)", name);
                break;
        case 3: /* EXISTS */
                log_warning("The D-Bus name %s is owned by another connection; the object stays reachable on the unique name",
                            name);
                break;
        default:
                log_warning("Unexpected reply %u to RequestName(%s)", result, name);
        }
        return 0;
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Dhcp4Dbus *d = userdata;

        /* sd-bus closed the connection and detached its event sources; the daemon
         * does not reconnect (a system bus restart is a reboot-class event). */
        log_warning("Lost the system bus connection; D-Bus interface disabled");
        d->post_source = sd_event_source_disable_unref(d->post_source);
        return 0;
}

int dhcp4_dbus_new(Dhcp4Dbus **ret, sd_event *event, Dhcp4Client *client) {
        _cleanup_(dhcp4_dbus_freep) Dhcp4Dbus *d = NULL;
        const char *ifname = dhcp4_client_get_ifname(client);
        int r;

        if (!ret || !event || !client || !ifname)
                return -EINVAL;
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->client = client;
        d->reporting_state = _DHCP4_STATE_MAX;
        r = dhcp4_dbus_link_name(ifname, d->link_name, sizeof(d->link_name));
        if (r < 0)
                return r;
        r = sd_bus_path_encode(DHCP4_DBUS_PATH_PREFIX, ifname, &d->path);
        if (r < 0)
                return r;

        /* Connects synchronously (a local socket answers or fails at once); the
         * authentication and Hello run in the event loop. */
        r = sd_bus_open_system_with_description(&d->bus, "infradhcpd");
        if (r < 0)
                return r;
        (void)sd_bus_set_exit_on_disconnect(d->bus, false);

        r = sd_bus_add_object_vtable(d->bus, &d->object_slot, d->path, DHCP4_DBUS_INTERFACE, link_vtable, d);
        if (r < 0)
                return r;
        /* GetManagedObjects on /io/infradhcp: one call returns every property. */
        r = sd_bus_add_object_manager(d->bus, &d->manager_slot, DBUS_ROOT_PATH);
        if (r < 0)
                return r;
        /* Local match: sd-bus synthesizes this signal itself, no AddMatch is sent. */
        r = sd_bus_match_signal(d->bus, &d->disconnect_slot, "org.freedesktop.DBus.Local", NULL,
                                "org.freedesktop.DBus.Local", "Disconnected", on_disconnected, d);
        if (r < 0)
                return r;
        r = sd_bus_request_name_async(d->bus, &d->link_name_slot, d->link_name, 0, on_name_reply, d->link_name);
        if (r < 0)
                return r;
        r = sd_bus_request_name_async(d->bus, &d->name_slot, DHCP4_DBUS_NAME, SD_BUS_NAME_QUEUE, on_name_reply,
                                      (void *)DHCP4_DBUS_NAME);
        if (r < 0)
                return r;

        r = sd_bus_attach_event(d->bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        r = sd_event_add_post(event, &d->post_source, on_post, d);
        if (r < 0)
                return r;
        (void)sd_event_source_set_description(d->post_source, "dbus-announce");

        snapshot_take(d, &d->announced);
        log_info("D-Bus: %s at %s on the system bus (name %s)", DHCP4_DBUS_INTERFACE, d->path, d->link_name);
        *ret = d;
        d = NULL; /* consumed */
        return 0;
}

Dhcp4Dbus *dhcp4_dbus_free(Dhcp4Dbus *d) {
        if (!d)
                return NULL;
        sd_event_source_disable_unref(d->post_source);
        sd_bus_slot_unref(d->name_slot);
        sd_bus_slot_unref(d->link_name_slot);
        sd_bus_slot_unref(d->disconnect_slot);
        sd_bus_slot_unref(d->manager_slot);
        sd_bus_slot_unref(d->object_slot);
        if (d->bus) {
                (void)sd_bus_detach_event(d->bus);
                sd_bus_close_unref(d->bus);
        }
        free(d->path);
        free(d);
        return NULL;
}
