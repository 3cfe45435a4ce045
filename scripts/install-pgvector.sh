#!/usr/bin/env bash
# Installs pgvector into the machine's PostgreSQL 15 without touching the running server.
# Bookworm ships no pgvector package; Debian's own source package from trixie builds against
# PG 15. The server headers come from the postgresql-server-dev-15 .deb unpacked into a scratch
# dir: installing that package would upgrade and restart the server. Idempotent: a no-op when
# vector.control and vector.so are already installed.
set -euo pipefail

PG_MAJOR="${PG_MAJOR:-15}"
PG_CONFIG="${PG_CONFIG:-/usr/lib/postgresql/$PG_MAJOR/bin/pg_config}"
[ -x "$PG_CONFIG" ] || { echo "install-pgvector: $PG_CONFIG not found" >&2; exit 1; }

sharedir=$("$PG_CONFIG" --sharedir)
pkglibdir=$("$PG_CONFIG" --pkglibdir)
if [ -f "$sharedir/extension/vector.control" ] && [ -f "$pkglibdir/vector.so" ]; then
  echo "install-pgvector: already installed ($(grep default_version "$sharedir/extension/vector.control"))"
  exit 0
fi

scratch=$(mktemp -d /tmp/pgvector-build.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"

# The Debian mirror this machine already uses, read from its own apt configuration.
mirror=$(grep -hoE '^URIs: *\S+/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 | awk '{print $2}')
[ -n "$mirror" ] || mirror=$(grep -hoE '^deb +\S+/debian/? ' /etc/apt/sources.list 2>/dev/null | head -n1 | awk '{print $2}')
[ -n "$mirror" ] || { echo "install-pgvector: no Debian mirror found in apt sources" >&2; exit 1; }

# A private apt state holding only trixie's source index, so the system lists stay untouched.
mkdir -p apt/lists/partial apt/cache/archives/partial
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" > apt/sources.list
apt_private=(-o Dir::Etc::SourceList="$scratch/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
             -o Dir::State::Lists="$scratch/apt/lists" -o Dir::Cache="$scratch/apt/cache"
             -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
apt-get "${apt_private[@]}" update -qq
apt-get "${apt_private[@]}" source --download-only pgvector >/dev/null
tar xf pgvector_*.orig.tar.gz
src=$(find . -maxdepth 1 -type d -name 'pgvector-*' | head -n1)

# Server headers from the .deb, unpacked, never installed. Minor versions share the ABI.
if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then apt-get update -qq; fi
apt-get -o APT::Sandbox::User=root download "postgresql-server-dev-$PG_MAJOR" >/dev/null
dpkg -x postgresql-server-dev-"$PG_MAJOR"_*.deb devroot

make_vars=(PG_CONFIG="$PG_CONFIG" "includedir_server=$scratch/devroot/usr/include/postgresql/$PG_MAJOR/server" with_llvm=no)
make -C "$src" -s "${make_vars[@]}" >/dev/null
make -C "$src" -s "${make_vars[@]}" install >/dev/null
echo "install-pgvector: installed $(grep default_version "$sharedir/extension/vector.control")"
