// The one C++ file: gRPC 1.51 (Debian 12) has no C API to size its executors, only the C++ calls that its own
// fork support makes (src/core/lib/iomgr/fork_posix.cc: grpc_prefork -> Executor::SetThreadingAll(false)).
// The declarations below name those exported functions (libgrpc.so exports them; libgrpc.a defines them); a gRPC
// without them fails to link rather than misbehave.
//
// What goes and what stays: the resolver executor only runs blocking DNS lookups for client channels
// (iomgr/resolve_address_posix.cc), and a plugin server never resolves a name, so its thread goes. The default
// executor stays: tcp_posix.cc runs its backup poller there for large writes (a 10 MB message would hang
// without it), and 1.51 fires timers only from its timer threads, so those stay too.
#include "grpc_threads.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

namespace grpc_core {
class Executor {
public:
	static void SetThreadingAll(bool enable);
	static void SetThreadingDefault(bool enable);
};
} // namespace grpc_core

static void trim(void)
{
	const char *mode = getenv("FOUNDRY_GRPC_EXECUTOR");
	if (mode != NULL && strcmp(mode, "threads") == 0)
		return;
	grpc_core::Executor::SetThreadingAll(false); /* both executors down, ... */
	grpc_core::Executor::SetThreadingDefault(true); /* ... the default one up again */
}

// Once per process, at the first server: turning the executors off runs the closures queued on them, and after a
// grpc_shutdown (asynchronous in 1.51) a later grpc_init can find closures of the previous server still queued, which
// then run against freed state (seen as a crash in unit.test_plugin_server, which starts many servers in one
// process). The provider starts one server per process, so it is always trimmed.
extern "C" void plugin_grpc_trim_threads(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, trim);
}
