// What stamp.c shares with paced.c (both build sockbench_stamp).
#ifndef SOCKBENCH_STAMP_H
#define SOCKBENCH_STAMP_H
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#ifdef __linux__
#include <sys/socket.h>
#endif

#define MAX_PACKET 65536

bool get_bytes(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len);
napi_value paced_send(napi_env env, napi_callback_info info);
napi_value paced_stop(napi_env env, napi_callback_info info);
#ifdef __linux__
socklen_t to_sockaddr(const char *text, struct sockaddr_storage *ss);
uint16_t inet_checksum(const uint8_t *b, size_t len);
/** Writes the echo sequence and, for ICMP (family 4), mends the checksum. */
void set_echo_sequence(uint8_t *buf, size_t len, int family, uint16_t seq);
#endif
#endif
