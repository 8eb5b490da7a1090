/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Force-included (gcc/clang -include) into every file of src/basic, and through
 * pure.h into every file of a pure core: these layers use libc and nothing else
 * (docs/CODING_STYLE.md, "Layers"). The type names of libsystemd (sd-event, sd-bus,
 * sd-journal), curl, libmnl and libyaml are poisoned, so merely including one of
 * their headers is a compile error ("attempt to use poisoned ..."), and so is a call
 * of the logging, file, varlink or netlink API of src/shared.
 *
 * json-c is poisoned too, except in the pure cores whose input format is JSON (the
 * watch decoder, the agent's config, journal and opflex transforms): meson builds
 * those with -DPURE_CORE_JSON, and they may use json-c and src/shared/json-util.h.
 *
 * tests/layers checks the rest: each library's dependencies, include paths and
 * #include lines, and that these headers are really in force.
 */
#pragma once

#pragma GCC poison sd_event sd_event_source sd_bus sd_bus_message sd_journal_sendv sd_notify
#pragma GCC poison CURL CURLM CURLcode curl_easy_init curl_multi_init
#pragma GCC poison mnl_socket nlmsghdr yaml_parser_t yaml_parser_initialize
/* src/shared: log.h, fileio.h, varlink.h, rtnl.h. */
#pragma GCC poison log_full log_fullv log_set_field write_file_atomic read_file_full mkdir_p
#pragma GCC poison VarlinkServer VarlinkCall VarlinkClient VarlinkAsync Rtnl
#ifndef PURE_CORE_JSON
#pragma GCC poison json_object json_tokener
#endif
