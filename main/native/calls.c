// Synchronous socket syscalls. Each failure throws a Node-style system error;
// EAGAIN from the data calls is a null result instead, as is normal for
// non-blocking sockets.
#include "sb.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_BUF (64 * 1024 * 1024)
#define MAX_OPT 65536

static napi_value num(napi_env env, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return v;
}

static napi_value null_value(napi_env env) {
  napi_value v;
  napi_get_null(env, &v);
  return v;
}

static napi_value boolean(napi_env env, bool b) {
  napi_value v;
  napi_get_boolean(env, b, &v);
  return v;
}

static bool would_block(int e) {
  return e == EAGAIN || e == EWOULDBLOCK;
}

static int pick(napi_env env, napi_value v, const char *const names[], const int values[], size_t count) {
  char s[32];
  size_t n;
  if (!get_str(env, v, s, sizeof s, &n)) return -1;
  for (size_t i = 0; i < count; i++)
    if (strcmp(s, names[i]) == 0) return values[i];
  return -1;
}

// socket(family, type, protocol = 0, nonblocking = false) -> fd; always CLOEXEC.
static napi_value js_socket(napi_env env, napi_callback_info info) {
  ARGS(4);
  static const char *const fams[] = {"AF_INET", "AF_INET6", "AF_UNIX"};
  static const int famv[] = {AF_INET, AF_INET6, AF_UNIX};
  static const char *const types[] = {"SOCK_STREAM", "SOCK_DGRAM", "SOCK_SEQPACKET"};
  static const int typev[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
  int fam = pick(env, argv[0], fams, famv, 3), type = pick(env, argv[1], types, typev, 3);
  int32_t proto;
  bool nb;
  if (fam < 0 || type < 0 || !get_opt_int(env, argv[2], 0, &proto) || !get_opt_bool(env, argv[3], false, &nb))
    return throw_type(env, "socket(family: 'AF_INET' | 'AF_INET6' | 'AF_UNIX', type: 'SOCK_STREAM' | 'SOCK_DGRAM' | 'SOCK_SEQPACKET', protocol?: number, nonblocking?: boolean)");
  int fd = socket(fam, type | SOCK_CLOEXEC | (nb ? SOCK_NONBLOCK : 0), proto);
  if (fd < 0) return throw_errno(env, errno, "socket");
  return num(env, fd);
}

static napi_value js_bind(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  struct sockaddr_storage ss;
  socklen_t len;
  if (!get_fd(env, argv[0], &fd)) return throw_type(env, "bind(fd: number, addr)");
  if (!addr_from_js(env, argv[1], "bind", &ss, &len)) return NULL;
  if (bind(fd, (struct sockaddr *)&ss, len) < 0) return throw_errno(env, errno, "bind");
  return undefined(env);
}

static napi_value js_listen(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd, backlog;
  if (!get_fd(env, argv[0], &fd) || !get_int(env, argv[1], &backlog)) return throw_type(env, "listen(fd: number, backlog: number)");
  if (listen(fd, backlog) < 0) return throw_errno(env, errno, "listen");
  return undefined(env);
}

// connect -> true when connected now, false when EINPROGRESS (non-blocking).
static napi_value js_connect(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  struct sockaddr_storage ss;
  socklen_t len;
  if (!get_fd(env, argv[0], &fd)) return throw_type(env, "connect(fd: number, addr)");
  if (!addr_from_js(env, argv[1], "connect", &ss, &len)) return NULL;
  if (connect(fd, (struct sockaddr *)&ss, len) == 0) return boolean(env, true);
  if (errno == EINPROGRESS) return boolean(env, false);
  return throw_errno(env, errno, "connect");
}

// accept -> { fd, peer } | null (nothing pending); the new fd is non-blocking.
static napi_value js_accept(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!get_fd(env, argv[0], &fd)) return throw_type(env, "accept(fd: number)");
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int c = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (c < 0) return would_block(errno) ? null_value(env) : throw_errno(env, errno, "accept");
  napi_value obj, peer = addr_to_js(env, &ss, len);
  napi_create_object(env, &obj);
  napi_set_named_property(env, obj, "fd", num(env, c));
  napi_set_named_property(env, obj, "peer", peer ? peer : null_value(env));
  return obj;
}

static napi_value name_of(napi_env env, napi_callback_info info, bool peer) {
  ARGS(1);
  const char *call = peer ? "getpeername" : "getsockname";
  int32_t fd;
  if (!get_fd(env, argv[0], &fd)) return throw_type(env, peer ? "getpeername(fd: number)" : "getsockname(fd: number)");
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int rc = peer ? getpeername(fd, (struct sockaddr *)&ss, &len) : getsockname(fd, (struct sockaddr *)&ss, &len);
  if (rc < 0) return throw_errno(env, errno, call);
  napi_value a = addr_to_js(env, &ss, len);
  return a ? a : throw_errno(env, EAFNOSUPPORT, call);
}

static napi_value js_getsockname(napi_env env, napi_callback_info info) {
  return name_of(env, info, false);
}

static napi_value js_getpeername(napi_env env, napi_callback_info info) {
  return name_of(env, info, true);
}

// sendto(fd, data, addr | null, flags) and send(fd, data, flags) -> bytes | null.
static napi_value do_send(napi_env env, napi_value *argv, bool to) {
  const char *call = to ? "sendto" : "send";
  int32_t fd, flags;
  void *data;
  size_t len;
  struct sockaddr_storage ss;
  socklen_t slen = 0;
  if (!get_fd(env, argv[0], &fd) || !get_bytes(env, argv[1], &data, &len) || !get_opt_int(env, argv[to ? 3 : 2], 0, &flags))
    return throw_type(env, to ? "sendto(fd: number, data: Uint8Array, addr | null, flags?: number)" : "send(fd: number, data: Uint8Array, flags?: number)");
  if (to && !is_nullish(env, argv[2]) && !addr_from_js(env, argv[2], call, &ss, &slen)) return NULL;
  ssize_t n = sendto(fd, len ? data : "", len, flags | MSG_NOSIGNAL, slen ? (struct sockaddr *)&ss : NULL, slen);
  if (n < 0) return would_block(errno) ? null_value(env) : throw_errno(env, errno, call);
  return num(env, (double)n);
}

static napi_value js_send(napi_env env, napi_callback_info info) {
  ARGS(3);
  return do_send(env, argv, false);
}

static napi_value js_sendto(napi_env env, napi_callback_info info) {
  ARGS(4);
  return do_send(env, argv, true);
}

// recv(fd, bufsize, flags) -> { data, truncated, from } | null, via recvmsg so
// datagram sources and MSG_TRUNC come with the bytes.
static napi_value js_recv(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t fd, size, flags;
  if (!get_fd(env, argv[0], &fd) || !get_int(env, argv[1], &size) || size < 0 || size > MAX_BUF || !get_opt_int(env, argv[2], 0, &flags))
    return throw_type(env, "recv(fd: number, bufsize: 0..67108864, flags?: number)");
  char *buf = malloc(size ? (size_t)size : 1);
  if (!buf) return throw_errno(env, ENOMEM, "recv");
  struct sockaddr_storage ss;
  struct iovec iov = {buf, (size_t)size};
  struct msghdr msg = {0};
  msg.msg_name = &ss;
  msg.msg_namelen = sizeof ss;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  ssize_t n = recvmsg(fd, &msg, flags);
  int e = errno;
  napi_value data = NULL, obj, from = NULL;
  // With MSG_TRUNC in flags the kernel returns the datagram's real length.
  if (n >= 0) napi_create_buffer_copy(env, n > size ? (size_t)size : (size_t)n, buf, NULL, &data);
  free(buf);
  if (n < 0) return would_block(e) ? null_value(env) : throw_errno(env, e, "recv");
  if (msg.msg_namelen > 0) from = addr_to_js(env, &ss, msg.msg_namelen);
  napi_create_object(env, &obj);
  napi_set_named_property(env, obj, "data", data);
  napi_set_named_property(env, obj, "truncated", boolean(env, (msg.msg_flags & MSG_TRUNC) != 0));
  napi_value length;
  napi_create_int64(env, n, &length);
  napi_set_named_property(env, obj, "length", length);
  napi_set_named_property(env, obj, "from", from ? from : null_value(env));
  return obj;
}

// recvMany(fd, max) -> { data, lengths, ageUs, from } | null: up to `max`
// (1..64) datagrams in one recvmmsg(MSG_DONTWAIT), for a socket that
// auto-reads a flood. One JS call and one buffer per batch instead of one
// callback, one 64 KiB allocation and one address object per datagram, as
// dgram does. `data` holds the datagrams back to back, `lengths` says where
// each ends; from[i] is the same object as from[i - 1] when the source did
// not change. ageUs[i] is how long ago the kernel received datagram i (its
// SO_TIMESTAMPNS stamp against CLOCK_REALTIME now; 0 without a stamp), so a
// batch read late still tells each datagram's own arrival. Each slot holds
// 64 KiB: no UDP datagram over IP is longer.
#define MANY_MAX 64
#define MANY_SLOT 65536
static char *many_scratch;

static napi_value js_recv_many(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd, max;
  if (!get_fd(env, argv[0], &fd) || !get_int(env, argv[1], &max) || max < 1 || max > MANY_MAX)
    return throw_type(env, "recvMany(fd: number, max: 1..64)");
  if (!many_scratch && !(many_scratch = malloc((size_t)MANY_MAX * MANY_SLOT))) return throw_errno(env, ENOMEM, "recvmmsg");
  struct mmsghdr msgs[MANY_MAX];
  struct iovec iov[MANY_MAX];
  struct sockaddr_storage ss[MANY_MAX];
  union {
    char buf[CMSG_SPACE(sizeof(struct timespec))];
    struct cmsghdr align;
  } ctl[MANY_MAX];
  memset(msgs, 0, sizeof msgs[0] * (size_t)max);
  for (int i = 0; i < max; i++) {
    iov[i].iov_base = many_scratch + (size_t)i * MANY_SLOT;
    iov[i].iov_len = MANY_SLOT;
    msgs[i].msg_hdr.msg_name = &ss[i];
    msgs[i].msg_hdr.msg_namelen = sizeof ss[i];
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_control = ctl[i].buf;
    msgs[i].msg_hdr.msg_controllen = sizeof ctl[i].buf;
  }
  int n = recvmmsg(fd, msgs, (unsigned)max, MSG_DONTWAIT, NULL);
  if (n < 0) return would_block(errno) ? null_value(env) : throw_errno(env, errno, "recvmmsg");
  size_t total = 0;
  for (int i = 0; i < n; i++) total += msgs[i].msg_len;
  void *out;
  napi_value data, lengths_ab, lengths, ages_ab, ages, from, obj, prev = NULL;
  napi_create_buffer(env, total, &out, &data);
  void *lens;
  napi_create_arraybuffer(env, (size_t)n * 4, &lens, &lengths_ab);
  napi_create_typedarray(env, napi_uint32_array, (size_t)n, lengths_ab, 0, &lengths);
  void *age;
  napi_create_arraybuffer(env, (size_t)n * 4, &age, &ages_ab);
  napi_create_typedarray(env, napi_uint32_array, (size_t)n, ages_ab, 0, &ages);
  napi_create_array_with_length(env, (size_t)n, &from);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  size_t at = 0;
  for (int i = 0; i < n; i++) {
    memcpy((char *)out + at, iov[i].iov_base, msgs[i].msg_len);
    at += msgs[i].msg_len;
    ((uint32_t *)lens)[i] = msgs[i].msg_len;
    ((uint32_t *)age)[i] = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
      struct timespec t;
      memcpy(&t, CMSG_DATA(c), sizeof t);
      int64_t us = ((int64_t)now.tv_sec - t.tv_sec) * 1000000 + (now.tv_nsec - t.tv_nsec) / 1000;
      ((uint32_t *)age)[i] = us <= 0 ? 0 : us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
    }
    socklen_t len = msgs[i].msg_hdr.msg_namelen;
    bool same = i > 0 && prev && len == msgs[i - 1].msg_hdr.msg_namelen && memcmp(&ss[i], &ss[i - 1], len) == 0;
    if (!same) {
      prev = len > 0 ? addr_to_js(env, &ss[i], len) : NULL;
      if (!prev) prev = null_value(env);
    }
    napi_set_element(env, from, (uint32_t)i, prev);
  }
  napi_create_object(env, &obj);
  napi_set_named_property(env, obj, "data", data);
  napi_set_named_property(env, obj, "lengths", lengths);
  napi_set_named_property(env, obj, "ageUs", ages);
  napi_set_named_property(env, obj, "from", from);
  return obj;
}

static napi_value js_shutdown(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd, how;
  if (!get_fd(env, argv[0], &fd) || !get_int(env, argv[1], &how) || how < 0 || how > 2) return throw_type(env, "shutdown(fd: number, how: 0 | 1 | 2)");
  if (shutdown(fd, how) < 0) return throw_errno(env, errno, "shutdown");
  return undefined(env);
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!get_fd(env, argv[0], &fd)) return throw_type(env, "close(fd: number)");
  // On Linux the descriptor is gone even when close reports EINTR.
  if (close(fd) < 0 && errno != EINTR) return throw_errno(env, errno, "close");
  return undefined(env);
}

static napi_value js_dup(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!get_fd(env, argv[0], &fd)) return throw_type(env, "dup(fd: number)");
  int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (d < 0) return throw_errno(env, errno, "dup");
  return num(env, d);
}

static napi_value js_set_nonblocking(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  bool on;
  if (!get_fd(env, argv[0], &fd) || is_nullish(env, argv[1]) || !get_opt_bool(env, argv[1], false, &on)) return throw_type(env, "setNonBlocking(fd: number, on: boolean)");
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) < 0) return throw_errno(env, errno, "fcntl");
  return undefined(env);
}

static napi_value js_setsockopt(napi_env env, napi_callback_info info) {
  ARGS(4);
  int32_t fd, level, name;
  void *data;
  size_t len;
  if (!get_fd(env, argv[0], &fd) || !get_int(env, argv[1], &level) || !get_int(env, argv[2], &name) || !get_bytes(env, argv[3], &data, &len) || len > MAX_OPT)
    return throw_type(env, "setsockopt(fd: number, level: number, name: number, value: Uint8Array)");
  if (setsockopt(fd, level, name, len ? data : "", (socklen_t)len) < 0) return throw_errno(env, errno, "setsockopt");
  return undefined(env);
}

// getsockopt -> exactly the bytes the kernel wrote (at most maxLen).
static napi_value js_getsockopt(napi_env env, napi_callback_info info) {
  ARGS(4);
  int32_t fd, level, name, max;
  if (!get_fd(env, argv[0], &fd) || !get_int(env, argv[1], &level) || !get_int(env, argv[2], &name) || !get_int(env, argv[3], &max) || max < 0 || max > MAX_OPT)
    return throw_type(env, "getsockopt(fd: number, level: number, name: number, maxLen: 0..65536)");
  char *buf = calloc(1, max ? (size_t)max : 1);
  if (!buf) return throw_errno(env, ENOMEM, "getsockopt");
  socklen_t len = (socklen_t)max;
  int rc = getsockopt(fd, level, name, buf, &len);
  int e = errno;
  napi_value out = NULL;
  if (rc == 0) napi_create_buffer_copy(env, len < (socklen_t)max ? len : (size_t)max, buf, NULL, &out);
  free(buf);
  return rc == 0 ? out : throw_errno(env, e, "getsockopt");
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// poll(fd, events, timeoutMs) -> revents (0 on timeout); a negative timeout waits.
static napi_value js_poll(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t fd, events, timeout;
  if (!get_fd(env, argv[0], &fd) || !get_int(env, argv[1], &events) || !get_int(env, argv[2], &timeout))
    return throw_type(env, "poll(fd: number, events: number, timeoutMs: number)");
  struct pollfd p = {fd, (short)events, 0};
  int64_t deadline = now_ms() + timeout;
  for (;;) {
    int rc = poll(&p, 1, timeout);
    if (rc >= 0) return num(env, rc ? p.revents : 0);
    if (errno != EINTR) return throw_errno(env, errno, "poll");
    if (timeout > 0) {
      int64_t left = deadline - now_ms();
      timeout = left > 0 ? (int32_t)left : 0;
    }
  }
}

#define FN(js, c) {js, NULL, c, NULL, NULL, NULL, napi_enumerable, NULL}
void define_calls(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    FN("socket", js_socket), FN("bind", js_bind), FN("listen", js_listen), FN("connect", js_connect),
    FN("accept", js_accept), FN("getsockname", js_getsockname), FN("getpeername", js_getpeername),
    FN("send", js_send), FN("sendto", js_sendto), FN("recv", js_recv), FN("recvMany", js_recv_many), FN("shutdown", js_shutdown),
    FN("close", js_close), FN("dup", js_dup), FN("setNonBlocking", js_set_nonblocking),
    FN("setsockopt", js_setsockopt), FN("getsockopt", js_getsockopt), FN("poll", js_poll),
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
