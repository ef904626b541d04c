// sockbench_stamp: the raw helper's only native code besides raw-socket.
// raw-socket reads with recvfrom() and keeps its descriptor private, so the
// kernel's receive timestamp (what ping uses) is fetched here instead:
// rawSocketFds() finds the descriptor raw-socket just opened, and
// rxStampNs(fd) asks the kernel (SIOCGSTAMPNS) when the last packet read on
// it arrived, on CLOCK_MONOTONIC. sendStamped(fd, bytes, address) is
// sendto(2) on that descriptor with the send time read in C right before
// the call, so no garbage collection or JavaScript sits between the stamp
// and the send (ping stamps the same way). A small addon of its own so the
// privileged helper loads no socket-making code beyond raw-socket.
#define _GNU_SOURCE
#include <node_api.h>
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
static napi_value rx_stamp_ns(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  double out_ns = -1;
  if (argc == 1 && napi_get_value_int32(env, argv[0], &fd) == napi_ok && fd >= 0) {
#ifdef __linux__
    struct timespec stamp, real, mono;
    if (ioctl(fd, SIOCGSTAMPNS, &stamp) == 0 && clock_gettime(CLOCK_REALTIME, &real) == 0 && clock_gettime(CLOCK_MONOTONIC, &mono) == 0) {
      double age = (double)(real.tv_sec - stamp.tv_sec) * 1e9 + (double)(real.tv_nsec - stamp.tv_nsec);
      out_ns = (double)mono.tv_sec * 1e9 + (double)mono.tv_nsec - age;
    }
#endif
  }
  napi_value out;
  napi_create_double(env, out_ns, &out);
  return out;
}

#ifdef __linux__
// A numeric IPv4 or IPv6 address (IPv6 may end in %scope: a name or a number).
static socklen_t to_sockaddr(const char *text, struct sockaddr_storage *ss) {
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

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"rawSocketFds", NULL, raw_socket_fds, NULL, NULL, NULL, napi_enumerable, NULL},
    {"rxStampNs", NULL, rx_stamp_ns, NULL, NULL, NULL, napi_enumerable, NULL},
    {"sendStamped", NULL, send_stamped, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, 3, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
