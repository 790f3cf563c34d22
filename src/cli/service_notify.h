// Readiness for a service manager (systemd's `Type=notify`): a datagram with "READY=1", "STOPPING=1" … to the
// socket named by $NOTIFY_SOCKET. Without that variable it does nothing, so hookd runs the same outside systemd.
#pragma once

#include <string_view>

namespace hookd {

// Sends `state` to the service manager, if one asked for it; failures are ignored (readiness is advisory).
void NotifyServiceManager(std::string_view state);

}  // namespace hookd
