#!/usr/bin/env bash
# Installs Apicurio Registry (a real schema registry with a Confluent-compatible REST API under
# /apis/ccompat/v7) from Maven Central: Confluent's own registry is not published there, Karapace
# is not on PyPI, and Apicurio runs from a plain `java -jar` with in-memory storage.
# Idempotent: a finished install leaves a .complete marker under $SCA_CACHE.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/jvm-lib.sh"

dir=$(registry_home)
if [ -e "$dir/.complete" ]; then
  echo "apicurio registry $APICURIO_VERSION already installed in $dir"
else
  ensure_java_and_maven

  rm -rf "$dir" && mkdir -p "$dir"
  echo "fetching io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all from Maven Central" >&2
  # maven verifies the artifact's checksum on download
  mvn -q -B -Dstyle.color=never -Dmaven.repo.local="$SCA_CACHE/m2" dependency:copy \
    -Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" -DoutputDirectory="$dir/dist"
  tar -xzf "$dir/dist/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz" -C "$dir"
  rm -rf "$dir/dist" "$SCA_CACHE/m2/io/apicurio/apicurio-registry-app/$APICURIO_VERSION"
  # 3.0.x ships a legacy-jar layout (<name>-runner.jar beside lib/), later ones quarkus-app/quarkus-run.jar
  run_jar=$(find "$dir" -maxdepth 3 \( -name quarkus-run.jar -o -name '*-runner.jar' \) | head -n 1)
  [ -n "$run_jar" ] || { echo "no runnable jar (quarkus-run.jar / *-runner.jar) in the apicurio tarball" >&2; exit 1; }
  echo "$run_jar" >"$dir/run-jar"
  touch "$dir/.complete"
  echo "apicurio registry $APICURIO_VERSION installed: $(cat "$dir/run-jar")"
fi
# once per install: a stale or missing archive only costs start-up time
if [ ! -e "$dir/.cds-tried" ]; then
  cds_train "$dir/registry.jsa" "$here/start-registry.sh" "$here/stop-registry.sh"
  touch "$dir/.cds-tried"
fi
