#!/bin/sh
# A stand-in for torch_bench.py: echoes its arguments' presets back as results.
presets=strided
while [ $# -gt 0 ]; do
  case "$1" in
    --presets) presets=$2; shift ;;
    --fail) echo "fake peer: asked to fail" >&2; exit 3 ;;
  esac
  shift
done
echo "# fake peer"
for p in $(echo "$presets" | tr , ' '); do
  echo "{\"preset\": \"$p\", \"threads\": 2, \"batch\": 128, \"train_images_per_s\": 500, \"infer_images_per_s\": 2000, \"train_images_per_cpu_s\": 250, \"infer_images_per_cpu_s\": 1000}"
done
