// The --check-config look-up of every host name the file gives: a name that does not resolve
// makes the daemon fail to start ("cannot resolve"), and a reload to the file is rejected, so
// checking the file should say so before it is used. Not part of loading: a load must not
// wait on DNS, and the check answers only for this machine at this moment.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/config_loader.h"

namespace etagd::config {

// Looks `host` up; returns "" when it resolves, else the reason ("Name or service not known").
using HostResolver = std::function<std::string(const std::string& host)>;

// getaddrinfo(), as the daemon resolves hosts when it starts.
std::string resolve_with_getaddrinfo(const std::string& host);

// One warning per host name (IP literals are skipped) that does not resolve: upstream.url,
// listen, admin.listen and fleet.redis, each at the position the file gives it.
std::vector<Diagnostic> unresolved_host_warnings(
    const Config& config, const HostResolver& resolve = resolve_with_getaddrinfo);

}  // namespace etagd::config
