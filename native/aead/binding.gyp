{
  "targets": [
    {
      "target_name": "strongroom_aead",
      "sources": ["aead.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-fvisibility=hidden"]
    }
  ]
}
