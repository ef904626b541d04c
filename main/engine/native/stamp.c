// sockbench_stamp: the raw helper's only native code besides raw-socket.
// raw-socket reads with recvfrom() and keeps its descriptor private, so the
// kernel's receive timestamp (what ping uses) is fetched here instead:
// rawSocketFds() finds the descriptor raw-socket just opened, and
// rxAgeNs(fd) asks the kernel (SIOCGSTAMPNS) when the last packet read on it
// arrived, as nanoseconds before now. A small addon of its own so the
// privileged helper loads no socket-making code beyond raw-socket.
#define _GNU_SOURCE
#include <node_api.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <fcntl.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#endif

#define MAX_SCAN 65536

// [fd, …] of every open SOCK_RAW socket of this process (empty off Linux).
static napi_value raw_socket_fds(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_create_array(env, &out);
#ifdef __linux__
  struct rlimit rl;
  rlim_t limit = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
  if (limit > MAX_SCAN) limit = MAX_SCAN;
  uint32_t n = 0;
  for (int fd = 0; fd < (int)limit; fd++) {
    if (fcntl(fd, F_GETFD) < 0) continue;
    int type = 0;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_RAW) continue;
    napi_value v;
    napi_create_int32(env, fd, &v);
    napi_set_element(env, out, n++, v);
  }
#endif
  return out;
}

// Nanoseconds from the kernel's receive timestamp of the last packet read on
// fd to now (CLOCK_REALTIME, the clock the stamp is in), or -1 when there is
// none. The first call also turns stamping on for the socket.
static napi_value rx_age_ns(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  double age = -1;
  if (argc == 1 && napi_get_value_int32(env, argv[0], &fd) == napi_ok && fd >= 0) {
#ifdef __linux__
    struct timespec stamp, now;
    if (ioctl(fd, SIOCGSTAMPNS, &stamp) == 0 && clock_gettime(CLOCK_REALTIME, &now) == 0) {
      age = (double)(now.tv_sec - stamp.tv_sec) * 1e9 + (double)(now.tv_nsec - stamp.tv_nsec);
    }
#endif
  }
  napi_value out;
  napi_create_double(env, age, &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"rawSocketFds", NULL, raw_socket_fds, NULL, NULL, NULL, napi_enumerable, NULL},
    {"rxAgeNs", NULL, rx_age_ns, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, 2, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
