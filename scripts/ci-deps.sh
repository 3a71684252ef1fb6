#!/usr/bin/env bash
# Installs the Debian packages the tests use, when missing: haproxy (the VIP example), openssl
# (throwaway TLS certificates), keytool (PKCS12 truststores as Java writes them), procps (pgrep),
# prometheus (scrapes a running agent in the metrics test), systemd (systemd-analyze verify checks
# the deploy unit).
# Needs root and apt-get; elsewhere it says what is missing and the tests that need it are skipped
# (outside CI) with the reason.
set -euo pipefail
missing=()
command -v haproxy >/dev/null || missing+=(haproxy)
command -v openssl >/dev/null || missing+=(openssl)
command -v keytool >/dev/null || missing+=(openjdk-17-jre-headless)
command -v pgrep >/dev/null || missing+=(procps)
command -v prometheus >/dev/null || missing+=(prometheus)
command -v systemd-analyze >/dev/null || missing+=(systemd)
if [ ${#missing[@]} -eq 0 ]; then
  echo "ci-deps: haproxy, openssl, keytool, pgrep, prometheus and systemd-analyze are installed"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "ci-deps: missing ${missing[*]} and cannot install them (needs root and apt-get)" >&2
  exit 1
fi
echo "ci-deps: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
