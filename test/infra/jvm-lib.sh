#!/usr/bin/env bash
# Shared by the JVM components' install/start/stop scripts (Kafka, schema registry): versions,
# cache locations, and installing java + maven on a machine that has neither.
# Not named install-*/start-*/stop-* on purpose: the infra hooks must not run it by itself.

export SCA_CACHE=${SCA_CACHE:-$HOME/.cache/selfcodealign-stream}
KAFKA_VERSION=3.9.2
APICURIO_VERSION=3.0.9

kafka_home() { echo "$SCA_CACHE/kafka-$KAFKA_VERSION"; }
registry_home() { echo "$SCA_CACHE/apicurio-registry-$APICURIO_VERSION"; }

ensure_java_and_maven() {
  local need=()
  command -v java >/dev/null || need+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || need+=(maven)
  [ ${#need[@]} -eq 0 ] && return 0
  echo "installing ${need[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  # apt is shared with whatever else installs on this machine: take dpkg's lock politely
  apt-get update -q >&2
  apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends "${need[@]}" >&2
}

# JVM flags for class-data sharing with the archive at $1: SCA_CDS_TRAIN=1 (set by the install
# scripts for one training start) records it at exit; afterwards every start maps it, which cuts
# start-up by roughly a third. A missing or stale archive (e.g. java was upgraded) is ignored.
cds_flags() {
  if [ "${SCA_CDS_TRAIN:-}" = 1 ]; then echo "-XX:ArchiveClassesAtExit=$1.training"
  elif [ -s "$1" ]; then echo "-XX:SharedArchiveFile=$1 -Xlog:cds=off -Xlog:cds+dynamic=off"
  fi
}

# One training start + clean stop of a component, so that its CDS archive gets written; moved into
# place whole, since other test runs on this machine may be starting from the same cache.
cds_train() {
  local archive=$1 start=$2 stop=$3 run
  run=$(mktemp -d /tmp/sca-cds-train.XXXXXX)
  rm -f "$archive.training"
  if SCA_CDS_TRAIN=1 SCA_INFRA_RUN=$run bash "$start" >/dev/null; then
    SCA_INFRA_RUN=$run bash "$stop"
  else
    SCA_INFRA_RUN=$run bash "$stop" || true
  fi
  rm -rf "$run"
  if [ -s "$archive.training" ]; then
    mv -f "$archive.training" "$archive"
    echo "class-data sharing archive written: $archive" >&2
  else
    rm -f "$archive.training"
    echo "no class-data sharing archive (starts will be slower, nothing else changes)" >&2
  fi
}

# Is something listening on 127.0.0.1:$1?
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Ports handed out by free_port_pair stay reserved for their owner (a broker's or registry's run
# directory) until stop-kafka.sh / stop-registry.sh releases them: a test that stops its private
# broker to restart it leaves its ports unbound for a moment, and another test starting a broker
# then must not take them. A reservation whose owner is gone, or older than 3 h (a run killed
# before its teardown), no longer counts.
port_reservations=/tmp/sca-port-reservations
port_reserved() {
  local f="$port_reservations/$1"
  [ -e "$f" ] && [ -d "$(cat "$f")" ] && [ -n "$(find "$f" -mmin -180)" ]
}
reserve_port() { mkdir -p "$port_reservations" && echo "$2" >"$port_reservations/$1"; }
release_port() { rm -f "$port_reservations/$1"; }

# First base port p (p, p+step, ...) such that p and p+1 are both free and not reserved; reserves
# it for owner $3. Callers hold a lock around the choice and the bind.
free_port_pair() {
  local p=$1 step=$2 owner=$3
  for _ in $(seq 1 50); do
    if ! port_reserved "$p" && ! port_in_use "$p" && ! port_in_use $((p + 1)); then
      reserve_port "$p" "$owner"
      echo "$p"
      return 0
    fi
    p=$((p + step))
  done
  echo "no free port pair found from $1 upwards" >&2
  return 1
}
