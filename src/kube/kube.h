/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Umbrella header for the Kubernetes client used by the agent: configuration
 * (kube-config.h), the pure watch-stream decoder (kube-watch.h) and the sd-event
 * client (kube-client.h). Declares nothing itself.
 */
#pragma once

#include "kube-backoff.h"
#include "kube-client.h"
#include "kube-config.h"
#include "kube-watch.h"
