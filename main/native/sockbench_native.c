// Sockbench's own N-API addon (plain C, no other deps): synchronous socket
// syscall wrappers (calls.c), address conversion (addr.c), Node-style errors
// (errors.c), the kernel's constants (constants.c) and one asynchronous part,
// watch() over uv_poll (watch.c): the socket worker's sockets, and in the
// main process only main/engine/wait.ts's readiness.
// Plain N-API: one build serves Node and Electron.
#include "sb.h"

static napi_value init(napi_env env, napi_value exports) {
  define_calls(env, exports);
  define_watch(env, exports);
  napi_value constants = make_constants(env);
  napi_set_named_property(env, exports, "constants", constants);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
