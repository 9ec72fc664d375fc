#!/bin/bash
# Usage: tools/check_resume_sigkill.sh [JAR] [WORKDIR]. Trains the demo preset 30 steps straight, then
# again killed twice with SIGKILL (mid-run, at arbitrary moments) and resumed, and compares the bytes.
# Manual SIGKILL check: uninterrupted run vs a run killed twice with SIGKILL and resumed.
JAR=${1:-harness/target/maesil.jar}
W=${2:-/tmp/maesil-sigkill}
J="java --add-modules jdk.incubator.vector -jar $JAR"
D=${MAESIL_DATA:-phantom:abdomen:1:64:7} # or a folder of NIfTI files: streamed volume by volume
A="--preset demo --data $D --steps 30 --checkpoint-every 7 --seed 3 --threads 2 --quiet"
rm -rf $W/straight $W/killed; mkdir -p $W
$J train $A --out $W/straight --json > $W/straight.json
$J train $A --out $W/killed > /dev/null 2>&1 &
P=$!
while [ "$(cat $W/killed/loss.jsonl 2>/dev/null | wc -l)" -lt 9 ]; do sleep 0.05; done
sleep 0.$RANDOM
kill -9 $P; wait $P 2>/dev/null
echo "kill 1 after $(wc -l < $W/killed/loss.jsonl) log lines; checkpoint step: $(strings $W/killed/checkpoint.safetensors | grep -o '"run.step":"[0-9]*"' | head -1)"
$J train --resume --out $W/killed --threads 1 --quiet > /dev/null 2>&1 &
P=$!
while [ "$(cat $W/killed/loss.jsonl 2>/dev/null | wc -l)" -lt 19 ]; do sleep 0.05; done
sleep 0.$RANDOM
kill -9 $P; wait $P 2>/dev/null
echo "kill 2 after $(wc -l < $W/killed/loss.jsonl) log lines; checkpoint step: $(strings $W/killed/checkpoint.safetensors | grep -o '"run.step":"[0-9]*"' | head -1); temporaries: $(ls $W/killed | grep -c tmp)"
$J train --resume --out $W/killed --threads 2 --quiet --json > $W/killed.json
cmp $W/straight/checkpoint.safetensors $W/killed/checkpoint.safetensors && echo "checkpoint.safetensors (weights + AdamW moments + metadata): byte-identical"
cmp $W/straight/model.safetensors $W/killed/model.safetensors && echo "model.safetensors: byte-identical"
diff <(sed 's/,"seconds":[^,}]*//' $W/straight/loss.jsonl) <(sed 's/,"seconds":[^,}]*//' $W/killed/loss.jsonl) > /dev/null && echo "loss.jsonl (without timings): identical, $(wc -l < $W/killed/loss.jsonl) lines"
tail -1 $W/straight/loss.jsonl
if cmp -s $W/straight/checkpoint.safetensors $W/killed/checkpoint.safetensors && cmp -s $W/straight/model.safetensors $W/killed/model.safetensors; then
  echo "RESUME CHECK PASSED"
else
  echo "RESUME CHECK FAILED: the resumed run differs from the uninterrupted one"; exit 1
fi
