// pacedSend: echo requests on an absolute schedule, sent by a thread of
// their own. iputils ping spins (sched_yield) between probes when they are
// 10 ms apart or less, so its send path is warm when it stamps and sends;
// the helper's JavaScript thread cannot do that (its other work between
// probes cools the caches the kernel's send path needs: a median RTT of
// 13-14 µs on loopback against ping's 3). This thread does what ping does:
// it waits (spinning when the gap is at most spinNs, else sleeping), reads
// CLOCK_MONOTONIC, sends, and hands the stamps to JavaScript in batches.
//
// pacedSend(fd, template, address, family, firstSeq, count, intervalNs,
//   spinNs, onSent) → job, or a number: the errno that kept it from starting.
//   onSent(first, stampsNs Float64Array, errno, ended): the stamps of sends
//   first, first + 1, … (NaN: that send failed; errno: the first failure in
//   the batch, else 0); ended: the thread is done (count sent, or stopped).
// pacedStop(job): the thread stops before its next send.
//
// The thread sends on a dup of fd, so closing the socket meanwhile cannot
// make it write to a descriptor number reused by something else.
#define _GNU_SOURCE
#include "stamp.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __linux__
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

#define RING 4096
/** Sleeps are cut into pieces this long, so a stop is seen within one. */
#define MAX_NAP_NS 10e6

typedef struct {
  int fd, family;
  uint8_t packet[MAX_PACKET];
  size_t len;
  struct sockaddr_storage to;
  socklen_t tolen;
  uint32_t seq0, count;
  double interval_ns, spin_ns;
  double stamps[RING];
  int errnos[RING];
  atomic_uint written, read;
  atomic_bool stop, ended, notified;
  /** Two owners: the thread (until its threadsafe function is finalized) and the job handed to JavaScript. */
  atomic_int owners;
  bool ended_told; /* the JavaScript thread's own */
  napi_threadsafe_function tsfn;
} job_t;

static double mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void nap(double ns) {
  if (ns > MAX_NAP_NS) ns = MAX_NAP_NS;
  struct timespec t = {0, (long)ns};
  nanosleep(&t, NULL);
}

/** Until `due` (false: stopped first). Spins, yielding, in the last spin_ns; sleeps before that. */
static bool wait_until(job_t *j, double due) {
  for (;;) {
    if (atomic_load(&j->stop)) return false;
    double left = due - mono_ns();
    if (left <= 0) return true;
    if (left > j->spin_ns) nap(left - j->spin_ns);
    else sched_yield();
  }
}

/** Told by send_one: stopped while the send buffer was full (nothing sent). */
#define STOPPED (-1)

/** One send, as ping does it: the stamp right before the syscall. A full send buffer is waited out. */
static double send_one(job_t *j, int *err) {
  for (;;) {
    double t = mono_ns();
    if (sendto(j->fd, j->packet, j->len, MSG_DONTWAIT, (struct sockaddr *)&j->to, j->tolen) >= 0) return t;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      *err = errno;
      return NAN;
    }
    struct pollfd p = {j->fd, POLLOUT, 0};
    while (!atomic_load(&j->stop) && poll(&p, 1, 10) == 0) {}
    if (atomic_load(&j->stop)) {
      *err = STOPPED;
      return NAN;
    }
  }
}

static void notify(job_t *j) {
  if (!atomic_exchange(&j->notified, true)) napi_call_threadsafe_function(j->tsfn, NULL, napi_tsfn_nonblocking);
}

static void *run(void *arg) {
  job_t *j = arg;
  double t0 = 0; // the schedule counts from the first send, as the event loop's did
  for (uint32_t i = 0; i < j->count; i++) {
    if (i > 0 && !wait_until(j, t0 + i * j->interval_ns)) break;
    while (atomic_load(&j->written) - atomic_load(&j->read) >= RING && !atomic_load(&j->stop)) nap(1e5); // JavaScript is behind
    if (atomic_load(&j->stop)) break;
    set_echo_sequence(j->packet, j->len, j->family, (uint16_t)(j->seq0 + i));
    int err = 0;
    double t = send_one(j, &err);
    if (err == STOPPED) break;
    if (i == 0) t0 = isnan(t) ? mono_ns() : t;
    unsigned w = atomic_load(&j->written);
    j->stamps[w % RING] = t;
    j->errnos[w % RING] = err;
    atomic_store(&j->written, w + 1);
    notify(j);
  }
  close(j->fd);
  atomic_store(&j->ended, true);
  napi_call_threadsafe_function(j->tsfn, NULL, napi_tsfn_nonblocking);
  napi_release_threadsafe_function(j->tsfn, napi_tsfn_release);
  return NULL;
}

/** On the JavaScript thread: what the thread has sent since the last call. */
static void deliver(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)data;
  job_t *j = context;
  if (!env || j->ended_told) return;
  atomic_store(&j->notified, false);
  bool ended = atomic_load(&j->ended);
  unsigned r = atomic_load(&j->read), w = atomic_load(&j->written);
  if (r == w && !ended) return;
  napi_value ab, stamps, args[4], undefined;
  double *out;
  napi_create_arraybuffer(env, (size_t)(w - r) * sizeof(double), (void **)&out, &ab);
  napi_create_typedarray(env, napi_float64_array, w - r, ab, 0, &stamps);
  int first_err = 0;
  for (unsigned k = r; k != w; k++) {
    out[k - r] = j->stamps[k % RING];
    if (!first_err) first_err = j->errnos[k % RING];
  }
  atomic_store(&j->read, w);
  j->ended_told = ended;
  napi_create_uint32(env, r, &args[0]);
  args[1] = stamps;
  napi_create_int32(env, first_err, &args[2]);
  napi_get_boolean(env, ended, &args[3]);
  napi_get_undefined(env, &undefined);
  napi_call_function(env, undefined, js_cb, 4, args, NULL);
}

static void disown(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  job_t *j = data;
  if (atomic_fetch_sub(&j->owners, 1) == 1) free(j);
}
#endif

napi_value paced_send(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9], out;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
#ifdef __linux__
  int32_t fd = -1, family = 0;
  uint32_t seq = 0, count = 0;
  double interval = 0, spin = 0;
  void *tpl = NULL;
  size_t tlen = 0, alen = 0;
  char addr[128];
  napi_valuetype cb_type = napi_undefined;
  if (argc != 9 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || !get_bytes(env, argv[1], napi_uint8_array, &tpl, &tlen) ||
      napi_get_value_string_utf8(env, argv[2], addr, sizeof addr, &alen) != napi_ok || alen >= sizeof addr - 1 ||
      napi_get_value_int32(env, argv[3], &family) != napi_ok || napi_get_value_uint32(env, argv[4], &seq) != napi_ok ||
      napi_get_value_uint32(env, argv[5], &count) != napi_ok || napi_get_value_double(env, argv[6], &interval) != napi_ok ||
      napi_get_value_double(env, argv[7], &spin) != napi_ok || napi_typeof(env, argv[8], &cb_type) != napi_ok || cb_type != napi_function ||
      tlen < 8 || tlen > MAX_PACKET || !(interval >= 0) || !(spin >= 0) || fd < 0) {
    napi_create_int32(env, EINVAL, &out);
    return out;
  }
  job_t *j = calloc(1, sizeof *j);
  if (!j) {
    napi_create_int32(env, ENOMEM, &out);
    return out;
  }
  j->tolen = to_sockaddr(addr, &j->to);
  j->fd = j->tolen ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
  int err = !j->tolen ? EINVAL : j->fd < 0 ? errno : 0;
  if (err) {
    free(j);
    napi_create_int32(env, err, &out);
    return out;
  }
  memcpy(j->packet, tpl, tlen);
  j->len = tlen;
  j->family = family;
  j->seq0 = seq;
  j->count = count;
  j->interval_ns = interval;
  j->spin_ns = spin;
  atomic_store(&j->owners, 2);
  napi_value name;
  napi_create_string_utf8(env, "sockbench paced send", NAPI_AUTO_LENGTH, &name);
  pthread_t thread;
  if (napi_create_threadsafe_function(env, argv[8], NULL, name, 0, 1, j, disown, j, deliver, &j->tsfn) != napi_ok) {
    close(j->fd);
    free(j);
    napi_create_int32(env, ENOMEM, &out);
    return out;
  }
  if ((err = pthread_create(&thread, NULL, run, j)) != 0) {
    close(j->fd);
    atomic_store(&j->owners, 1); // no job for JavaScript: disown frees it
    napi_release_threadsafe_function(j->tsfn, napi_tsfn_abort);
    napi_create_int32(env, err, &out);
    return out;
  }
  pthread_detach(thread);
  napi_create_external(env, j, disown, NULL, &out);
  return out;
#else
  (void)argc;
  napi_create_int32(env, ENOSYS, &out);
  return out;
#endif
}

napi_value paced_stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
#ifdef __linux__
  void *j = NULL;
  napi_valuetype t = napi_undefined;
  if (argc == 1 && napi_typeof(env, argv[0], &t) == napi_ok && t == napi_external && napi_get_value_external(env, argv[0], &j) == napi_ok && j) {
    atomic_store(&((job_t *)j)->stop, true);
  }
#endif
  return NULL;
}
