// sockbench_stamp: the raw helper's only native code besides raw-socket.
// raw-socket reads with recvfrom() and keeps its descriptor private, so the
// kernel's receive timestamp (what ping uses) is fetched here instead:
// rawSocketFds() finds the descriptor raw-socket just opened, and
// rxStampNs(fd) asks the kernel (SIOCGSTAMPNS) when the last packet read on
// it arrived, on CLOCK_MONOTONIC. sendStamped(fd, bytes, address) is
// sendto(2) on that descriptor with the send time read in C right before
// the call, so no garbage collection or JavaScript sits between the stamp
// and the send (ping stamps the same way). floodSend and floodRecv are a
// flood's loops in C (a packet each through JavaScript held it near 0.6×
// hping3): a batch of echo requests with the sequence counted up, each
// stamped just before its sendto(2), and a batch of reads whose echo replies
// to the flood are summed up as (sequence, stamp, TTL) records. A small addon
// of its own so the privileged helper loads no socket-making code beyond
// raw-socket.
#define _GNU_SOURCE
#include <node_api.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
#ifdef __linux__
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#endif

#include "stamp.h"

#define MAX_SCAN 65536

#ifdef __linux__
static bool is_raw(int fd) {
  int type = 0;
  socklen_t len = sizeof type;
  return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_RAW;
}

static void push_fd(napi_env env, napi_value out, uint32_t *n, int fd) {
  napi_value v;
  napi_create_int32(env, fd, &v);
  napi_set_element(env, out, (*n)++, v);
}
#endif

// [fd, …] of every open SOCK_RAW socket of this process (empty off Linux):
// the descriptors /proc/self/fd lists, else every one below RLIMIT_NOFILE.
static napi_value raw_socket_fds(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_create_array(env, &out);
#ifdef __linux__
  uint32_t n = 0;
  DIR *dir = opendir("/proc/self/fd");
  if (dir) {
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
      char *end;
      long fd = strtol(e->d_name, &end, 10);
      if (end == e->d_name || *end || fd == dirfd(dir)) continue;
      if (is_raw((int)fd)) push_fd(env, out, &n, (int)fd);
    }
    closedir(dir);
    return out;
  }
  struct rlimit rl;
  rlim_t limit = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
  if (limit > MAX_SCAN) limit = MAX_SCAN;
  for (int fd = 0; fd < (int)limit; fd++) {
    if (fcntl(fd, F_GETFD) >= 0 && is_raw(fd)) push_fd(env, out, &n, fd);
  }
#endif
  return out;
}

// The kernel's receive stamp of the last packet read on fd (SIOCGSTAMPNS, in
// CLOCK_REALTIME) moved onto CLOCK_MONOTONIC, the clock sends are stamped
// in: both clocks are read here back to back, so the move is off by tens of
// nanoseconds at most. −1 when there is no stamp. The first call also turns
// stamping on for the socket.
#ifdef __linux__
static double rx_stamp_of(int fd) {
  struct timespec stamp, real, mono;
  if (ioctl(fd, SIOCGSTAMPNS, &stamp) != 0 || clock_gettime(CLOCK_REALTIME, &real) != 0 || clock_gettime(CLOCK_MONOTONIC, &mono) != 0) return -1;
  double age = (double)(real.tv_sec - stamp.tv_sec) * 1e9 + (double)(real.tv_nsec - stamp.tv_nsec);
  return (double)mono.tv_sec * 1e9 + (double)mono.tv_nsec - age;
}
#endif

static napi_value rx_stamp_ns(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  double out_ns = -1;
  if (argc == 1 && napi_get_value_int32(env, argv[0], &fd) == napi_ok && fd >= 0) {
#ifdef __linux__
    out_ns = rx_stamp_of(fd);
#endif
  }
  napi_value out;
  napi_create_double(env, out_ns, &out);
  return out;
}

#ifdef __linux__
// A numeric IPv4 or IPv6 address (IPv6 may end in %scope: a name or a number).
socklen_t to_sockaddr(const char *text, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  if (inet_pton(AF_INET, text, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    return sizeof *a4;
  }
  char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
  if (strlen(text) >= sizeof host) return 0;
  strcpy(host, text);
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  char *scope = strchr(host, '%');
  if (scope) {
    *scope++ = '\0';
    char *end;
    unsigned long n = strtoul(scope, &end, 10);
    a6->sin6_scope_id = *scope && !*end ? (uint32_t)n : if_nametoindex(scope);
    if (!a6->sin6_scope_id) return 0;
  }
  if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1) return 0;
  a6->sin6_family = AF_INET6;
  return sizeof *a6;
}
#endif

// sendStamped(fd, bytes, address) → [bytes sent or −errno, CLOCK_MONOTONIC ns read just before sendto].
static napi_value send_stamped(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  void *data = NULL;
  size_t len = 0;
  char addr[128];
  size_t alen = 0;
  double rc = -EINVAL, t = 0;
  bool typed = false;
  if (argc == 3 && napi_get_value_int32(env, argv[0], &fd) == napi_ok && napi_is_typedarray(env, argv[1], &typed) == napi_ok && typed &&
      napi_get_value_string_utf8(env, argv[2], addr, sizeof addr, &alen) == napi_ok && alen < sizeof addr - 1) {
    napi_typedarray_type kind;
    napi_value ab;
    size_t off;
    napi_get_typedarray_info(env, argv[1], &kind, &len, &data, &ab, &off);
#ifdef __linux__
    struct sockaddr_storage ss;
    socklen_t sl = to_sockaddr(addr, &ss);
    if (kind == napi_uint8_array && sl) {
      struct timespec ts;
      clock_gettime(CLOCK_MONOTONIC, &ts);
      ssize_t n = sendto(fd, data, len, 0, (struct sockaddr *)&ss, sl);
      rc = n >= 0 ? (double)n : -(double)errno;
      t = (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
    }
#else
    rc = -ENOSYS;
#endif
  }
  napi_value out, v;
  napi_create_array_with_length(env, 2, &out);
  napi_create_double(env, rc, &v);
  napi_set_element(env, out, 0, v);
  napi_create_double(env, t, &v);
  napi_set_element(env, out, 1, v);
  return out;
}


// ---- floods ----

bool get_bytes(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  bool typed = false;
  if (napi_is_typedarray(env, v, &typed) != napi_ok || !typed) return false;
  napi_typedarray_type kind;
  napi_value ab;
  size_t off;
  napi_get_typedarray_info(env, v, &kind, len, data, &ab, &off);
  return kind == want;
}

static napi_value numbers(napi_env env, const double *v, size_t n) {
  napi_value out, x;
  napi_create_array_with_length(env, n, &out);
  for (size_t i = 0; i < n; i++) {
    napi_create_double(env, v[i], &x);
    napi_set_element(env, out, (uint32_t)i, x);
  }
  return out;
}

#ifdef __linux__
uint16_t inet_checksum(const uint8_t *b, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t)(b[i] << 8 | b[i + 1]);
  if (len & 1) sum += (uint32_t)(b[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

void set_echo_sequence(uint8_t *buf, size_t len, int family, uint16_t seq) {
  buf[6] = (uint8_t)(seq >> 8);
  buf[7] = (uint8_t)seq;
  if (family != 4) return; // ICMPv6: the kernel computes it
  buf[2] = buf[3] = 0;
  uint16_t c = inet_checksum(buf, len);
  buf[2] = (uint8_t)(c >> 8);
  buf[3] = (uint8_t)c;
}

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family) return false;
  if (a->ss_family == AF_INET) return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
  return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}
#endif

// floodSend(fd, template, address, family, firstSeq, n, stampsNs Float64Array)
// → [sent, errno]: up to n copies of the echo request `template` (its ICMP
// header first) with sequence firstSeq, firstSeq+1, … (mod 2^16), the ICMP
// checksum computed for each (ICMPv6: the kernel's); stampsNs[i] is
// CLOCK_MONOTONIC just before the i-th sendto. It stops at the first failure:
// errno EAGAIN (that one was not sent and does not count), or another errno
// (that one counts as sent, stamped NaN).
static napi_value flood_send(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  double result[2] = {0, EINVAL};
  int32_t fd = -1, family = 0;
  uint32_t seq = 0, n = 0;
  void *tpl = NULL, *stamps = NULL;
  size_t tlen = 0, slen = 0, alen = 0;
  char addr[128];
  if (argc == 7 && napi_get_value_int32(env, argv[0], &fd) == napi_ok && get_bytes(env, argv[1], napi_uint8_array, &tpl, &tlen) &&
      napi_get_value_string_utf8(env, argv[2], addr, sizeof addr, &alen) == napi_ok && alen < sizeof addr - 1 &&
      napi_get_value_int32(env, argv[3], &family) == napi_ok && napi_get_value_uint32(env, argv[4], &seq) == napi_ok &&
      napi_get_value_uint32(env, argv[5], &n) == napi_ok && get_bytes(env, argv[6], napi_float64_array, &stamps, &slen) &&
      tlen >= 8 && tlen <= MAX_PACKET && n <= slen) {
#ifdef __linux__
    struct sockaddr_storage ss;
    socklen_t sl = to_sockaddr(addr, &ss);
    uint8_t buf[MAX_PACKET];
    if (sl) {
      memcpy(buf, tpl, tlen);
      double *out = stamps;
      uint32_t i = 0;
      result[1] = 0;
      for (; i < n; i++) {
        set_echo_sequence(buf, tlen, family, (uint16_t)(seq + i));
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ssize_t k = sendto(fd, buf, tlen, MSG_DONTWAIT, (struct sockaddr *)&ss, sl);
        if (k < 0) {
          result[1] = errno == EWOULDBLOCK ? EAGAIN : errno;
          if (result[1] != EAGAIN) out[i++] = NAN;
          break;
        }
        out[i] = (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
      }
      result[0] = i;
    }
#else
    result[1] = ENOSYS;
#endif
  }
  return numbers(env, result, 2);
}

// floodRecv(fd, template, address, family, records Float64Array) → [matched,
// errno, other?, otherFrom?, otherStampNs?]: reads what the socket holds
// (MSG_DONTWAIT) while `records` has room. An echo reply from `address` with
// the template's length, identifier and data (and, over IPv4, a valid
// checksum) becomes three numbers: sequence, the kernel's receive stamp
// (CLOCK_MONOTONIC ns) and TTL (−1 over IPv6). Any other packet ends the
// batch and is returned as it was read (a Buffer), with its source and stamp,
// for the caller to pass on. errno: EAGAIN when the socket was emptied.
static napi_value flood_recv(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  double head[2] = {0, EINVAL};
  int32_t fd = -1, family = 0;
  void *tpl = NULL, *records = NULL;
  size_t tlen = 0, rlen = 0, alen = 0;
  char addr[128];
  napi_value other = NULL, other_from = NULL, other_stamp = NULL;
  if (argc == 5 && napi_get_value_int32(env, argv[0], &fd) == napi_ok && get_bytes(env, argv[1], napi_uint8_array, &tpl, &tlen) &&
      napi_get_value_string_utf8(env, argv[2], addr, sizeof addr, &alen) == napi_ok && alen < sizeof addr - 1 &&
      napi_get_value_int32(env, argv[3], &family) == napi_ok && get_bytes(env, argv[4], napi_float64_array, &records, &rlen) && tlen >= 8) {
#ifdef __linux__
    struct sockaddr_storage target;
    if (to_sockaddr(addr, &target)) {
      const uint8_t *t = tpl;
      double *rec = records;
      size_t max = rlen / 3, m = 0;
      uint8_t buf[MAX_PACKET];
      head[1] = 0;
      while (m < max) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t len = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
        if (len < 0) {
          head[1] = errno == EWOULDBLOCK ? EAGAIN : errno;
          break;
        }
        double stamp = rx_stamp_of(fd);
        const uint8_t *icmp = buf;
        size_t ilen = (size_t)len;
        double ttl = -1;
        bool ours = false;
        if (family == 4 && len >= 20 && buf[9] == 1) {
          size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
          ttl = buf[8];
          icmp = buf + ihl;
          ilen = (size_t)len >= ihl ? (size_t)len - ihl : 0;
          ours = ilen == tlen && icmp[0] == 0 && inet_checksum(icmp, ilen) == 0;
        } else if (family == 6) {
          ours = ilen == tlen && icmp[0] == 129;
        }
        ours = ours && same_host(&from, &target) && icmp[4] == t[4] && icmp[5] == t[5] && memcmp(icmp + 8, t + 8, tlen - 8) == 0;
        if (ours) {
          rec[3 * m] = (double)(icmp[6] << 8 | icmp[7]);
          rec[3 * m + 1] = stamp;
          rec[3 * m + 2] = ttl;
          m++;
          continue;
        }
        void *copy;
        napi_create_buffer_copy(env, (size_t)len, buf, &copy, &other);
        char text[INET6_ADDRSTRLEN] = "";
        const void *a = from.ss_family == AF_INET ? (const void *)&((struct sockaddr_in *)&from)->sin_addr : (const void *)&((struct sockaddr_in6 *)&from)->sin6_addr;
        inet_ntop(from.ss_family, a, text, sizeof text);
        napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &other_from);
        napi_create_double(env, stamp, &other_stamp);
        break;
      }
      head[0] = (double)m;
    }
#else
    head[1] = ENOSYS;
#endif
  }
  napi_value out = numbers(env, head, 2);
  if (other) {
    napi_set_element(env, out, 2, other);
    napi_set_element(env, out, 3, other_from);
    napi_set_element(env, out, 4, other_stamp);
  }
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"rawSocketFds", NULL, raw_socket_fds, NULL, NULL, NULL, napi_enumerable, NULL},
    {"rxStampNs", NULL, rx_stamp_ns, NULL, NULL, NULL, napi_enumerable, NULL},
    {"sendStamped", NULL, send_stamped, NULL, NULL, NULL, napi_enumerable, NULL},
    {"floodSend", NULL, flood_send, NULL, NULL, NULL, napi_enumerable, NULL},
    {"floodRecv", NULL, flood_recv, NULL, NULL, NULL, napi_enumerable, NULL},
    {"pacedSend", NULL, paced_send, NULL, NULL, NULL, napi_enumerable, NULL},
    {"pacedStop", NULL, paced_stop, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
