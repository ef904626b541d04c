// The few socket calls Node's net module cannot make on their own: socket()
// and bind() without listen() or connect(), so that bind shows the ephemeral
// port before the user decides to listen or connect. The descriptor is then
// handed to Node (net.Server#listen({fd}) or new net.Socket({fd})).
// Plain N-API: one build serves Node and Electron.
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <unistd.h>

static const char *errno_name(int e) {
  switch (e) {
    case EACCES: return "EACCES";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOBUFS: return "ENOBUFS";
    case ENOMEM: return "ENOMEM";
    case ENOTSOCK: return "ENOTSOCK";
    case EPERM: return "EPERM";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    default: return "EUNKNOWN";
  }
}

// Throws an Error like Node's: message "EADDRINUSE: …", code "EADDRINUSE", errno -98, syscall.
static napi_value throw_errno(napi_env env, int e, const char *syscall) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s, %s", errno_name(e), strerror(e), syscall);
  napi_value message, error, code, num, sc;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, NULL, message, &error);
  napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &code);
  napi_create_int32(env, -e, &num);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, error, "code", code);
  napi_set_named_property(env, error, "errno", num);
  napi_set_named_property(env, error, "syscall", sc);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

static int get_int_arg(napi_env env, napi_value v, int32_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return 0;
  return napi_get_value_int32(env, v, out) == napi_ok;
}

// socket(family: 4 | 6, stream: boolean) -> fd
static napi_value js_socket(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fam;
  bool stream;
  if (argc < 2 || !get_int_arg(env, argv[0], &fam) || (fam != 4 && fam != 6) ||
      napi_get_value_bool(env, argv[1], &stream) != napi_ok)
    return throw_type(env, "socket(family: 4 | 6, stream: boolean)");
  int fd = socket(fam == 4 ? AF_INET : AF_INET6, (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  napi_value r;
  napi_create_int32(env, fd, &r);
  return r;
}

// bind(fd, address: string, port: number); the address may carry an IPv6 %scope.
static napi_value js_bind(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd, port;
  char host[128];
  size_t len;
  if (argc < 3 || !get_int_arg(env, argv[0], &fd) || !get_int_arg(env, argv[2], &port) || port < 0 || port > 65535 ||
      napi_get_value_string_utf8(env, argv[1], host, sizeof host, &len) != napi_ok || len >= sizeof host - 1)
    return throw_type(env, "bind(fd: number, address: string, port: 0..65535)");
  struct sockaddr_storage ss;
  socklen_t sslen = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0) return throw_errno(env, errno, "bind");
  struct addrinfo hints = {0}, *res = NULL;
  hints.ai_family = ss.ss_family;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  char serv[8];
  snprintf(serv, sizeof serv, "%d", port);
  int rc = getaddrinfo(host, serv, &hints, &res);
  if (rc != 0) return throw_errno(env, rc == EAI_FAMILY || rc == EAI_ADDRFAMILY ? EAFNOSUPPORT : EINVAL, "bind");
  int b = bind(fd, res->ai_addr, res->ai_addrlen);
  int e = errno;
  freeaddrinfo(res);
  if (b < 0) return throw_errno(env, e, "bind");
  return NULL;
}

// getsockname(fd) -> { address, port }
static napi_value js_getsockname(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  if (argc < 1 || !get_int_arg(env, argv[0], &fd)) return throw_type(env, "getsockname(fd: number)");
  struct sockaddr_storage ss;
  socklen_t sslen = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0) return throw_errno(env, errno, "getsockname");
  char host[NI_MAXHOST], serv[NI_MAXSERV];
  if (getnameinfo((struct sockaddr *)&ss, sslen, host, sizeof host, serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    return throw_errno(env, EINVAL, "getsockname");
  napi_value obj, a, p;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, host, NAPI_AUTO_LENGTH, &a);
  napi_create_int32(env, atoi(serv), &p);
  napi_set_named_property(env, obj, "address", a);
  napi_set_named_property(env, obj, "port", p);
  return obj;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  if (argc < 1 || !get_int_arg(env, argv[0], &fd)) return throw_type(env, "close(fd: number)");
  if (close(fd) < 0) return throw_errno(env, errno, "close");
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"socket", NULL, js_socket, NULL, NULL, NULL, napi_default, NULL},
    {"bind", NULL, js_bind, NULL, NULL, NULL, napi_default, NULL},
    {"getsockname", NULL, js_getsockname, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
