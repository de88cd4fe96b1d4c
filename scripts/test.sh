#!/usr/bin/env bash
# Installs everything the test suite needs, then runs all of it.
# Usage: bash scripts/test.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages first: mpi4py (in the test extra) builds against OpenMPI.
#  - kubectl: the suite drives the real client
#  - OpenMPI: the MPIJob example and tests run mpirun
#  - Chromium: the web UI tests drive it headless through Playwright (which is told
#    where it is: `playwright install` and its browser downloads are never used)
missing=()
command -v kubectl >/dev/null 2>&1 || missing+=(kubectl)
command -v mpirun >/dev/null 2>&1 || missing+=(openmpi-bin libopenmpi-dev)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "missing ${missing[*]} and apt-get is not available: install them first" >&2
    exit 1
  fi
  apt-get update -qq
  for package in "${missing[@]}"; do
    if [ "$package" = kubectl ]; then
      apt-get install -y -qq kubectl || apt-get install -y -qq kubernetes-client
    else
      apt-get install -y -qq "$package"
    fi
  done
fi

python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
# The Katib SDK the tests drive pins kubeflow-training==1.9.0, whose models break on
# the kubernetes client releases it allows, and protobuf<5, which its generated code
# does not need; 1.9.4 (from the test extra) and protobuf 6 work with it.
python3 -m pip install --quiet --disable-pip-version-check --no-deps 'kubeflow-katib==0.19.0'
# KServe's REST client, which the serving tests drive: the kserve package pins psutil<6
# and more that the rest of the suite outgrew, so it comes without its dependencies
# plus the few its client imports.
python3 -m pip install --quiet --disable-pip-version-check 'pandas<3'
python3 -m pip install --quiet --disable-pip-version-check --no-deps 'kserve==0.21.0' \
  'cloudevents<2' deprecation grpc-interceptor timing-asgi tabulate

python3 -m pytest "$@"
