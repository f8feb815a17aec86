{
  "targets": [
    {
      "target_name": "zg_aio",
      "sources": ["aio.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "conditions": [["OS!='linux'", { "type": "none" }]]
    },
    {
      "target_name": "zg_stdio",
      "sources": ["stdio.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "conditions": [["OS=='win'", { "type": "none" }]]
    }
  ]
}
