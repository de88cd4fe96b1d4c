#!/usr/bin/env bash
# Installs everything the test suite needs, then runs all of it.
# Usage: bash scripts/test.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'

# The suite drives the real kubectl; install it where the machine lacks it.
if ! command -v kubectl >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && (apt-get install -y -qq kubectl || apt-get install -y -qq kubernetes-client)
  else
    echo "kubectl is missing and apt-get is not available: install kubectl first" >&2
    exit 1
  fi
fi

# The MPIJob example and tests run OpenMPI's mpirun.
if ! command -v mpirun >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq openmpi-bin libopenmpi-dev
fi

python3 -m pytest "$@"
