#!/usr/bin/env bash
# Installs an Apache Kafka broker from Maven Central jars (no tarball mirror needed) under
# $SCA_CACHE/kafka-<version>/libs. Idempotent: a finished install leaves a .complete marker.
#
# Kafka 3.9.x: the last line that still carries ZooKeeper-era request versions and the one upstream
# kafkajs users run; kafkajs 2.2.4 (2023) was never tested against 4.x, which removed old protocol
# versions. 3.9 runs KRaft without ZooKeeper, so a single java process is the whole cluster.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=jvm-lib.sh
source "$here/jvm-lib.sh"

dir=$(kafka_home)
if [ -e "$dir/.complete" ]; then
  echo "kafka $KAFKA_VERSION already installed in $dir"
else
  ensure_java_and_maven

  rm -rf "$dir" && mkdir -p "$dir"
  cat >"$dir/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.sca</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <!-- the logging backend the 3.9 distribution ships (slf4j over reload4j) -->
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-reload4j</artifactId>
      <version>1.7.36</version>
    </dependency>
  </dependencies>
</project>
EOF
  echo "resolving kafka_2.13:$KAFKA_VERSION and its runtime dependencies from Maven Central" >&2
  mvn -q -B -Dstyle.color=never -f "$dir/pom.xml" -Dmaven.repo.local="$SCA_CACHE/m2" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dir/libs"
  ls "$dir/libs"/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null
  touch "$dir/.complete"
  echo "kafka $KAFKA_VERSION installed: $(ls "$dir/libs" | wc -l) jars in $dir/libs"
fi
# once per install: a stale or missing archive only costs start-up time
if [ ! -e "$dir/.cds-tried" ]; then
  cds_train "$dir/kafka.jsa" "$here/start-kafka.sh" "$here/stop-kafka.sh"
  touch "$dir/.cds-tried"
fi
