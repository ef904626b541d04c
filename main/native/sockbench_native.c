// Sockbench's own N-API addon (plain C, no other deps): synchronous socket
// syscall wrappers (calls.c), address conversion (addr.c), Node-style errors
// (errors.c), the kernel's constants (constants.c) and one asynchronous part,
// watch() over uv_poll (watch.c): the socket worker's sockets, and in the
// main process only main/engine/wait.ts's readiness.
// Plain N-API: one build serves Node and Electron.
#include "sb.h"
#ifdef __GLIBC__
#include <malloc.h>
#endif

// Node reads every stream chunk into a fresh 64 KiB malloc'd buffer. With
// glibc's defaults the freed top of the heap goes back to the kernel, and the
// next reads fault the same pages in again, each zeroed by the kernel: on a
// TCP session receiving at full speed that halved the rate (1.5 s more kernel
// time per 4 GiB; docs/BENCHMARKS.md, "What limits the TCP figure"). Up to
// 32 MiB of freed heap stays mapped instead. Every process that owns sockets
// loads this addon first. (Electron's allocator is not glibc's: no effect there.)
static void keep_freed_heap(void) {
#ifdef __GLIBC__
  mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TOP_PAD, 4 * 1024 * 1024);
#endif
}

static napi_value init(napi_env env, napi_value exports) {
  keep_freed_heap();
  define_calls(env, exports);
  define_watch(env, exports);
  napi_value constants = make_constants(env);
  napi_set_named_property(env, exports, "constants", constants);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
