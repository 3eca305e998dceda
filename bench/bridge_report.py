"""Turns two Prometheus scrapes of the bridge into bench/results/bridge.json and a table row."""
import argparse
import datetime
import json
import re
from collections import defaultdict

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([-+0-9.eEinfNa]+)$')


def scrape(path):
    series = defaultdict(dict)
    with open(path) as f:
        for line in f:
            m = LINE.match(line.strip())
            if m:
                series[m.group(1)][m.group(2) or ''] = float(m.group(3))
    return series


def total(s, name):
    return sum(s.get(name, {}).values())


def p99_from_buckets(before, after, name):
    """p99 of the delta histogram, summed over all devices, by linear interpolation in buckets."""
    per_le = defaultdict(float)
    for labels, value in after.get(name, {}).items():
        le = re.search(r'le="([^"]+)"', labels).group(1)
        per_le[le] += value - before.get(name, {}).get(labels, 0.0)
    bounds = sorted((float('inf') if le == '+Inf' else float(le), c) for le, c in per_le.items())
    if not bounds or bounds[-1][1] == 0:
        return None
    target = 0.99 * bounds[-1][1]
    prev_le, prev_c = 0.0, 0.0
    for le, c in bounds:
        if c >= target:
            if le == float('inf'):
                return prev_le
            frac = (target - prev_c) / (c - prev_c) if c > prev_c else 1.0
            return prev_le + frac * (le - prev_le)
        prev_le, prev_c = le, c
    return bounds[-1][0]


def main():
    a = argparse.ArgumentParser()
    for k in ('before', 'after', 'json', 'table'):
        a.add_argument('--' + k, required=True)
    for k in ('t0', 't1', 'cpu0', 'cpu1', 'clk-tck', 'rss-kb', 'devices', 'tags'):
        a.add_argument('--' + k, type=float, required=True)
    o = a.parse_args()
    b, af = scrape(o.before), scrape(o.after)
    secs = o.t1 - o.t0
    values = total(af, 'bridge_samples_published_total') - total(b, 'bridge_samples_published_total')
    requests = total(af, 'bridge_requests_total') - total(b, 'bridge_requests_total')
    polls = total(af, 'bridge_poll_duration_seconds_count') - total(b, 'bridge_poll_duration_seconds_count')
    dropped = total(af, 'bridge_queue_dropped_samples_total') - total(b, 'bridge_queue_dropped_samples_total')
    overruns = total(af, 'bridge_poll_overruns_total') - total(b, 'bridge_poll_overruns_total')
    backlog = total(af, 'bridge_queue_bytes')
    jitter = p99_from_buckets(b, af, 'bridge_poll_start_delay_seconds_bucket')
    cpu = (o.cpu1 - o.cpu0) / o.clk_tck / secs
    result = {
        'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'devices': int(o.devices),
        'tags_per_device': int(o.tags),
        'window_s': round(secs, 1),
        'values_per_s': round(values / secs),
        'offered_values_per_s': round(o.devices * o.tags),
        'poll_overruns': int(overruns),
        'queue_backlog_bytes_at_end': int(backlog),
        'requests_per_cycle': round(requests / (polls / o.devices)) if polls else None,
        'jitter_p99_ms': round(jitter * 1000, 2) if jitter is not None else None,
        'cpu_cores': round(cpu, 2),
        'rss_mb': round(o.rss_kb / 1024, 1),
        'dropped_values': int(dropped),
        'targets': {'values_per_s': 100000, 'jitter_p99_ms': 50, 'rss_mb': 256},
    }
    with open(o.json, 'w') as f:
        json.dump(result, f, indent=2)
        f.write('\n')
    row = ('| {date} | bridge | {devices} x {tags_per_device} @ 1 s | {values_per_s:,} '
           '(of {offered_values_per_s:,}) | {requests_per_cycle} | {jitter_p99_ms} | {cpu_cores} | '
           '{rss_mb} | {dropped_values} | {poll_overruns} | {queue_backlog_bytes_at_end} |\n'
           ).format(**result)
    with open(o.table, 'a') as f:
        f.write(row)
    print(json.dumps(result, indent=2))


if __name__ == '__main__':
    main()
