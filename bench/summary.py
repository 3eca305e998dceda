"""Regenerates the summary at the top of docs/benchmarks.md from bench/results/*.json.

Run by bench/all.sh after every harness (and on its own at any time): the block between the
`<!-- summary:begin -->` and `<!-- summary:end -->` markers is replaced with
  - the machine the figures ran on (this one, now; each JSON keeps its own run's machine too),
  - one line per harness: its headline figures, the targets of the issues and whether they were
    met, and the run's date,
  - the published figures of comparable gateways (bench/comparables.json), for context only.
The sections below the block (each harness's table of runs) are appended to by the harnesses.
"""
import json
import os
import platform
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN, END = '<!-- summary:begin -->', '<!-- summary:end -->'


def load(name):
    path = os.path.join(ROOT, 'bench', 'results', name + '.json')
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def n(v, spec='{:,.0f}'):
    return 'n/a' if v is None else spec.format(v)


def met(flags):
    if not flags:
        return 'n/a'
    bad = [k for k, v in flags.items() if not v]
    return 'all met' if not bad else 'NOT met: ' + ', '.join(bad)


def rows():
    out = []
    b = load('bridge')
    if b:
        out.append(('bridge', f"{n(b.get('values_per_s'))} values/s of {n(b.get('offered_values_per_s'))}"
                    f" offered ({b.get('devices')} devices x {b.get('tags_per_device')} tags), p99"
                    f" jitter {n(b.get('jitter_p99_ms'), '{:.1f}')} ms, RSS {n(b.get('rss_mb'))} MB",
                    '100,000 values/s', 'met' if (b.get('values_per_s') or 0) >= 99_000
                    and not b.get('dropped_values') else 'NOT met', b.get('date')))
    u = load('buffer')
    if u:
        out.append(('buffer', f"writer {n(u.get('writer_samples_per_s'))} samples/s, bus to store"
                    f" {n(u.get('e2e_samples_per_s'))}/s (p99 <= {n(u.get('e2e_p99_ms'))} ms),"
                    f" 30-day aggregate p99 {n(u.get('query_bucket_30d_p99_ms'))} ms",
                    '100,000 samples/s', met(u.get('targets_met')), u.get('date')))
    r = load('rules')
    if r:
        out.append(('rules', f"p99 {n(r.get('processing_p99_ms'), '{:.2f}')} ms per batch at"
                    f" {n(r.get('offered_samples_per_s'))} samples/s, change to alarm p99"
                    f" {n(r.get('e2e_alarm_p99_ms'))} ms, to interlock p99"
                    f" {n(r.get('interlock_p99_ms'))} ms", 'see "## rules"',
                    met(r.get('targets_met')), r.get('date')))
    up = load('uplink')
    if up:
        out.append(('uplink', f"backfill {n(up.get('backfill_samples_per_s'))} samples/s over TLS,"
                    f" throttle error {n(up.get('throttle_error_pct'), '{:+.2f}')} %, live p99"
                    f" {n(up.get('live_p99_ms'))} ms during backfill", '100,000 samples/s;'
                    ' +/-5 %; < 2 s', met(up.get('targets_met')), up.get('date')))
    p = load('pipeline')
    if p:
        out.append(('pipeline', f"{n(p.get('pipeline_values_per_s'))} values/s at the cloud of"
                    f" {n(p.get('offered_values_per_s'))} offered (published"
                    f" {n(p.get('bridge_values_per_s'))}, stored {n(p.get('buffer_samples_per_s'))})",
                    '100,000 values/s', 'met' if p.get('target_met') else 'NOT met',
                    p.get('date')))
    s = load('stack')
    if s:
        out.append(('footprint (stack)', f"ready {n(s.get('startup_s'), '{:.1f}')} s after up;"
                     f" under {n(s.get('offered_values_per_s'))} values/s: largest Java service"
                     f" {n(s.get('max_service_rss_mb'))} MB RSS, stack {n(s.get('stack_rss_mb'))}"
                     ' MB', '<= 60 s; <= 200 MB; <= 1.5 GB', met(s.get('targets_met')),
                     s.get('date')))
    t = load('backfill-timeline')
    if t:
        out.append(('backfill on the stack', f"{t.get('outage_s')} s outage at"
                    f" {n(t.get('offered_values_per_s'))} values/s: caught up"
                    f" {n(t.get('backfill_s'), '{:.1f}')} s after the cloud returned, live latency"
                    f" max {n(t.get('live_latency_max_ms_during_backfill'))} ms meanwhile",
                    'live stays fresh', 'see the plot', t.get('date')))
    return out


def machine():
    model = 'unknown'
    try:
        with open('/proc/cpuinfo') as f:
            model = next(l.split(':', 1)[1].strip() for l in f if l.startswith('model name'))
    except (OSError, StopIteration):
        pass
    with open('/proc/meminfo') as f:
        mem_mb = int(f.readline().split()[1]) // 1024
    try:
        jhome = os.environ.get('JAVA_HOME')
        exe = os.path.join(jhome, 'bin', 'java') if jhome else 'java'
        java = subprocess.run([exe, '-version'], capture_output=True, text=True).stderr
        java = java.splitlines()[0] if java else 'unknown'
    except OSError:
        java = 'not on PATH'
    try:
        podman = subprocess.run(['podman', '--version'], capture_output=True, text=True).stdout.strip()
    except OSError:
        podman = 'not installed'
    return (f'{os.cpu_count()} cores ({model}), {mem_mb:,} MB memory, Linux {platform.release()},'
            f' {java}, {podman or "podman: n/a"}')


def block():
    lines = [BEGIN, '',
             '## Summary (regenerated by `bin/gateway bench all`, `bench/summary.py`)', '',
             f'Machine: {machine()}. Each harness\'s JSON records the machine and load of its own'
             ' run; a row below is the latest run of each.', '',
             '| harness | latest figures | target | result | run |', '|---|---|---|---|---|']
    for name, figures, target, result, date in rows():
        lines.append(f'| {name} | {figures} | {target} | {result} | {date or "n/a"} |')
    with open(os.path.join(ROOT, 'bench', 'comparables.json')) as f:
        comparables = json.load(f)
    lines += ['', 'Published figures of comparable gateways, for context only: other hardware, other'
              ' workloads, not measured here (`bench/comparables.json`).', '',
              '| gateway | published figure | conditions | source |', '|---|---|---|---|']
    for c in comparables:
        lines.append(f"| {c['name']} | {c['figure']} | {c['conditions']} | <{c['source']}> |")
    lines += ['', END]
    return '\n'.join(lines) + '\n'


def main():
    path = os.path.join(ROOT, 'docs', 'benchmarks.md')
    with open(path) as f:
        text = f.read()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip('\n')
        text = head + block() + '\n' + tail
    else:
        first_section = text.find('\n## ')
        if first_section < 0:
            sys.exit(f'{path}: no "## " section to put the summary before')
        text = text[:first_section + 1] + block() + '\n' + text[first_section + 1:]
    with open(path, 'w') as f:
        f.write(text)
    print(f'{path}: summary regenerated')


if __name__ == '__main__':
    main()
