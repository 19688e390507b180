#!/usr/bin/env bash
# A development PKI for remiss's mutual TLS (openssl). Never for production: its CA key sits
# beside the certificates, unencrypted.
#
#   tools/pki.sh [DIR]                 a CA and every development certificate (default
#                                      ~/.cache/remiss/pki); keeps an existing CA
#   tools/pki.sh ca DIR                a new CA in DIR (ca.pem, ca.key)
#   tools/pki.sh client DIR NAME ORG ROLE [DAYS]
#                                      NAME.pem/NAME.key for spiffe://DOMAIN/org/ORG/role/ROLE
#   tools/pki.sh server DIR NAME HOST...
#                                      NAME.pem/NAME.key for a server answering on HOST...
#   tools/pki.sh expired DIR NAME ORG ROLE   a client certificate that expired in 2020
#   tools/pki.sh nosan DIR NAME        a client certificate with no SAN URI (CN only)
#   tools/pki.sh revoke DIR NAME       revokes NAME.pem and writes the CA's new CRL
#   tools/pki.sh crl DIR               (re)writes the CA's CRL (valid 30 days: run it again,
#                                      e.g. daily, or the servers refuse every client)
#
# The CRL lands in DIR/crl/ as <hash>.rN (a new N each time), the form servers' --tls-crl-dir
# reads (OpenSSL's hashed directory); every CA a server trusts needs a current CRL there.
#
# The trust domain is $REMISS_TRUST_DOMAIN (default remiss.local), as servers' --trust-domain.
# Certificates name organizations and roles, never persons. Client certificates live 90 days
# by default; rotate by issuing new ones in place: servers reload their files within a minute.
set -euo pipefail
domain=${REMISS_TRUST_DOMAIN:-remiss.local}
die() { echo "pki.sh: $*" >&2; exit 2; }

new_ca() {
  local dir=$1
  mkdir -p "$dir" && chmod 700 "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/O=remiss development/CN=remiss development CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
  chmod 600 "$dir/ca.key"
}

# sign DIR NAME SUBJECT EXTENSIONS DAYS
sign() {
  local dir=$1 name=$2 subject=$3 ext=$4 days=$5
  [ -f "$dir/ca.pem" ] || die "$dir has no CA (tools/pki.sh ca $dir)"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$subject" \
    -keyout "$dir/$name.key" -out "$dir/$name.csr" 2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -CAcreateserial -days "$days" -extfile <(printf '%s\n' "$ext") -out "$dir/$name.pem" 2>/dev/null
  rm -f "$dir/$name.csr"
  chmod 600 "$dir/$name.key"
}

client() {
  local dir=$1 name=$2 org=$3 role=$4 days=${5:-90}
  sign "$dir" "$name" "/O=remiss/OU=$role/CN=$org" \
    "$(printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectAltName=URI:spiffe://%s/org/%s/role/%s' "$domain" "$org" "$role")" "$days"
}

server() {
  local dir=$1 name=$2; shift 2
  local san="URI:spiffe://$domain/service/$name" h
  for h in "$@"; do
    if [[ $h =~ ^[0-9.]+$ || $h == *:* ]]; then san="$san,IP:$h"; else san="$san,DNS:$h"; fi
  done
  sign "$dir" "$name" "/O=remiss/CN=$name" \
    "$(printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s' "$san")" 365
}

# A certificate whose validity ended in 2020: openssl ca takes explicit dates.
expired() {
  local dir=$1 name=$2 org=$3 role=$4 work
  work=$(mktemp -d)
  touch "$work/index.txt"
  cat >"$work/ca.cnf" <<CNF
[ca]
default_ca = dev
[dev]
database = $work/index.txt
new_certs_dir = $work
certificate = $dir/ca.pem
private_key = $dir/ca.key
serial = $work/serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
[ext]
subjectAltName = URI:spiffe://$domain/org/$org/role/$role
extendedKeyUsage = clientAuth
CNF
  echo 01 >"$work/serial"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$org" \
    -keyout "$dir/$name.key" -out "$work/req.csr" 2>/dev/null
  openssl ca -batch -config "$work/ca.cnf" -extensions ext -startdate 20200101000000Z \
    -enddate 20200201000000Z -in "$work/req.csr" -out "$dir/$name.pem" -notext 2>/dev/null
  rm -rf "$work"
}

# The CA's revocation list: DIR/crl.index (openssl ca's database of revoked serials),
# DIR/crl/<subject hash>.r0 (PEM).
crl_config() {
  local dir=$1
  [ -f "$dir/crl.index" ] || touch "$dir/crl.index"
  [ -f "$dir/crl.number" ] || echo 01 >"$dir/crl.number"
  cat <<CNF
[ca]
default_ca = dev
[dev]
database = $dir/crl.index
certificate = $dir/ca.pem
private_key = $dir/ca.key
crlnumber = $dir/crl.number
default_md = sha256
default_crl_days = 30
unique_subject = no
CNF
}

write_crl() {
  local dir=$1 hash newest last
  [ -f "$dir/ca.key" ] || die "$dir has no CA key (tools/pki.sh ca $dir)"
  mkdir -p "$dir/crl"
  # A server takes the list with the latest lastUpdate, and of two from one second the one
  # it read first: wait until the clock is past the newest list's second.
  newest=$(ls -t "$dir"/crl/*.r[0-9]* 2>/dev/null | head -1 || true)
  if [ -n "$newest" ]; then
    last=$(date -d "$(openssl crl -in "$newest" -noout -lastupdate | cut -d= -f2)" +%s)
    while [ "$(date +%s)" -le "$last" ]; do sleep 0.2; done
  fi
  openssl ca -batch -config <(crl_config "$dir") -gencrl -out "$dir/crl/ca.crl.pem" 2>/dev/null \
    || die "openssl could not write the CRL of $dir"
  hash=$(openssl crl -hash -noout -in "$dir/crl/ca.crl.pem")
  # A new file each time (<hash>.r0, .r1, ...): a server reads files it has not seen at its
  # next handshake and takes the newest list, but never reads a file it has read again.
  local n=0
  while [ -e "$dir/crl/$hash.r$n" ]; do n=$((n + 1)); done
  mv "$dir/crl/ca.crl.pem" "$dir/crl/$hash.r$n"
}

revoke() {
  local dir=$1 name=$2
  [ -f "$dir/$name.pem" ] || die "$dir/$name.pem: no such certificate"
  openssl ca -batch -config <(crl_config "$dir") -revoke "$dir/$name.pem" 2>/dev/null \
    || die "openssl could not revoke $dir/$name.pem (revoked already?)"
  write_crl "$dir"
  echo "$dir/$name.pem revoked; CRL in $dir/crl (servers with --tls-crl-dir $dir/crl refuse it)"
}

nosan() {
  local dir=$1 name=$2
  sign "$dir" "$name" "/O=remiss/CN=$name" \
    "$(printf 'basicConstraints=critical,CA:FALSE\nextendedKeyUsage=clientAuth')" 90
}

everything() {
  local dir=$1 org
  [ -f "$dir/ca.pem" ] || new_ca "$dir"
  server "$dir" server localhost 127.0.0.1 ::1 "$(hostname)"
  client "$dir" ks ks ks
  client "$dir" operator ops operator
  client "$dir" reader ks reader
  client "$dir" integrator ks integrator
  client "$dir" gateway console gateway
  for org in bromma-sdn sodermalm-sdn hasselby-vallingby-sdn skarholmen-sdn \
             utbildningsnamnden socialnamnden kyrkogardsnamnden; do
    client "$dir" "$org" "$org" board
  done
  write_crl "$dir"
  echo "$dir: ca.pem, server.pem/key (localhost, 127.0.0.1, ::1, $(hostname)), ks, operator," \
       "reader, integrator, gateway and one per seed board (<org>.pem/key), the CA's CRL in" \
       "crl/; trust domain $domain"
}

command -v openssl >/dev/null || die "openssl is not installed (tools/setup.sh)"
case "${1:-}" in
  ca) [ $# -eq 2 ] || die "usage: pki.sh ca DIR"; new_ca "$2" ;;
  client) [ $# -ge 5 ] || die "usage: pki.sh client DIR NAME ORG ROLE [DAYS]"; client "${@:2}" ;;
  server) [ $# -ge 4 ] || die "usage: pki.sh server DIR NAME HOST..."; server "${@:2}" ;;
  expired) [ $# -eq 5 ] || die "usage: pki.sh expired DIR NAME ORG ROLE"; expired "${@:2}" ;;
  nosan) [ $# -eq 3 ] || die "usage: pki.sh nosan DIR NAME"; nosan "${@:2}" ;;
  revoke) [ $# -eq 3 ] || die "usage: pki.sh revoke DIR NAME"; revoke "${@:2}" ;;
  crl) [ $# -eq 2 ] || die "usage: pki.sh crl DIR"; write_crl "$2" ;;
  -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) [ $# -le 1 ] || die "unknown command $1 (see --help)"; everything "${1:-$HOME/.cache/remiss/pki}" ;;
esac
