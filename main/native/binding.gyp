{
  "targets": [
    {
      "target_name": "sockbench_native",
      "sources": ["sockbench_native.c", "calls.c", "addr.c", "errors.c", "constants.c", "watch.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    },
    {
      "target_name": "sockbench_stamp",
      "sources": ["stamp.c", "paced.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
