// Addresses cross as { family: 'AF_INET' | 'AF_INET6', address, port } or
// { family: 'AF_UNIX', path } ('@name' = abstract namespace, '' = unnamed).
#include "sb.h"
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#define ADDR_SHAPE "address must be { family: 'AF_INET' | 'AF_INET6', address: string, port: 0..65535 } or { family: 'AF_UNIX', path: string }"

static bool prop(napi_env env, napi_value obj, const char *name, napi_value *out) {
  napi_valuetype t;
  if (napi_typeof(env, obj, &t) != napi_ok || t != napi_object) return false;
  return napi_get_named_property(env, obj, name, out) == napi_ok;
}

// An unparsable literal is EINVAL, or EAFNOSUPPORT when it is the other family's.
static bool bad_literal(napi_env env, int other, const char *s, const char *syscall) {
  unsigned char tmp[sizeof(struct in6_addr)];
  throw_errno(env, inet_pton(other, s, tmp) == 1 ? EAFNOSUPPORT : EINVAL, syscall);
  return false;
}

static bool parse_scope(napi_env env, const char *scope, uint32_t *id, const char *syscall) {
  if (!*scope) return throw_errno(env, EINVAL, syscall), false;
  char *end;
  errno = 0;
  unsigned long n = strtoul(scope, &end, 10);
  if (*end == '\0' && scope[0] >= '0' && scope[0] <= '9') {
    if (errno || n > UINT32_MAX) return throw_errno(env, EINVAL, syscall), false;
    *id = (uint32_t)n;
    return true;
  }
  *id = if_nametoindex(scope);
  if (*id == 0) return throw_errno(env, ENODEV, syscall), false;
  return true;
}

static bool unix_from_js(napi_env env, napi_value obj, const char *syscall, struct sockaddr_storage *ss, socklen_t *len) {
  napi_value p;
  size_t n;
  char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 2];
  napi_valuetype t;
  if (!prop(env, obj, "path", &p) || napi_typeof(env, p, &t) != napi_ok || t != napi_string) return throw_type(env, ADDR_SHAPE), false;
  // Measure first: an over-long path is ENAMETOOLONG, never truncated.
  if (!get_str(env, p, path, sizeof path, &n)) return throw_errno(env, ENAMETOOLONG, syscall), false;
  struct sockaddr_un *sun = (struct sockaddr_un *)ss;
  memset(sun, 0, sizeof *sun);
  sun->sun_family = AF_UNIX;
  const size_t base = offsetof(struct sockaddr_un, sun_path);
  if (n > 0 && path[0] == '@') {
    // Abstract: a leading NUL, then exactly the name's bytes (no trailing NUL).
    if (n > sizeof sun->sun_path) return throw_errno(env, ENAMETOOLONG, syscall), false;
    memcpy(sun->sun_path + 1, path + 1, n - 1);
    *len = (socklen_t)(base + n);
    return true;
  }
  if (n + 1 > sizeof sun->sun_path) return throw_errno(env, ENAMETOOLONG, syscall), false;
  if (memchr(path, '\0', n)) return throw_errno(env, EINVAL, syscall), false;
  memcpy(sun->sun_path, path, n);
  *len = (socklen_t)(n ? base + n + 1 : sizeof(sa_family_t));
  return true;
}

bool addr_from_js(napi_env env, napi_value v, const char *syscall, struct sockaddr_storage *ss, socklen_t *len) {
  napi_value f, a, p;
  char fam[16], host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
  size_t n;
  int32_t port;
  if (!prop(env, v, "family", &f) || !get_str(env, f, fam, sizeof fam, &n)) return throw_type(env, ADDR_SHAPE), false;
  if (strcmp(fam, "AF_UNIX") == 0) return unix_from_js(env, v, syscall, ss, len);
  bool v6 = strcmp(fam, "AF_INET6") == 0;
  if (!v6 && strcmp(fam, "AF_INET") != 0) return throw_type(env, ADDR_SHAPE), false;
  if (!prop(env, v, "port", &p) || !get_int(env, p, &port) || port < 0 || port > 65535 || !prop(env, v, "address", &a))
    return throw_type(env, ADDR_SHAPE), false;
  napi_valuetype t;
  if (napi_typeof(env, a, &t) != napi_ok || t != napi_string) return throw_type(env, ADDR_SHAPE), false;
  if (!get_str(env, a, host, sizeof host, &n)) return throw_errno(env, EINVAL, syscall), false;
  memset(ss, 0, sizeof *ss);
  if (!v6) {
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) return bad_literal(env, AF_INET6, host, syscall);
    *len = sizeof *sin;
    return true;
  }
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons((uint16_t)port);
  char *pct = strchr(host, '%');
  if (pct) *pct = '\0';
  if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1) return bad_literal(env, AF_INET, host, syscall);
  if (pct && !parse_scope(env, pct + 1, &sin6->sin6_scope_id, syscall)) return false;
  *len = sizeof *sin6;
  return true;
}

static napi_value str(napi_env env, const char *s, size_t n) {
  napi_value v;
  napi_create_string_utf8(env, s, n, &v);
  return v;
}

napi_value addr_to_js(napi_env env, const struct sockaddr_storage *ss, socklen_t len) {
  napi_value obj, port;
  char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
  if (len < sizeof(sa_family_t)) return NULL;
  napi_create_object(env, &obj);
  if (ss->ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
    napi_set_named_property(env, obj, "family", str(env, "AF_INET", NAPI_AUTO_LENGTH));
    napi_set_named_property(env, obj, "address", str(env, host, NAPI_AUTO_LENGTH));
    napi_create_int32(env, ntohs(sin->sin_port), &port);
  } else if (ss->ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
    inet_ntop(AF_INET6, &sin6->sin6_addr, host, INET6_ADDRSTRLEN);
    if (sin6->sin6_scope_id) {
      char ifname[IF_NAMESIZE];
      size_t at = strlen(host);
      if (if_indextoname(sin6->sin6_scope_id, ifname)) snprintf(host + at, sizeof host - at, "%%%s", ifname);
      else snprintf(host + at, sizeof host - at, "%%%u", (unsigned)sin6->sin6_scope_id);
    }
    napi_set_named_property(env, obj, "family", str(env, "AF_INET6", NAPI_AUTO_LENGTH));
    napi_set_named_property(env, obj, "address", str(env, host, NAPI_AUTO_LENGTH));
    napi_create_int32(env, ntohs(sin6->sin6_port), &port);
  } else if (ss->ss_family == AF_UNIX) {
    const struct sockaddr_un *sun = (const struct sockaddr_un *)ss;
    const size_t base = offsetof(struct sockaddr_un, sun_path);
    size_t n = len > base ? len - base : 0;
    if (n > sizeof sun->sun_path) n = sizeof sun->sun_path;
    char path[sizeof sun->sun_path + 1];
    if (n > 0 && sun->sun_path[0] == '\0') {
      path[0] = '@';
      memcpy(path + 1, sun->sun_path + 1, n - 1);
    } else {
      n = strnlen(sun->sun_path, n);
      memcpy(path, sun->sun_path, n);
    }
    napi_set_named_property(env, obj, "family", str(env, "AF_UNIX", NAPI_AUTO_LENGTH));
    napi_set_named_property(env, obj, "path", str(env, path, n));
    return obj;
  } else {
    return NULL;
  }
  napi_set_named_property(env, obj, "port", port);
  return obj;
}
