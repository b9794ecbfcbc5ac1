#!/usr/bin/env bash
# .ci/packages.sh - install the Debian 12 packages the build, the tests and the
# testbed need (as root; apt-get update, then apt-get install -y). System
# daemons of these packages (nsd, unbound, postfix, nginx) are never started, and
# Postfix stays unconfigured: the tests and the demo run private instances.
# Exim is never installed (Debian's exim4 packages conflict with postfix): its
# .debs are only downloaded into $EXIM_DEBS_DIR, where
# tests/integration/exim_pipe.sh unpacks them into a run directory.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libwolfssl-dev libssl-dev libgetdns-dev libyaml-dev libcriterion-dev
  # tests/integration/deb_package.sh: dpkg-buildpackage of debian/ (never installed)
  dpkg-dev debhelper fakeroot lintian
  openssl ca-certificates python3 iproute2 procps groff-base man-db time
  nsd unbound ldnsutils bind9-dnsutils getdns-utils
  postfix
  # agent/https: libcurl's headers (the OpenSSL flavour, whose libcurl.so.4 the
  # agent opens with dlopen); tests/testbed/https: nginx-light, in Debian 12
  # nginx with the echo module (stalled and chunked answers). nginx's postinst
  # only asks invoke-rc.d to start it, which the policy-rc.d below refuses.
  libcurl4-openssl-dev nginx-light
  # agent/tlsrpt: json-c reads the JSON Lines records a TLSRPT report is built from
  libjson-c-dev
  # agent/tlsrpt: zlib gzips the reports (application/tlsrpt+gzip)
  zlib1g-dev
  # tests/integration/tlsrpt.sh: every report checked against tests/data/tlsrpt-schema.json
  python3-jsonschema
  # for tests/integration/exim_pipe.sh: the shared libraries of the unpacked
  # exim4-daemon-light (its Depends), and nss_wrapper, which lets that exim
  # find its compiled-in user Debian-exim without adding it to /etc/passwd
  libidn12 libidn2-0 libgnutls30 libgnutls-dane0 libdb5.3 libnsl2 libpcre2-8-0
  libcrypt1 libnss-wrapper
)
# downloaded, never installed (see above); the test's default location
EXIM_DEBS_DIR=${EXIM_DEBS_DIR:-/var/cache/dane-agent-ci/exim}

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
# the current exim4-base and exim4-daemon-light .debs, replacing older ones
mkdir -p "$EXIM_DEBS_DIR"
exim_new=$(mktemp -d "$EXIM_DEBS_DIR/.new.XXXXXX")
if id _apt >/dev/null 2>&1; then chown _apt "$exim_new"; fi   # apt's sandbox user
(cd "$exim_new" && apt-get download exim4-base exim4-daemon-light)
rm -f "$EXIM_DEBS_DIR"/*.deb
mv "$exim_new"/*.deb "$EXIM_DEBS_DIR"/
rmdir "$exim_new"
chown root:root "$EXIM_DEBS_DIR"/*.deb
chmod 755 "$EXIM_DEBS_DIR"; chmod 644 "$EXIM_DEBS_DIR"/*.deb
if [ "$created_rc" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
