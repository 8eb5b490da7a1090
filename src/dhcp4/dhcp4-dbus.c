/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * io.infradhcp.Link1 on the system bus (sd-bus): the status of one infradhcpd as
 * properties, PropertiesChanged when they change, and Release/Renew/Rebind for root.
 * The properties render the client's status snapshot (dhcp4-status.h), one line
 * each in LINK_PROPERTIES: the snapshot is taken before every incoming message is
 * dispatched (a bus filter), and the one last announced is kept to signal exactly
 * the properties that changed. Not the primary control interface (varlink: dhcp4-varlink.c) and not
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
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <systemd/sd-bus.h>

#include "dhcp4-dbus.h"
#include "hexdecoct.h"
#include "parse-util.h"
#include "log.h"
#include "time-util.h"

#define DBUS_ROOT_PATH "/io/infradhcp"

struct Dhcp4Dbus {
        sd_bus *bus;
        sd_event_source *post_source; /* notices changes made without a state change */
        sd_bus_slot *object_slot, *manager_slot, *disconnect_slot, *name_slot, *link_name_slot, *filter_slot;
        Dhcp4Client *client;
        char *path;
        char link_name[sizeof(DHCP4_DBUS_LINK_NAME_PREFIX) + 32];
        /* What the properties show: the status taken before the incoming message being
         * dispatched, or, while PropertiesChanged is emitted, the one announced (its
         * State being the transition reported). */
        Dhcp4ClientStatus shown;
        Dhcp4ClientStatus announced;
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
/* Properties: the D-Bus front end of the status */

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

/* Renderers: `field` points at the status member the property shows. */
typedef int (*PropertyAppend)(sd_bus_message *reply, const Dhcp4ClientStatus *s, const void *field);

static int append_state(sd_bus_message *reply, const Dhcp4ClientStatus *s, const void *field) {
        return sd_bus_message_append(reply, "s", dhcp4_state_to_string(s->state) ?: "");
}

static int append_string(sd_bus_message *reply, const Dhcp4ClientStatus *s, const void *field) {
        return sd_bus_message_append(reply, "s", (const char *)field); /* NUL-terminated by the producer */
}

static int append_address(sd_bus_message *reply, const Dhcp4ClientStatus *s, const void *field) {
        char buf[INET_ADDRSTRLEN];
        const struct in_addr *a = field;

        return sd_bus_message_append(reply, "s", a->s_addr == 0 ? "" : inet_ntop(AF_INET, a, buf, sizeof(buf)) ?: "");
}

static int append_u8(sd_bus_message *reply, const Dhcp4ClientStatus *s, const void *field) {
        return sd_bus_message_append(reply, "y", *(const uint8_t *)field);
}

static int append_u16(sd_bus_message *reply, const Dhcp4ClientStatus *s, const void *field) {
        return sd_bus_message_append(reply, "q", *(const uint16_t *)field);
}

static int append_unsigned(sd_bus_message *reply, const Dhcp4ClientStatus *s, const void *field) {
        return sd_bus_message_append(reply, "u", (uint32_t)*(const unsigned *)field);
}

static int append_u64(sd_bus_message *reply, const Dhcp4ClientStatus *s, const void *field) {
        return sd_bus_message_append(reply, "t", *(const uint64_t *)field);
}

/* "a,b,c" as an array of strings (the capability names). */
static int append_name_list(sd_bus_message *reply, const Dhcp4ClientStatus *s, const void *field) {
        const char *p = field;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "s");
        while (r >= 0 && *p) {
                size_t n = strcspn(p, ",");
                char name[64];

                snprintf(name, sizeof(name), "%.*s", (int)MIN(n, sizeof(name) - 1), p);
                r = sd_bus_message_append(reply, "s", name);
                p += n + (p[n] == ',');
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int append_routers(sd_bus_message *reply, const Dhcp4ClientStatus *s, const void *field) {
        return append_address_array(reply, s->lease.routers, MIN(s->lease.n_routers, (size_t)LEASE_MAX_ROUTERS));
}

static int append_dns(sd_bus_message *reply, const Dhcp4ClientStatus *s, const void *field) {
        return append_address_array(reply, s->lease.dns, MIN(s->lease.n_dns, (size_t)LEASE_MAX_DNS));
}

static int append_declined(sd_bus_message *reply, const Dhcp4ClientStatus *s, const void *field) {
        return append_address_array(reply, s->declined, MIN(s->n_declined, ELEMENTSOF(s->declined)));
}

static int append_routes(sd_bus_message *reply, const Dhcp4ClientStatus *s, const void *field) {
        size_t n = MIN(s->lease.n_routes, (size_t)LEASE_MAX_ROUTES);
        char dst[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(sys)");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const LeaseRoute *rt = &s->lease.routes[i];
                const char *g = rt->gateway.s_addr == 0 ? "" : inet_ntop(AF_INET, &rt->gateway, gw, sizeof(gw));

                r = sd_bus_message_append(reply, "(sys)", inet_ntop(AF_INET, &rt->destination, dst, sizeof(dst)) ?: "",
                                          rt->prefixlen, g ?: "");
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int append_client_id(sd_bus_message *reply, const Dhcp4ClientStatus *s, const void *field) {
        char buf[3 * LEASE_CLIENT_ID_LEN + 1];

        return sd_bus_message_append(reply, "s",
                                     format_hex_bytes(s->client_id, s->client_id_len, ':', buf, sizeof(buf)));
}

static int append_mac(sd_bus_message *reply, const Dhcp4ClientStatus *s, const void *field) {
        char m[18];

        return sd_bus_message_append(reply, "s", dhcp4_status_has_conflict_mac(s) ? format_mac(field, m) : "");
}

/* "disabled" when [Attachment] Detect=no, else the machine's state. */
static int append_attachment_state(sd_bus_message *reply, const Dhcp4ClientStatus *s, const void *field) {
        return sd_bus_message_append(reply, "s", s->attachment.enabled ? s->attachment.state : "disabled");
}

#define EMITS SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE
#define PROP_CONST SD_BUS_VTABLE_PROPERTY_CONST

/* Every property of io.infradhcp.Link1, one line each (docs/dbus.md): name, D-Bus
 * signature, renderer, the status members it shows (compared to decide whether it
 * changed: the value and, for an array, its count) and the flags. Times are
 * CLOCK_REALTIME usec (0 without a lease, USEC_INFINITY for the timers of an infinite
 * lease). DeclinedAddresses emits no change signal (EmitsChangedSignal=false): an
 * address also leaves the quarantine when its time is up, an instant no client event
 * marks. Interface is fixed for the daemon's life. The Attachment* properties emit none
 * either: they change with every periodic check (docs/dna.md). */
#define LINK_PROPERTIES(X)                                                                       \
        X("State", "s", append_state, state, state, EMITS)                                       \
        X("Interface", "s", append_string, interface, interface, PROP_CONST)                          \
        X("Address", "s", append_address, lease.address, lease.address, EMITS)                   \
        X("PrefixLength", "y", append_u8, lease.prefixlen, lease.prefixlen, EMITS)               \
        X("Server", "s", append_address, lease.server_id, lease.server_id, EMITS)                \
        X("Routers", "as", append_routers, lease.routers, lease.n_routers, EMITS)                \
        X("DNS", "as", append_dns, lease.dns, lease.n_dns, EMITS)                                \
        X("Routes", "a(sys)", append_routes, lease.routes, lease.n_routes, EMITS)                \
        X("MTU", "q", append_u16, lease.mtu, lease.mtu, EMITS)                                   \
        X("Hostname", "s", append_string, lease.hostname, lease.hostname, EMITS)                 \
        X("Domain", "s", append_string, lease.domain, lease.domain, EMITS)                       \
        X("LeaseStartUSec", "t", append_u64, lease_start_usec, lease_start_usec, EMITS)          \
        X("LifetimeUSec", "t", append_u64, lifetime_usec, lifetime_usec, EMITS)                  \
        X("T1USec", "t", append_u64, t1_usec, t1_usec, EMITS)                                    \
        X("T2USec", "t", append_u64, t2_usec, t2_usec, EMITS)                                    \
        X("ExpiryUSec", "t", append_u64, expiry_usec, expiry_usec, EMITS)                        \
        X("ClientId", "s", append_client_id, client_id, client_id_len, EMITS)                    \
        X("LastError", "s", append_string, last_error, last_error, EMITS)                        \
        X("PersistError", "s", append_string, persist_error, persist_error, EMITS)               \
        X("ExportError", "s", append_string, export_error, export_error, EMITS)                  \
        X("LastRemoval", "s", append_string, last_removal, last_removal, EMITS)                  \
        X("LastRemovalUSec", "t", append_u64, last_removal_usec, last_removal_usec, EMITS)       \
        X("Capabilities", "as", append_name_list, capabilities, capabilities, EMITS)             \
        X("ACDState", "s", append_string, acd_state, acd_state, EMITS)                           \
        X("DeclinedAddresses", "as", append_declined, declined, n_declined, 0)                   \
        X("ConflictMAC", "s", append_mac, conflict_mac, conflict_mac, EMITS)                     \
        X("Conflicts", "u", append_unsigned, conflicts, conflicts, EMITS)                        \
        X("DeclineBackoffUSec", "t", append_u64, decline_backoff_usec, decline_backoff_usec, EMITS)      \
        X("AttachmentState", "s", append_attachment_state, attachment.state, attachment.enabled, 0)    \
        X("AttachmentOutcome", "s", append_string, attachment.outcome, attachment.outcome, 0)         \
        X("AttachmentReason", "s", append_string, attachment.check.reason, attachment.check.reason, 0) \
        X("AttachmentLastCheckUSec", "t", append_u64, attachment.check.started_usec,                   \
          attachment.check.started_usec, 0)

typedef struct LinkProperty {
        const char *name;
        PropertyAppend append;
        size_t offset, size, offset2, size2; /* the members compared for a change */
        bool emits;
} LinkProperty;

#define MEMBER(m) offsetof(Dhcp4ClientStatus, m), sizeof(((Dhcp4ClientStatus *)0)->m)
#define PROPERTY_ENTRY(name, sig, append, m, m2, flags) { name, append, MEMBER(m), MEMBER(m2), (flags) == EMITS },
static const LinkProperty link_properties[] = { LINK_PROPERTIES(PROPERTY_ENTRY) };
#undef PROPERTY_ENTRY

static int property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Dhcp4Dbus *d = userdata;

        for (size_t i = 0; i < ELEMENTSOF(link_properties); i++)
                if (strcmp(link_properties[i].name, property) == 0)
                        return link_properties[i].append(reply, &d->shown,
                                                         (const uint8_t *)&d->shown + link_properties[i].offset);
        return -ENOENT;
}

/* The names of the change-signalling properties whose shown value differs between a
 * and b, NULL-terminated, in `names` (room for all of them). Returns the count. */
static size_t status_diff(const Dhcp4ClientStatus *a, const Dhcp4ClientStatus *b, const char **names) {
        const uint8_t *pa = (const uint8_t *)a, *pb = (const uint8_t *)b;
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(link_properties); i++) {
                const LinkProperty *p = link_properties + i;

                if (p->emits && (memcmp(pa + p->offset, pb + p->offset, p->size) != 0 ||
                                 memcmp(pa + p->offset2, pb + p->offset2, p->size2) != 0))
                        names[n++] = p->name;
        }
        names[n] = NULL;
        return n;
}

/* Announces what changed since the last announcement. `state` overrides the
 * client's current state (a transition being reported), or is _DHCP4_STATE_MAX. */
static void dbus_announce(Dhcp4Dbus *d, Dhcp4State state) {
        const char *names[ELEMENTSOF(link_properties) + 1];
        int r;

        if (!d->bus)
                return;
        dhcp4_client_get_status(d->client, &d->shown);
        if (state != _DHCP4_STATE_MAX)
                d->shown.state = state;
        if (status_diff(&d->announced, &d->shown, names) == 0)
                return;
        d->announced = d->shown;
        /* The getters run inside the emit and show `shown`: State is the transition
         * reported. Fails only when the connection is gone or out of memory: the values
         * can still be read, so a lost signal is logged and not retried. */
        r = sd_bus_emit_properties_changed_strv(d->bus, d->path, DHCP4_DBUS_INTERFACE, (char **)names);
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

/* Before any incoming message is dispatched: what a Get, GetAll or GetManagedObjects
 * answers is the status now. */
static int on_incoming(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Dhcp4Dbus *d = userdata;

        dhcp4_client_get_status(d->client, &d->shown);
        return 0;
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

/* Attachment check now (docs/dna.md); without a lease or with detection off there is
 * nothing to check, which is not a failure of the call. */
static int client_check(Dhcp4Client *c) {
        int r = dhcp4_client_check(c);

        return r == -ENOTCONN || r == -EOPNOTSUPP ? 0 : r;
}

static int method_check(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return link_command(m, userdata, client_check, error);
}

#define PROPERTY_VTABLE(name, sig, append, m, m2, flags) SD_BUS_PROPERTY(name, sig, property_get, 0, flags),

/* The methods are UNPRIVILEGED for sd-bus (its own check would admit the daemon's
 * uid, not root only): check_root() decides. */
static const sd_bus_vtable link_vtable[] = {
        SD_BUS_VTABLE_START(0),
        LINK_PROPERTIES(PROPERTY_VTABLE)
        SD_BUS_METHOD("Release", "", "", method_release, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Renew", "", "", method_renew, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Rebind", "", "", method_rebind, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Check", "", "", method_check, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};
#undef PROPERTY_VTABLE

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
                log_warning("The D-Bus name %s is owned by another connection; the object stays reachable on the "
                            "unique name",
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

/* sd-bus's own default for the system bus (sd_bus_open_system()). */
#define SYSTEM_BUS_DEFAULT_ADDRESS "unix:path=/run/dbus/system_bus_socket"

int dhcp4_dbus_system_bus_missing(const char *address) {
        const char *path = bus_address_unix_path(address ?: SYSTEM_BUS_DEFAULT_ADDRESS);
        struct stat st;

        if (!path)
                return 0;
        return stat(path, &st) < 0 && errno == ENOENT ? -ENOENT : 0;
}

int dhcp4_dbus_new(Dhcp4Dbus **ret, sd_event *event, Dhcp4Client *client) {
        _cleanup_(dhcp4_dbus_freep) Dhcp4Dbus *d = NULL;
        sd_bus *bus = NULL;
        const char *ifname;
        int r;

        if (!ret || !event || !client)
                return -EINVAL;
        /* The bus first: connecting synchronously (a local socket answers or fails at
         * once), so that a node or a container without one costs one connect() and
         * nothing else (issue 13), and a bus socket that does not exist not even that.
         * The authentication and Hello run in the event loop. */
        r = dhcp4_dbus_system_bus_missing(secure_getenv("DBUS_SYSTEM_BUS_ADDRESS"));
        if (r < 0)
                return r;
        r = sd_bus_open_system_with_description(&bus, "infradhcpd");
        if (r < 0)
                return r;
        d = calloc(1, sizeof(*d));
        if (!d) {
                sd_bus_close_unref(bus);
                return -ENOMEM;
        }
        d->bus = bus; /* consumed */
        (void)sd_bus_set_exit_on_disconnect(d->bus, false);
        d->client = client;
        dhcp4_client_get_status(client, &d->shown);
        d->announced = d->shown;
        ifname = d->shown.interface;
        r = dhcp4_dbus_link_name(ifname, d->link_name, sizeof(d->link_name));
        if (r < 0)
                return r;
        r = sd_bus_path_encode(DHCP4_DBUS_PATH_PREFIX, ifname, &d->path);
        if (r < 0)
                return r;

        r = sd_bus_add_filter(d->bus, &d->filter_slot, on_incoming, d);
        if (r < 0)
                return r;
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
        sd_bus_slot_unref(d->filter_slot);
        if (d->bus) {
                (void)sd_bus_detach_event(d->bus);
                sd_bus_close_unref(d->bus);
        }
        free(d->path);
        free(d);
        return NULL;
}
