#!/usr/bin/env bash
# Installs liqsync as a systemd service on this machine:
#   deploy/install.sh [--prefix /usr/local] [--destdir DIR] [--binary PATH]
# Builds a release binary (or takes --binary), installs it and the unit, prepares
# /etc/liqsync, and puts the operations kit (Prometheus scrape job and alert rules, Grafana
# dashboard) in PREFIX/share/liqsync. Run as root. The service user is created by systemd itself (DynamicUser=yes).
#   --destdir DIR   install under DIR instead of / (packaging, tests); systemd is not told
#   --binary PATH   install this liqsync binary instead of building one
#
# Secrets: the Kaiko key goes in /etc/liqsync/kaiko-api-key, handed to the service as a systemd
# credential. The environment file may hold a database URL with a password, so it is root's
# alone (0600): systemd reads it as root before starting the service. An existing one that
# others can read is tightened.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=/usr/local
destdir=""
binary=""
while (($#)); do
    case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --destdir) destdir=$(realpath -m "$2"); shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    *) echo "usage: $0 [--prefix DIR] [--destdir DIR] [--binary PATH]" >&2; exit 64 ;;
    esac
done
if [[ $(id -u) -ne 0 && -z "$destdir" ]]; then
    echo "install.sh: run as root" >&2
    exit 77
fi
owner=()
[[ $(id -u) -eq 0 ]] && owner=(-o root -g root)

if [[ -z "$binary" ]]; then
    scripts/install-deps
    swift build -c release --product liqsync
    binary="$(swift build -c release --show-bin-path)/liqsync"
fi
install -D -m 0755 "$binary" "$destdir$prefix/bin/liqsync"

for file in prometheus/prometheus.yml prometheus/liqsync-alerts.yml prometheus/liqsync-alerts.test.yml grafana/liqsync.json; do
    install -D -m 0644 "deploy/$file" "$destdir$prefix/share/liqsync/$file"
done
install -d -m 0755 "$destdir/etc/systemd/system"
sed "s#/usr/local/bin/liqsync#$prefix/bin/liqsync#g" deploy/liqsync.service >"$destdir/etc/systemd/system/liqsync.service"
install -d -m 0755 "$destdir/etc/liqsync"
env_file="$destdir/etc/liqsync/liqsync.env"
if [[ -f "$env_file" ]]; then
    if [[ -n "$(find "$env_file" -perm /077)" ]]; then
        chmod 0600 "$env_file"
        echo "install.sh: $env_file was readable by others; it is now 0600" >&2
    fi
else
    install -m 0600 "${owner[@]}" deploy/liqsync.env.example "$env_file"
fi
if [[ ! -f "$destdir/etc/liqsync/kaiko-api-key" ]]; then
    install -m 0600 "${owner[@]}" /dev/null "$destdir/etc/liqsync/kaiko-api-key"
    echo "install.sh: put the Kaiko API key in /etc/liqsync/kaiko-api-key (mode 0600)" >&2
fi
[[ -n "$destdir" ]] || systemctl daemon-reload 2>/dev/null || true

cat <<MSG
Installed $prefix/bin/liqsync and /etc/systemd/system/liqsync.service${destdir:+ under $destdir}.
Next:
  1. sudo -u postgres psql -d liq -f deploy/postgres/roles.sql
  2. edit /etc/liqsync/liqsync.env (root only, 0600) and /etc/liqsync/kaiko-api-key
  3. systemctl enable --now liqsync      (it applies migrations before it starts)
  4. journalctl -u liqsync -f; liqsync status; curl -s 127.0.0.1:9464/health
  5. monitoring: $prefix/share/liqsync/{prometheus,grafana} (docs/operations.md)
MSG
