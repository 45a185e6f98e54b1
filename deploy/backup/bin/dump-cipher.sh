#!/usr/bin/env bash
# The logical dumps' encryption, in one place: dump.sh encrypts before the upload, `s3-dumps.sh download` decrypts.
#   dump-cipher.sh encrypt|decrypt <in|-> <out|->
# AES-256-CBC in OpenSSL's `enc` format (`Salted__`, a random salt, then the ciphertext), the key derived from the
# backup repository's passphrase (PGBACKREST_REPO1_CIPHER_PASS, read from the environment, never an argument) with
# PBKDF2: the same secret that already protects the pgBackRest repository in the same bucket, so one passphrase to
# keep off the host restores both, and the dumps need no secret that the backup container does not already hold.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/backup-env.sh"

(($# == 3)) && [[ $1 =~ ^(encrypt|decrypt)$ ]] || { echo "usage: dump-cipher.sh encrypt|decrypt <in|-> <out|->" >&2; exit 64; }
[[ -n ${PGBACKREST_REPO1_CIPHER_PASS:-} ]] || backup_env_fail "PGBACKREST_REPO1_CIPHER_PASS is not set: the logical dumps are encrypted with it"
args=(enc -aes-256-cbc -pbkdf2 -iter 200000 -pass env:PGBACKREST_REPO1_CIPHER_PASS)
[[ $2 == - ]] || args+=(-in "$2")
[[ $3 == - ]] || args+=(-out "$3")
if [[ $1 == encrypt ]]; then
  exec openssl "${args[@]}" -e -salt
else
  exec openssl "${args[@]}" -d
fi
