#!/bin/sh
# Generates a throw-away test PKI for the platform emulator (EC P-256, ~0.1 s):
#   DIR/ca.pem, DIR/ca-key.pem                 the test CA (trust it via FLUXLOOP_CA_BUNDLE / curl --cacert)
#   DIR/server.pem, DIR/server-key.pem         issued by the CA for IP:127.0.0.1, IP:::1, DNS:localhost
#   DIR/wrong-host.pem, DIR/wrong-host-key.pem issued by the CA, but only for DNS:wrong-host.invalid
#   DIR/self-signed.pem, DIR/self-signed-key.pem  for 127.0.0.1/localhost, but NOT issued by the CA
# Usage: make-test-ca.sh DIR
set -eu
if [ $# -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
dir=$1
mkdir -p "$dir"
cd "$dir"
umask 077

days=30
subj_prefix="/O=FluxLoop emulator test"

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# The CA: basicConstraints critical CA:TRUE, keyCertSign.
newkey ca-key.pem
openssl req -x509 -new -key ca-key.pem -sha256 -days "$days" -subj "$subj_prefix/CN=FluxLoop Test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectKeyIdentifier=hash" -out ca.pem

# leaf NAME CN SAN: a server certificate signed by the CA (serverAuth EKU, SAN set).
leaf() {
  name=$1 cn=$2 san=$3
  newkey "$name-key.pem"
  openssl req -new -key "$name-key.pem" -subj "$subj_prefix/CN=$cn" -out "$name.csr"
  cat > "$name.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$san
authorityKeyIdentifier=keyid
subjectKeyIdentifier=hash
EOF
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days "$days" -sha256 \
    -extfile "$name.ext" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

leaf server localhost "IP:127.0.0.1,IP:::1,DNS:localhost"
leaf wrong-host wrong-host.invalid "DNS:wrong-host.invalid"

# Self-signed for the right names: valid host, untrusted issuer.
newkey self-signed-key.pem
openssl req -x509 -new -key self-signed-key.pem -sha256 -days "$days" -subj "$subj_prefix/CN=localhost" \
  -addext "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost" -addext "extendedKeyUsage=serverAuth" \
  -out self-signed.pem

rm -f ca.srl
# Certificates are public; keys stay 0600.
chmod 644 ca.pem server.pem wrong-host.pem self-signed.pem
