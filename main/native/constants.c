// The kernel's numeric values, so the JS side's socket-option catalogue and
// poll/shutdown/msg flags are the platform's own, never guessed.
#include "sb.h"
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>

#define C(x) {#x, x},
static const sb_const table[] = {
  C(AF_UNSPEC) C(AF_INET) C(AF_INET6) C(AF_UNIX)
  C(SOCK_STREAM) C(SOCK_DGRAM) C(SOCK_SEQPACKET) C(SOCK_RAW) C(SOCK_NONBLOCK) C(SOCK_CLOEXEC)
  C(SOL_SOCKET) C(IPPROTO_IP) C(IPPROTO_IPV6) C(IPPROTO_TCP) C(IPPROTO_UDP)
  C(SO_REUSEADDR) C(SO_REUSEPORT) C(SO_KEEPALIVE) C(SO_LINGER) C(SO_RCVBUF) C(SO_SNDBUF)
  C(SO_RCVLOWAT) C(SO_SNDLOWAT) C(SO_BROADCAST) C(SO_RCVTIMEO) C(SO_SNDTIMEO) C(SO_ERROR)
  C(SO_TYPE) C(SO_ACCEPTCONN)
#ifdef SO_DOMAIN
  C(SO_DOMAIN) C(SO_PROTOCOL)
#endif
#ifdef SO_TIMESTAMPNS
  C(SO_TIMESTAMPNS)
#endif
#ifdef SO_RCVBUFFORCE
  C(SO_RCVBUFFORCE)
#endif
  C(TCP_NODELAY) C(TCP_KEEPIDLE) C(TCP_KEEPINTVL) C(TCP_KEEPCNT) C(TCP_MAXSEG)
#ifdef TCP_QUICKACK
  C(TCP_QUICKACK) C(TCP_INFO) C(TCP_CONGESTION)
#endif
  C(IP_TTL) C(IP_TOS) C(IP_MULTICAST_TTL) C(IP_MULTICAST_LOOP) C(IP_MULTICAST_IF)
  C(IPV6_V6ONLY) C(IPV6_UNICAST_HOPS) C(IPV6_MULTICAST_HOPS) C(IPV6_MULTICAST_LOOP) C(IPV6_TCLASS)
  C(MSG_PEEK) C(MSG_DONTWAIT) C(MSG_TRUNC) C(MSG_WAITALL) C(MSG_NOSIGNAL)
  C(POLLIN) C(POLLOUT) C(POLLERR) C(POLLHUP) C(POLLNVAL) C(POLLPRI)
  C(SHUT_RD) C(SHUT_WR) C(SHUT_RDWR)
#ifdef POLLRDHUP
  C(POLLRDHUP)
#endif
};
#undef C

static void put(napi_env env, napi_value obj, const sb_const *c) {
  napi_value v;
  napi_create_int32(env, c->value, &v);
  napi_set_named_property(env, obj, c->name, v);
}

napi_value make_constants(napi_env env) {
  napi_value obj;
  napi_create_object(env, &obj);
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) put(env, obj, &table[i]);
  for (size_t i = 0; i < sb_errnos_len; i++) put(env, obj, &sb_errnos[i]);
  napi_object_freeze(env, obj);
  return obj;
}
