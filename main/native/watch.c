// watch(fd, 'r' | 'w' | 'rw' | 'h' …, cb) -> { update(events), stop() } over
// libuv's uv_poll_t: the addon's only asynchronous code. The socket worker
// watches its sockets with it; the main process only in main/engine/wait.ts
// (readiness for a blocking call, a listener's accepts, a paused stream's
// reset), on descriptors libuv itself does not poll.
#include "sb.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

typedef struct watcher {
  uv_poll_t poll;
  struct watcher *next, *prev; // the env's live watchers, to refuse a second one per fd
  napi_env env;
  napi_ref cb;
  napi_async_context ctx;
  int fd;
  int js_refs;   // the update() and stop() functions not yet collected
  bool closing;  // uv_close called: the handle no longer keeps the loop alive
  bool closed;   // close callback ran
  bool env_gone; // torn down by the env's cleanup hook: no N-API calls any more
} watcher;

// libuv misbehaves with two poll handles on one fd, and its own EEXIST check
// misses a paused handle, so the env keeps its own list.
typedef struct {
  watcher *head;
} registry;

static registry *registry_of(napi_env env) {
  void *r = NULL;
  napi_get_instance_data(env, &r);
  return r;
}

static void unlink_watcher(watcher *w) {
  registry *r = registry_of(w->env);
  if (w->prev) w->prev->next = w->next;
  else if (r && r->head == w) r->head = w->next;
  if (w->next) w->next->prev = w->prev;
  w->next = w->prev = NULL;
}

static void maybe_free(watcher *w) {
  if (w->closed && w->js_refs == 0) free(w);
}

static void on_closed(uv_handle_t *h) {
  watcher *w = h->data;
  if (!w->env_gone) {
    napi_handle_scope scope;
    napi_open_handle_scope(w->env, &scope);
    napi_delete_reference(w->env, w->cb);
    napi_async_destroy(w->env, w->ctx);
    napi_close_handle_scope(w->env, scope);
  }
  w->closed = true;
  maybe_free(w);
}

static void cleanup(void *arg);

static void close_watcher(watcher *w) {
  if (w->closing) return;
  w->closing = true;
  if (!w->env_gone) {
    unlink_watcher(w);
    napi_remove_env_cleanup_hook(w->env, cleanup, w);
  }
  uv_close((uv_handle_t *)&w->poll, on_closed);
}

static void cleanup(void *arg) {
  watcher *w = arg;
  w->env_gone = true;
  close_watcher(w);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  watcher *w = h->data;
  if (w->closing) return;
  napi_env env = w->env;
  int err = status;
  // libuv reports POLLERR as EBADF and pauses the handle; the socket's own
  // pending error (ECONNREFUSED …) is the useful one. Reading it clears it.
  if (status == UV_EBADF) {
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr) err = -soerr;
  }
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value cb, recv, args[3], result;
  napi_get_reference_value(env, w->cb, &cb);
  napi_get_global(env, &recv); // make_callback wants an object receiver
  napi_create_int32(env, err, &args[0]);
  napi_get_boolean(env, err == 0 && (events & UV_READABLE), &args[1]);
  napi_get_boolean(env, err == 0 && (events & UV_WRITABLE), &args[2]);
  // make_callback, not call_function: runs nextTicks/microtasks and async hooks.
  if (napi_make_callback(env, w->ctx, recv, cb, 3, args, &result) == napi_pending_exception) {
    napi_value ex;
    napi_get_and_clear_last_exception(env, &ex);
    napi_fatal_exception(env, ex);
  }
  napi_close_handle_scope(env, scope);
}

// Any of r (readable), w (writable), h (the peer hung up or reset: POLLRDHUP),
// each at most once; '' only where allowed (update: pause).
static int parse_events(napi_env env, napi_value v, bool allow_none) {
  char s[5];
  size_t n;
  if (!get_str(env, v, s, sizeof s, &n) || n > 3) return -1;
  int ev = 0;
  for (size_t i = 0; i < n; i++) {
    int bit = s[i] == 'r' ? UV_READABLE : s[i] == 'w' ? UV_WRITABLE : s[i] == 'h' ? UV_DISCONNECT : 0;
    if (!bit || (ev & bit)) return -1;
    ev |= bit;
  }
  return ev || allow_none ? ev : -1;
}

static watcher *self(napi_env env, napi_callback_info info, napi_value *argv, size_t argc) {
  void *data = NULL;
  napi_get_cb_info(env, info, &argc, argv, NULL, &data);
  return data;
}

// update('' ) pauses without closing; after stop() it does nothing.
static napi_value js_update(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  watcher *w = self(env, info, argv, 1);
  int ev = parse_events(env, argv[0], true);
  if (ev < 0) return throw_type(env, "update(events: 'r' | 'w' | 'rw' | 'h' … | '')");
  if (w->closing) return undefined(env);
  int rc = ev ? uv_poll_start(&w->poll, ev, on_poll) : uv_poll_stop(&w->poll);
  return rc ? throw_errno(env, -rc, "watch") : undefined(env);
}

// Idempotent and safe inside the callback: memory goes in the close callback.
static napi_value js_stop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  close_watcher(self(env, info, argv, 0));
  return undefined(env);
}

static void on_fn_collected(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  watcher *w = data;
  w->js_refs--;
  maybe_free(w);
}

static napi_value method(napi_env env, napi_value obj, const char *name, napi_callback fn, watcher *w) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, w, &f);
  napi_add_finalizer(env, f, w, on_fn_collected, NULL, NULL);
  w->js_refs++;
  napi_set_named_property(env, obj, name, f);
  return f;
}

static napi_value js_watch(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t fd;
  napi_valuetype t;
  int ev = parse_events(env, argv[1], false);
  if (!get_fd(env, argv[0], &fd) || ev < 0 || napi_typeof(env, argv[2], &t) != napi_ok || t != napi_function)
    return throw_type(env, "watch(fd: number, events: 'r' | 'w' | 'rw' | 'h' …, callback: (err, readable, writable) => void)");
  uv_loop_t *loop;
  registry *reg = registry_of(env);
  if (!reg || napi_get_uv_event_loop(env, &loop) != napi_ok) return throw_errno(env, ENOSYS, "watch");
  for (watcher *o = reg->head; o; o = o->next)
    if (o->fd == fd) return throw_errno(env, EEXIST, "watch");
  watcher *w = calloc(1, sizeof *w);
  if (!w) return throw_errno(env, ENOMEM, "watch");
  // Fails with EEXIST when the fd is already polled in this loop.
  int rc = uv_poll_init(loop, &w->poll, fd);
  if (rc) {
    free(w);
    return throw_errno(env, -rc, "watch");
  }
  w->env = env;
  w->fd = fd;
  w->poll.data = w;
  w->next = reg->head;
  if (reg->head) reg->head->prev = w;
  reg->head = w;
  napi_value name, obj;
  napi_create_reference(env, argv[2], 1, &w->cb);
  napi_create_string_utf8(env, "sockbench.watch", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &w->ctx);
  napi_add_env_cleanup_hook(env, cleanup, w);
  rc = uv_poll_start(&w->poll, ev, on_poll);
  if (rc) {
    close_watcher(w);
    return throw_errno(env, -rc, "watch");
  }
  napi_create_object(env, &obj);
  method(env, obj, "update", js_update, w);
  method(env, obj, "stop", js_stop, w);
  return obj;
}

static void free_registry(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

void define_watch(napi_env env, napi_value exports) {
  registry *r = calloc(1, sizeof *r);
  if (r) napi_set_instance_data(env, r, free_registry, NULL);
  napi_property_descriptor p = {"watch", NULL, js_watch, NULL, NULL, NULL, napi_enumerable, NULL};
  napi_define_properties(env, exports, 1, &p);
}
