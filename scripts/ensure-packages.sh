#!/usr/bin/env bash
# Installs the Debian packages listed in scripts/debian-packages whose
# command is missing. Runs apt-get as root, or through sudo.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
missing=()
while read -r cmd pkg; do
  [[ -z ${cmd} || ${cmd} == \#* ]] && continue
  command -v "${cmd}" >/dev/null 2>&1 || missing+=("${pkg}")
done <"${here}/debian-packages"
((${#missing[@]} == 0)) && exit 0

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "missing packages: ${missing[*]}; install them as root" >&2; exit 1; }
  sudo=(sudo)
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
