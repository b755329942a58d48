#!/usr/bin/env bash
# Makes throw-away TLS material for the SSL examples with the JDK's keytool: one CA
# (secrets/ca.p12, secrets/ca.pem) and, for each NAME given, secrets/NAME/ with a keystore whose
# certificate is signed by the CA for the host names NAME and localhost, a truststore holding the
# CA, and the three password files the image reads (KAFKA_SSL_*_CREDENTIALS). Also makes
# secrets/client/ for clients (client authentication is required in the examples).
#
# For trying the examples only: the password is fixed and the certificates last 30 days.
#   ./make-secrets.sh kafka                      # single-node-ssl.yml
#   ./make-secrets.sh kafka-1 kafka-2 kafka-3    # cluster-combined-ssl.yml
set -euo pipefail
cd "$(dirname "$0")"
pass="${SECRETS_PASSWORD:-changeit-examples}"
mkdir -p secrets
if [[ ! -f secrets/ca.p12 ]]; then
  keytool -genkeypair -alias ca -dname "CN=kafka-image-examples-ca" -keyalg RSA -keysize 2048 \
    -validity 30 -ext bc:c -keystore secrets/ca.p12 -storetype PKCS12 -storepass "$pass" -noprompt
  keytool -exportcert -rfc -alias ca -keystore secrets/ca.p12 -storepass "$pass" -file secrets/ca.pem
fi
for name in "$@" client; do
  dir="secrets/$name"
  rm -rf "$dir" && mkdir -p "$dir"
  san="SAN=dns:$name,dns:localhost"
  keytool -genkeypair -alias "$name" -dname "CN=$name" -keyalg RSA -keysize 2048 -validity 30 \
    -ext "$san" -keystore "$dir/kafka.keystore.jks" -storetype JKS -storepass "$pass" -keypass "$pass" -noprompt
  keytool -certreq -alias "$name" -keystore "$dir/kafka.keystore.jks" -storepass "$pass" -file "$dir/req.csr"
  keytool -gencert -rfc -alias ca -keystore secrets/ca.p12 -storepass "$pass" -infile "$dir/req.csr" \
    -outfile "$dir/cert.pem" -ext "$san" -validity 30
  keytool -importcert -alias ca -file secrets/ca.pem -keystore "$dir/kafka.keystore.jks" -storepass "$pass" -noprompt
  keytool -importcert -alias "$name" -file "$dir/cert.pem" -keystore "$dir/kafka.keystore.jks" -storepass "$pass" -noprompt
  keytool -importcert -alias ca -file secrets/ca.pem -keystore "$dir/kafka.truststore.jks" -storetype JKS -storepass "$pass" -noprompt
  rm -f "$dir/req.csr"
  for creds in kafka_keystore_creds kafka_ssl_key_creds kafka_truststore_creds; do
    printf '%s\n' "$pass" > "$dir/$creds"
  done
  # The image runs Kafka as uid 1000; the mounted files must be readable by it.
  chmod 0755 "$dir" && chmod 0644 "$dir"/*
  echo "made $dir"
done
