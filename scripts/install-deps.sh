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
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  # sort -u: ssh and ssh-keygen both map to openssh-client
  $SUDO apt-get install -y -q --no-install-recommends $(printf '%s\n' "${need[@]}" | sort -u)
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm ci` rejects this lock file: npm 11 records only this platform's optional binaries
  # (biome's), then reports the others as missing. `npm install` honours the lock all the same.
  npm install --no-audit --no-fund
fi
npm run build --silent
