#!/bin/bash -eu
# ClusterFuzzLite entry point: the build lives in fuzz/build.sh (the same
# script fuzz/ci-ossfuzz.sh checks locally).
exec bash "$SRC/fasv/fuzz/build.sh"
