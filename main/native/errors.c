// Errors shaped like Node's system errors, and the argument readers.
#include "sb.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

// First match wins in errno_name, so EAGAIN shadows EWOULDBLOCK and
// EOPNOTSUPP shadows ENOTSUP where the kernel gives them one number.
#define E(x) {#x, x},
const sb_const sb_errnos[] = {
  E(EAGAIN) E(EWOULDBLOCK) E(EINPROGRESS) E(EALREADY) E(EISCONN) E(ENOTCONN)
  E(ECONNREFUSED) E(ECONNRESET) E(ECONNABORTED) E(EPIPE) E(ETIMEDOUT) E(EMSGSIZE)
  E(ENOPROTOOPT) E(EOPNOTSUPP) E(ENOTSUP) E(EPROTOTYPE) E(EPROTONOSUPPORT) E(ESOCKTNOSUPPORT)
  E(EPFNOSUPPORT) E(EAFNOSUPPORT) E(EADDRINUSE) E(EADDRNOTAVAIL) E(ENETDOWN) E(ENETUNREACH)
  E(ENETRESET) E(EHOSTDOWN) E(EHOSTUNREACH) E(EDESTADDRREQ) E(ESHUTDOWN) E(ETOOMANYREFS)
  E(ENOTSOCK) E(EPROTO) E(ENOBUFS) E(ENOMEM) E(EMFILE) E(ENFILE) E(EBADF) E(EINVAL)
  E(EINTR) E(EFAULT) E(EPERM) E(EACCES) E(ENOENT) E(ENOTDIR) E(EISDIR) E(EROFS)
  E(ENAMETOOLONG) E(ELOOP) E(EEXIST) E(ENODEV) E(ENXIO) E(EIO) E(ENOSPC) E(EBUSY)
  E(ENOSYS) E(ENOTTY) E(ERANGE) E(EOVERFLOW) E(ESPIPE) E(EXDEV) E(ECANCELED)
#ifdef ENONET
  E(ENONET)
#endif
};
#undef E
const size_t sb_errnos_len = sizeof sb_errnos / sizeof sb_errnos[0];

const char *errno_name(int e, char buf[16]) {
  for (size_t i = 0; i < sb_errnos_len; i++)
    if (sb_errnos[i].value == e) return sb_errnos[i].name;
  snprintf(buf, 16, "E%d", e);
  return buf;
}

// message "EADDRINUSE: Address already in use, bind", code, errno -98, syscall.
napi_value throw_errno(napi_env env, int e, const char *syscall) {
  char nbuf[16], msg[200];
  const char *name = errno_name(e, nbuf);
  snprintf(msg, sizeof msg, "%s: %s, %s", name, strerror(e), syscall);
  napi_value message, error, code, num, sc;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, NULL, message, &error);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_int32(env, -e, &num);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, error, "code", code);
  napi_set_named_property(env, error, "errno", num);
  napi_set_named_property(env, error, "syscall", sc);
  napi_throw(env, error);
  return NULL;
}

napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

static napi_valuetype type_of(napi_env env, napi_value v) {
  napi_valuetype t = napi_undefined;
  napi_typeof(env, v, &t);
  return t;
}

bool is_nullish(napi_env env, napi_value v) {
  napi_valuetype t = type_of(env, v);
  return t == napi_undefined || t == napi_null;
}

// Integers only: 1.5 or NaN are refused rather than silently truncated.
bool get_int(napi_env env, napi_value v, int32_t *out) {
  double d;
  if (type_of(env, v) != napi_number || napi_get_value_double(env, v, &d) != napi_ok) return false;
  if (!(d >= INT32_MIN && d <= INT32_MAX) || d != (double)(int32_t)d) return false;
  *out = (int32_t)d;
  return true;
}

bool get_fd(napi_env env, napi_value v, int32_t *out) {
  return get_int(env, v, out) && *out >= 0;
}

bool get_opt_int(napi_env env, napi_value v, int32_t dflt, int32_t *out) {
  if (type_of(env, v) == napi_undefined) {
    *out = dflt;
    return true;
  }
  return get_int(env, v, out);
}

bool get_opt_bool(napi_env env, napi_value v, bool dflt, bool *out) {
  napi_valuetype t = type_of(env, v);
  if (t == napi_undefined) {
    *out = dflt;
    return true;
  }
  return t == napi_boolean && napi_get_value_bool(env, v, out) == napi_ok;
}

// A Uint8Array (Buffer included).
bool get_bytes(napi_env env, napi_value v, void **data, size_t *len) {
  bool is = false;
  napi_typedarray_type tt;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  if (napi_get_typedarray_info(env, v, &tt, len, data, NULL, NULL) != napi_ok) return false;
  return tt == napi_uint8_array;
}

bool get_str(napi_env env, napi_value v, char *buf, size_t size, size_t *len) {
  size_t need;
  if (type_of(env, v) != napi_string || napi_get_value_string_utf8(env, v, NULL, 0, &need) != napi_ok) return false;
  if (need + 1 > size) return false;
  return napi_get_value_string_utf8(env, v, buf, size, len) == napi_ok;
}
