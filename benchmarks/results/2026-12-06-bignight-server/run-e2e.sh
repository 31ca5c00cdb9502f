#!/bin/bash
# End-to-end: dispatch serve --ray-address local + dispatch jobs submit --watch of the 20,000-stop night (estimate).
set -u
cd /work/main
OUT=benchmarks/results/2026-12-06-bignight-server
mkdir -p $OUT
REQ=/tmp/s10h1/night-20000-estimate.json
PORT=50877
( while true; do echo "$(date -u +%FT%TZ) $(cat /proc/loadavg)" >> $OUT/load.txt; sleep 30; done ) &
echo $! > /tmp/s10h1/sampler.pid
.venv/bin/python -c "import json; from benchmarks import machine; print(json.dumps(machine.environment(['e2e-server-20000']), indent=2))" > $OUT/environment-server-20000.json
.venv/bin/python -c "import ray; print('ray', ray.__version__)" >> /tmp/s10h1/ray-version.txt 2>&1
.venv/bin/python -m benchmarks bignight --sizes 20000 --write-request $REQ --travel estimate > $OUT/write-request-20000.txt 2>&1
ls -l $REQ >> $OUT/write-request-20000.txt; sha256sum $REQ >> $OUT/write-request-20000.txt
date -u +%FT%TZ > /tmp/s10h1/serve-start.txt
.venv/bin/dispatch serve --address 127.0.0.1:$PORT --store /tmp/s10h1/e2e.sqlite3 --ray-address local > /tmp/s10h1/serve.log 2>&1 &
echo $! > /tmp/s10h1/serve.pid
for i in $(seq 1 120); do
  .venv/bin/dispatch health --target 127.0.0.1:$PORT >/dev/null 2>&1 && break
  sleep 1
done
echo "server healthy at $(date -u +%FT%TZ) after ${i}s" > $OUT/submit-watch.txt
S=$(date +%s.%N)
echo "submit at $(date -u +%FT%T.%3NZ)" >> $OUT/submit-watch.txt
.venv/bin/dispatch jobs submit --target 127.0.0.1:$PORT --watch $REQ 2>&1 | while IFS= read -r line; do echo "$(date -u +%T) $line"; done >> $OUT/submit-watch.txt
E=$(date +%s.%N)
echo "watch ended at $(date -u +%FT%T.%3NZ); submit -> end $(echo "$E - $S" | bc) s" >> $OUT/submit-watch.txt
JOB=$(grep -m1 -oE '[0-9a-f]{32}' $OUT/submit-watch.txt)
.venv/bin/dispatch jobs result --target 127.0.0.1:$PORT --format summary $JOB > $OUT/result-summary.txt 2>&1
.venv/bin/dispatch jobs get --target 127.0.0.1:$PORT $JOB > /tmp/s10h1/job.json 2>&1
.venv/bin/python - <<'PY' > $OUT/job-facts.json
import json
job = json.load(open('/tmp/s10h1/job.json'))
r = job.get('result', {})
info = r.get('solve_info', {})
k = r.get('kpis', {})
print(json.dumps({
  'state': job.get('state'), 'attempts': job.get('attempts'),
  'create_time': job.get('create_time'), 'start_time': job.get('start_time'), 'end_time': job.get('end_time'),
  'engine': info.get('engine'), 'status': info.get('status'), 'verified': info.get('verified'),
  'wall_time': info.get('wall_time'), 'kpis': k,
  'travel_hours': round(int(k.get('travel_seconds', 0)) / 3600, 2),
  'routes': len(r.get('routes', [])), 'skipped': len(r.get('skipped_stops', [])),
  'parts_done': job.get('progress', {}).get('parts_done'), 'parts_total': job.get('progress', {}).get('parts_total'),
  'error': job.get('error_message', ''),
}, indent=2))
PY
kill $(cat /tmp/s10h1/serve.pid); sleep 5
kill $(cat /tmp/s10h1/sampler.pid)
echo done > /tmp/s10h1/e2e.done
