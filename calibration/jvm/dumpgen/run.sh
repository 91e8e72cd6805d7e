#!/bin/sh
# Regenerates tests/data/jstack/*.txt from a real JVM (OpenJDK 17 used for the committed files).
# Usage (from the repository root): sh calibration/jvm/dumpgen/run.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-tests/data/jstack}
build=$(mktemp -d)
javac -d "$build" "$here/DumpGen.java" "$here/org/apache/rocketmq/broker/client/ProducerManager.java"
dump() { # mode threads name flags...
    mode=$1; n=$2; name=$3; shift 3
    fifo="$build/in-$name"; mkfifo "$fifo"
    java -cp "$build" DumpGen "$mode" "$n" <"$fifo" >"$build/ready-$name" &
    jpid=$!
    exec 9>"$fifo"
    until grep -q READY "$build/ready-$name" 2>/dev/null; do sleep 0.2; done
    jstack "$@" "$jpid" >"$out/$name"
    exec 9>&-
    wait "$jpid"
}
dump signature 8 jdk17-jstack-signature.txt
dump signature 16 jdk17-jstack-l-signature.txt -l
dump healthy 8 jdk17-jstack-healthy.txt
dump healthy 8 jdk17-jstack-l-healthy.txt -l
dump unrelated 0 jdk17-jstack-unrelated.txt
# kill -3: HotSpot prints the dump on the JVM's stdout, between the program's own lines.
fifo="$build/in-kill3"; mkfifo "$fifo"
java -cp "$build" DumpGen signature 8 <"$fifo" >"$build/kill3.log" 2>&1 &
jpid=$!
exec 9>"$fifo"
until grep -q READY "$build/kill3.log" 2>/dev/null; do sleep 0.2; done
kill -3 "$jpid"; sleep 1
exec 9>&-
wait "$jpid"
{ echo "$(date -u "+%F %T") INFO main - broker started (hbsim dumpgen log sample)"; cat "$build/kill3.log"; echo "$(date -u "+%F %T") INFO main - shutdown"; } >"$out/jdk17-kill3-broker.log"
rm -rf "$build"
