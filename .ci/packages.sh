#!/usr/bin/env bash
# .ci/packages.sh - install the Debian 12 packages the build, the tests and the
# testbed need (as root; apt-get update, then apt-get install -y). System
# daemons of these packages (nsd, unbound, postfix) are never started, and
# Postfix stays unconfigured: the tests and the demo run private instances.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libwolfssl-dev libgetdns-dev libyaml-dev libcriterion-dev
  openssl ca-certificates python3 iproute2 procps groff-base man-db time
  nsd unbound ldnsutils bind9-dnsutils getdns-utils
  postfix
)

if [ "$(id -u)" != 0 ]; then
  echo ".ci/packages.sh: not root; assuming these packages are installed: ${packages[*]}" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
created_rc=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  created_rc=1
fi
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update
apt-get install -y --no-install-recommends "${packages[@]}"
if [ "$created_rc" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
