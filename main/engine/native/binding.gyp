{
  "targets": [
    {
      "target_name": "sockbench_native",
      "sources": ["sockbench_native.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
