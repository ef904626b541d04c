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
// stamped just before its sendto(2), and a batch of reads (recvmmsg(2), each
// packet's stamp beside it once floodStamps has turned SO_TIMESTAMPNS on)
// whose echo replies to the flood are summed up as (sequence, stamp, TTL)
// records. A small addon
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

// The kernel's receive stamps come in CLOCK_REALTIME (SIOCGSTAMPNS, or
// SCM_TIMESTAMPNS beside the packet); sends are stamped in CLOCK_MONOTONIC.
// A stamp moves across by its age: both clocks are read back to back, so the
// move is off by tens of nanoseconds at most.
#ifdef __linux__
typedef struct {
  struct timespec real, mono;
} clocks_now;

static bool read_clocks(clocks_now *c) {
  return clock_gettime(CLOCK_REALTIME, &c->real) == 0 && clock_gettime(CLOCK_MONOTONIC, &c->mono) == 0;
}

static double to_monotonic_ns(const struct timespec *stamp, const clocks_now *c) {
  double age = (double)(c->real.tv_sec - stamp->tv_sec) * 1e9 + (double)(c->real.tv_nsec - stamp->tv_nsec);
  return (double)c->mono.tv_sec * 1e9 + (double)c->mono.tv_nsec - age;
}

// The stamp of the last packet read on fd, on CLOCK_MONOTONIC; −1 when there
// is none. Not to be trusted while SO_TIMESTAMPNS is on (see floodStamps).
// The first call also turns stamping on for the socket.
static double rx_stamp_of(int fd) {
  struct timespec stamp;
  clocks_now c;
  if (ioctl(fd, SIOCGSTAMPNS, &stamp) != 0 || !read_clocks(&c)) return -1;
  return to_monotonic_ns(&stamp, &c);
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

// floodStamps(fd, on) → errno (0: done): SO_TIMESTAMPNS on or off. While it
// is on, floodRecv reads many packets per call, each with its own stamp, and
// SIOCGSTAMPNS (rxStampNs) answers a stale stamp or the time of asking: only
// floodRecv may read the socket.
static napi_value flood_stamps(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  bool on = false;
  double rc = EINVAL;
  if (argc == 2 && napi_get_value_int32(env, argv[0], &fd) == napi_ok && napi_get_value_bool(env, argv[1], &on) == napi_ok) {
#ifdef __linux__
    int v = on ? 1 : 0;
    rc = setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &v, sizeof v) == 0 ? 0 : errno;
#else
    rc = ENOSYS;
#endif
  }
  napi_value out;
  napi_create_double(env, rc, &out);
  return out;
}

/** Packets per recvmmsg(2) with floodStamps on, at most. */
#define RECV_MANY 64

#ifdef __linux__
static uint8_t *recv_scratch; // RECV_MANY × MAX_PACKET, allocated on first use and kept

static bool stamp_of_msg(struct msghdr *h, const clocks_now *c, double *out) {
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(h); cm; cm = CMSG_NXTHDR(h, cm)) {
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_TIMESTAMPNS) continue;
    struct timespec ts;
    memcpy(&ts, CMSG_DATA(cm), sizeof ts);
    *out = to_monotonic_ns(&ts, c);
    return true;
  }
  return false;
}

static void push_other(napi_env env, napi_value *others, uint32_t *n, const uint8_t *buf, size_t len, const struct sockaddr_storage *from, double stamp) {
  napi_value v;
  void *copy;
  if (!*others) napi_create_array(env, others);
  napi_create_buffer_copy(env, len, buf, &copy, &v);
  napi_set_element(env, *others, (*n)++, v);
  char text[INET6_ADDRSTRLEN] = "";
  const void *a = from->ss_family == AF_INET ? (const void *)&((const struct sockaddr_in *)from)->sin_addr : (const void *)&((const struct sockaddr_in6 *)from)->sin6_addr;
  inet_ntop(from->ss_family, a, text, sizeof text);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v);
  napi_set_element(env, *others, (*n)++, v);
  napi_create_double(env, stamp, &v);
  napi_set_element(env, *others, (*n)++, v);
}
#endif

// floodRecv(fd, template, address, family, records Float64Array, many?) →
// [matched, errno, others?]: reads what the socket holds (MSG_DONTWAIT), at
// most records.length / 3 packets. An echo reply from `address` with the
// template's length, identifier and data (and, over IPv4, a valid checksum)
// becomes three numbers: sequence, the kernel's receive stamp
// (CLOCK_MONOTONIC ns) and TTL (−1 over IPv6). Any other packet goes into
// `others` as (Buffer, source, stamp ns), for the caller to pass on. errno:
// EAGAIN when the socket was emptied. many (1 by default, at most 64):
// packets per recvmmsg(2); above 1 only with floodStamps on, since the stamps
// must come with the packets (SIOCGSTAMPNS only knows the last one).
static napi_value flood_recv(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  double head[2] = {0, EINVAL};
  int32_t fd = -1, family = 0;
  uint32_t many = 1;
  void *tpl = NULL, *records = NULL;
  size_t tlen = 0, rlen = 0, alen = 0;
  char addr[128];
  napi_value others = NULL;
  uint32_t n_others = 0;
  if ((argc == 5 || (argc == 6 && napi_get_value_uint32(env, argv[5], &many) == napi_ok && many >= 1 && many <= RECV_MANY)) &&
      napi_get_value_int32(env, argv[0], &fd) == napi_ok && get_bytes(env, argv[1], napi_uint8_array, &tpl, &tlen) &&
      napi_get_value_string_utf8(env, argv[2], addr, sizeof addr, &alen) == napi_ok && alen < sizeof addr - 1 &&
      napi_get_value_int32(env, argv[3], &family) == napi_ok && get_bytes(env, argv[4], napi_float64_array, &records, &rlen) && tlen >= 8) {
#ifdef __linux__
    struct sockaddr_storage target;
    if (many > 1 && !recv_scratch) recv_scratch = malloc((size_t)RECV_MANY * MAX_PACKET);
    if (!recv_scratch) many = 1;
    if (to_sockaddr(addr, &target)) {
      const uint8_t *t = tpl;
      double *rec = records;
      size_t max = rlen / 3, m = 0, nread = 0;
      uint8_t one[MAX_PACKET];
      struct mmsghdr msgs[RECV_MANY];
      struct iovec iov[RECV_MANY];
      struct sockaddr_storage from[RECV_MANY];
      char ctl[RECV_MANY][CMSG_SPACE(sizeof(struct timespec))];
      head[1] = 0;
      while (nread < max) {
        unsigned vlen = (unsigned)(max - nread < many ? max - nread : many);
        for (unsigned k = 0; k < vlen; k++) {
          iov[k].iov_base = vlen == 1 ? one : recv_scratch + (size_t)k * MAX_PACKET;
          iov[k].iov_len = MAX_PACKET;
          memset(&msgs[k].msg_hdr, 0, sizeof msgs[k].msg_hdr);
          msgs[k].msg_hdr.msg_name = &from[k];
          msgs[k].msg_hdr.msg_namelen = sizeof from[k];
          msgs[k].msg_hdr.msg_iov = &iov[k];
          msgs[k].msg_hdr.msg_iovlen = 1;
          msgs[k].msg_hdr.msg_control = ctl[k];
          msgs[k].msg_hdr.msg_controllen = sizeof ctl[k];
        }
        int got = recvmmsg(fd, msgs, vlen, MSG_DONTWAIT, NULL);
        if (got <= 0) {
          head[1] = got == 0 ? EAGAIN : errno == EWOULDBLOCK ? EAGAIN : errno;
          break;
        }
        clocks_now c;
        bool clocks = read_clocks(&c);
        for (int k = 0; k < got; k++) {
          const uint8_t *buf = iov[k].iov_base;
          size_t len = msgs[k].msg_len;
          double stamp = -1;
          if (!clocks || !stamp_of_msg(&msgs[k].msg_hdr, &c, &stamp)) stamp = vlen == 1 ? rx_stamp_of(fd) : -1;
          const uint8_t *icmp = buf;
          size_t ilen = len;
          double ttl = -1;
          bool ours = false;
          if (family == 4 && len >= 20 && buf[9] == 1) {
            size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
            ttl = buf[8];
            icmp = buf + ihl;
            ilen = len >= ihl ? len - ihl : 0;
            ours = ilen == tlen && icmp[0] == 0 && inet_checksum(icmp, ilen) == 0;
          } else if (family == 6) {
            ours = ilen == tlen && icmp[0] == 129;
          }
          ours = ours && same_host(&from[k], &target) && icmp[4] == t[4] && icmp[5] == t[5] && memcmp(icmp + 8, t + 8, tlen - 8) == 0;
          if (ours) {
            rec[3 * m] = (double)(icmp[6] << 8 | icmp[7]);
            rec[3 * m + 1] = stamp;
            rec[3 * m + 2] = ttl;
            m++;
          } else {
            push_other(env, &others, &n_others, buf, len, &from[k], stamp);
          }
        }
        nread += (size_t)got;
        if ((unsigned)got < vlen) {
          head[1] = EAGAIN; // recvmmsg stops short only when the socket ran dry
          break;
        }
      }
      head[0] = (double)m;
    }
#else
    head[1] = ENOSYS;
#endif
  }
  napi_value out = numbers(env, head, 2);
  if (n_others) napi_set_element(env, out, 2, others);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"rawSocketFds", NULL, raw_socket_fds, NULL, NULL, NULL, napi_enumerable, NULL},
    {"rxStampNs", NULL, rx_stamp_ns, NULL, NULL, NULL, napi_enumerable, NULL},
    {"sendStamped", NULL, send_stamped, NULL, NULL, NULL, napi_enumerable, NULL},
    {"floodSend", NULL, flood_send, NULL, NULL, NULL, napi_enumerable, NULL},
    {"floodRecv", NULL, flood_recv, NULL, NULL, NULL, napi_enumerable, NULL},
    {"floodStamps", NULL, flood_stamps, NULL, NULL, NULL, napi_enumerable, NULL},
    {"pacedSend", NULL, paced_send, NULL, NULL, NULL, napi_enumerable, NULL},
    {"pacedStop", NULL, paced_stop, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
