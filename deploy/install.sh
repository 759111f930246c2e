#!/usr/bin/env bash
# Installs liqsync as a systemd service on this machine:
#   deploy/install.sh [--prefix /usr/local]
# Builds a release binary, installs it and the unit, and prepares /etc/liqsync. Run as root.
# The service user is created by systemd itself (DynamicUser=yes).
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=/usr/local
while (($#)); do
    case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    *) echo "usage: $0 [--prefix DIR]" >&2; exit 64 ;;
    esac
done
[[ $(id -u) -eq 0 ]] || { echo "install.sh: run as root" >&2; exit 77; }

scripts/install-deps
swift build -c release --product liqsync
install -D -m 0755 "$(swift build -c release --show-bin-path)/liqsync" "$prefix/bin/liqsync"

sed "s#/usr/local/bin/liqsync#$prefix/bin/liqsync#g" deploy/liqsync.service >/etc/systemd/system/liqsync.service
install -d -m 0755 /etc/liqsync
[[ -f /etc/liqsync/liqsync.env ]] || install -m 0644 deploy/liqsync.env.example /etc/liqsync/liqsync.env
if [[ ! -f /etc/liqsync/kaiko-api-key ]]; then
    install -m 0600 /dev/null /etc/liqsync/kaiko-api-key
    echo "install.sh: put the Kaiko API key in /etc/liqsync/kaiko-api-key (mode 0600)" >&2
fi
systemctl daemon-reload 2>/dev/null || true

cat <<MSG
Installed $prefix/bin/liqsync and /etc/systemd/system/liqsync.service.
Next:
  1. sudo -u postgres psql -d liq -f deploy/postgres/roles.sql
  2. edit /etc/liqsync/liqsync.env and /etc/liqsync/kaiko-api-key
  3. systemctl enable --now liqsync      (it applies migrations before it starts)
  4. journalctl -u liqsync -f; liqsync status
MSG
