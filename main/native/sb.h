// Shared by the addon's C files: error throwing, argument reading, and the
// conversion between JS address objects and struct sockaddr.
#ifndef SB_H
#define SB_H
#define _GNU_SOURCE
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ARGS(n)                                                \
  size_t argc = (n);                                           \
  napi_value argv[(n)];                                        \
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL)

typedef struct {
  const char *name;
  int value;
} sb_const;

extern const sb_const sb_errnos[];
extern const size_t sb_errnos_len;

// Fills buf (>= 16 bytes) with "EAGAIN", or "E<n>" for an errno we do not name.
const char *errno_name(int e, char buf[16]);
napi_value throw_errno(napi_env env, int e, const char *syscall);
napi_value throw_type(napi_env env, const char *msg);

// Readers return false (nothing thrown) when the value has the wrong type.
bool get_int(napi_env env, napi_value v, int32_t *out);
bool get_fd(napi_env env, napi_value v, int32_t *out);
bool get_opt_int(napi_env env, napi_value v, int32_t dflt, int32_t *out);
bool get_opt_bool(napi_env env, napi_value v, bool dflt, bool *out);
bool get_bytes(napi_env env, napi_value v, void **data, size_t *len);
// Copies a JS string into buf; false if not a string or it does not fit.
bool get_str(napi_env env, napi_value v, char *buf, size_t size, size_t *len);
bool is_nullish(napi_env env, napi_value v);
napi_value undefined(napi_env env);

// JS address -> sockaddr. False with an exception pending (a TypeError for a
// malformed object, a system error such as ENAMETOOLONG carrying `syscall`).
bool addr_from_js(napi_env env, napi_value v, const char *syscall, struct sockaddr_storage *ss, socklen_t *len);
// sockaddr -> JS address; NULL when the family is none of ours or len is 0.
napi_value addr_to_js(napi_env env, const struct sockaddr_storage *ss, socklen_t len);

void define_calls(napi_env env, napi_value exports);
void define_watch(napi_env env, napi_value exports);
napi_value make_constants(napi_env env);

#endif
