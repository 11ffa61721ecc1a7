#!/usr/bin/env bash
# Installs what imagectl's tests, benchmarks and demo need on a fresh Debian machine with Node 20:
# Debian packages (only those missing) and the npm dependencies, then builds dist/.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have docker-registry || need+=(docker-registry)
have skopeo || need+=(skopeo)
have htpasswd || need+=(apache2-utils)
have openssl || need+=(openssl)
have curl || need+=(curl)
have git || need+=(git)
have sshd || [ -x /usr/sbin/sshd ] || need+=(openssh-server)
have ssh || need+=(openssh-client)
have ssh-keygen || need+=(openssh-client)
have gpg || need+=(gnupg)
have hyperfine || need+=(hyperfine)
[ -x /usr/bin/time ] || need+=(time)
# The dashboard's tests drive Debian's chromium through playwright-core (no browser download).
[ -x /usr/bin/chromium ] || need+=(chromium)
# The PostgreSQL store's tests start a throwaway cluster with these binaries.
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${need[*]} (apt-get; a minute or two)"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  # sort -u: ssh and ssh-keygen both map to openssh-client
  $SUDO apt-get install -y -q --no-install-recommends $(printf '%s\n' "${need[@]}" | sort -u)
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # The lock lists every platform's optional packages (biome's), so `npm ci` installs exactly it
  # and never rewrites it. better-sqlite3 builds from source here (no prebuilt binary reachable).
  echo "installing npm dependencies with npm ci (builds better-sqlite3 from source: about a minute)"
  npm ci --no-audit --no-fund
fi
echo "building imagectl (tsc, then esbuild bundles)"
npm run build --silent
