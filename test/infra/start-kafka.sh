#!/usr/bin/env bash
# Starts a fresh single-node KRaft Kafka (broker + controller in one JVM) on loopback for the tests.
# stdout: only `export` lines (KAFKA_BROKERS, SCA_KAFKA_CTL); everything else goes to stderr.
# Ports: 19092 (client) / 19093 (controller) unless taken, e.g. by another engineer's test run on
# the same machine; then the next free pair 100 above. KAFKA_PORT pins it. They sit below the
# kernel's ephemeral range (32768+): there, a client's outgoing socket once took the controller port
# while a test had the broker stopped, and the restart could not bind.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/jvm-lib.sh"
: "${SCA_INFRA_RUN:?SCA_INFRA_RUN must name the directory for pid and data files}"

home=$(kafka_home)
[ -e "$home/.complete" ] || { echo "kafka is not installed in $home: run bash test/infra/install.sh" >&2; exit 1; }
command -v java >/dev/null || { echo "java not found: run bash test/infra/install.sh" >&2; exit 1; }

dir="$SCA_INFRA_RUN/kafka"
rm -rf "$dir" && mkdir -p "$dir/logs" "$dir/data"

# Port choice and startup are serialised so two concurrent test runs cannot pick the same pair.
# Children get the lock's fd closed (9>&-): a broker inheriting it would hold the lock for its life.
exec 9>/tmp/sca-kafka-ports.lock
flock -w 180 9 || echo "port lock still busy after 180 s; going ahead without it" >&2
port=${KAFKA_PORT:-$(free_port_pair 19092 100 "$dir")}
printf 'KAFKA_PORT=%s\nCONTROLLER_PORT=%s\n' "$port" $((port + 1)) >"$dir/env"

cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$((port + 1))
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$((port + 1))
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
# One broker: internal topics cannot have more replicas than that, or transactions never start.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
default.replication.factor=1
min.insync.replicas=1
# Topics come from \`sca topics create\` / the tests' admin calls, as in production.
auto.create.topics.enable=false
# Tests join and leave groups constantly; the default 3 s delay would dominate their runtime.
group.initial.rebalance.delay.ms=0
num.partitions=1
log.segment.bytes=67108864
PROPS

cat >"$dir/log4j.properties" <<PROPS
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$dir/logs/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.org.apache.kafka=WARN
log4j.logger.kafka.log=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
PROPS

# What `StorageTool random-uuid` prints (16 random bytes, url-safe base64, never starting with "-",
# which the CLI would take for a flag), without a second JVM start.
cluster_id=-
while [ "${cluster_id:0:1}" = - ]; do cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '='); done
java -cp "$home/libs/*" -Dlog4j.configuration="file:$dir/log4j.properties" kafka.tools.StorageTool format \
  -t "$cluster_id" -c "$dir/server.properties" >>"$dir/logs/stdout.log" 2>&1 9>&-

cat >"$dir/ctl" <<CTL
#!/usr/bin/env bash
exec bash "$here/kafka-ctl.sh" "$dir" "\$@"
CTL
chmod +x "$dir/ctl"

t0=$(date +%s%N)
bash "$dir/ctl" start >&2 9>&-
echo "kafka $KAFKA_VERSION ready on 127.0.0.1:$port in $(( ($(date +%s%N) - t0) / 1000000 )) ms (logs: $dir/logs)" >&2
echo "export KAFKA_BROKERS=127.0.0.1:$port"
echo "export SCA_KAFKA_CTL=$dir/ctl"
