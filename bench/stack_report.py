"""Samples the running podman stack's memory under demo load and writes bench/results/stack.json.

bench/stack.sh brings the stack up (timing it) and then runs this. Every --interval seconds for
--window seconds it reads, for each container of the project, the processes of the container's
memory cgroup and their /proc/<pid>/smaps_rollup:
  - rss_mb: the container's main process RSS (for a Java service, the JVM: the per-service figure);
  - pss_mb: the sum of the PSS of all its processes (shared pages divided among their sharers, so
    the stack's sum counts postgres' shared buffers once, not once per backend);
  - cgroup_mb: what the cgroup charges (RSS plus page cache; what mem_limit enforces).
The steady state is the median of the samples. It also reads the bridge's and the buffer's
counters at the start and end of the window to show the load the stack carried.
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request

JAVA_SERVICES = ('bridge', 'buffer', 'rules', 'uplink')
# Issue #7.
STARTUP_S = 60
SERVICE_RSS_MB = 200
STACK_RSS_MB = 1536
TABLE_HEADER = '| date | load | startup s'


def sh(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def containers(project):
    names = sh('podman', 'ps', '--filter', f'label=io.podman.compose.project={project}',
               '--format', '{{.Names}}').split()
    if not names:
        sys.exit(f'no running container of project {project}')
    return sorted(names)


def cgroup_dir(pid):
    with open(f'/proc/{pid}/cgroup') as f:
        lines = [l.strip().split(':', 2) for l in f]
    for _, controllers, path in lines:
        if 'memory' in controllers.split(','):
            return '/sys/fs/cgroup/memory' + path
    for hid, _, path in lines:
        if hid == '0':
            return '/sys/fs/cgroup' + path
    raise RuntimeError(f'no memory cgroup for pid {pid}')


def rollup_kb(pid, field):
    try:
        with open(f'/proc/{pid}/smaps_rollup') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0
    return 0


def read_first(paths):
    for p in paths:
        try:
            with open(p) as f:
                return int(f.read().strip())
        except (FileNotFoundError, ValueError):
            continue
    return None


def sample(name):
    pid = int(sh('podman', 'inspect', '--format', '{{.State.Pid}}', name))
    cg = cgroup_dir(pid)
    with open(os.path.join(cg, 'cgroup.procs')) as f:
        pids = [int(p) for p in f.read().split()]
    charged = read_first([os.path.join(cg, 'memory.usage_in_bytes'),
                          os.path.join(cg, 'memory.current')])
    return {
        'rss_mb': rollup_kb(pid, 'Rss') / 1024,
        'pss_mb': sum(rollup_kb(p, 'Pss') for p in pids) / 1024,
        'cgroup_mb': charged / 2**20 if charged is not None else None,
        'processes': len(pids),
    }


def counter(url, metric):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            text = r.read().decode()
    except OSError as e:
        return None, str(e)
    total = 0.0
    seen = False
    for line in text.splitlines():
        if line.startswith(metric) and not line.startswith('#'):
            head, _, value = line.rpartition(' ')
            if head.split('{')[0] == metric:
                total += float(value)
                seen = True
    return (total if seen else None), None


def load_counters():
    bridge, e1 = counter('http://127.0.0.1:8081/q/metrics', 'bridge_samples_published_total')
    buffer, e2 = counter('http://127.0.0.1:8082/q/metrics', 'buffer_ingest_samples_total')
    return {'bridge': bridge, 'buffer': buffer, 'errors': [e for e in (e1, e2) if e]}


def short(name, project):
    base = name[len(project) + 1:] if name.startswith(project + '_') else name
    return base.rsplit('_', 1)[0]


def measure(project, window, interval):
    names = containers(project)
    start = load_counters()
    t0 = time.monotonic()
    samples = {n: [] for n in names}
    while True:
        for n in names:
            samples[n].append(sample(n))
        if time.monotonic() - t0 >= window:
            break
        time.sleep(interval)
    end = load_counters()
    elapsed = time.monotonic() - t0
    per = {}
    for n, ss in samples.items():
        per[short(n, project)] = {
            k: round(statistics.median(s[k] for s in ss), 1)
            for k in ('rss_mb', 'pss_mb', 'cgroup_mb') if all(s[k] is not None for s in ss)
        } | {'processes': ss[-1]['processes'], 'samples': len(ss)}

    def rate(k):
        a, b = start.get(k), end.get(k)
        return round((b - a) / elapsed, 1) if a is not None and b is not None else None
    return per, {'bridge_values_per_s': rate('bridge'), 'buffer_samples_per_s': rate('buffer'),
                 'window_s': round(elapsed, 1), 'errors': start['errors'] + end['errors']}


def machine():
    with open('/proc/loadavg') as f:
        load = f.read().split()[:3]
    with open('/proc/meminfo') as f:
        mem = f.readline().split()[1]
    return {'cpus': os.cpu_count(), 'mem_total_mb': int(mem) // 1024, 'load_average': load,
            'kernel': os.uname().release, 'podman': sh('podman', '--version')}


def insert_row(table_path, line):
    with open(table_path) as f:
        lines = f.readlines()
    try:
        start = next(i for i, l in enumerate(lines) if l.strip() == '## stack')
        header = next(i for i in range(start, len(lines)) if lines[i].startswith(TABLE_HEADER))
    except StopIteration:
        sys.exit(f'{table_path}: no "## stack" section with a table starting "{TABLE_HEADER}";'
                 ' restore it from git and run again')
    end = header + 2
    while end < len(lines) and lines[end].startswith('|'):
        end += 1
    lines.insert(end, line)
    with open(table_path, 'w') as f:
        f.writelines(lines)


def main():
    a = argparse.ArgumentParser()
    a.add_argument('--project', required=True)
    a.add_argument('--startup-s', type=float, required=True, help='from up to all healthy')
    a.add_argument('--load', required=True, help='DEVICESxTAGS of the demo load')
    a.add_argument('--window', type=float, default=60)
    a.add_argument('--interval', type=float, default=10)
    a.add_argument('--json', required=True)
    a.add_argument('--table', required=True)
    o = a.parse_args()
    per, load = measure(o.project, o.window, o.interval)
    java = {s: per[s]['rss_mb'] for s in JAVA_SERVICES if s in per}
    stack_pss = round(sum(v['pss_mb'] for k, v in per.items() if k != 'plant'), 1)
    devices, tags = (int(x) for x in o.load.split('x'))
    r = {
        'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'harness': 'bench/stack.sh (bench/stack_report.py)',
        'startup_s': round(o.startup_s, 1),
        'stack_rss_mb': stack_pss,
        'max_service_rss_mb': max(java.values()) if java else None,
        'offered_values_per_s': devices * tags,
        'load': load,
        'containers': per,
        'definitions': {
            'startup_s': 'from podman/stack.sh up (images built) to every service healthy',
            'stack_rss_mb': 'sum of the PSS of every process of the gateway containers (mosquitto,'
                            ' db, bridge, buffer, rules, uplink, the cloud stand-in; not the load'
                            ' generator), median of the samples',
            'max_service_rss_mb': 'largest RSS of a Java service process, median of the samples',
        },
        'targets': {'startup_s': f'<= {STARTUP_S}', 'max_service_rss_mb': f'<= {SERVICE_RSS_MB}',
                    'stack_rss_mb': f'<= {STACK_RSS_MB}'},
        'machine': machine(),
    }
    r['targets_met'] = {
        'startup_s': r['startup_s'] <= STARTUP_S,
        'max_service_rss_mb': r['max_service_rss_mb'] is not None
        and r['max_service_rss_mb'] <= SERVICE_RSS_MB,
        'stack_rss_mb': stack_pss <= STACK_RSS_MB,
    }
    with open(o.json, 'w') as f:
        json.dump(r, f, indent=2)
        f.write('\n')
    svc = ', '.join(f'{s} {java[s]:.0f}' for s in JAVA_SERVICES if s in java)
    other = ', '.join(f'{k} {v["pss_mb"]:.0f}' for k, v in per.items()
                      if k not in JAVA_SERVICES and k != 'plant')
    line = (f'| {r["date"]} | {o.load} ({devices * tags:,} values/s offered) | {r["startup_s"]} |'
            f' {fmt(load["bridge_values_per_s"])} / {fmt(load["buffer_samples_per_s"])} |'
            f' {svc} | {other} | {stack_pss:,.0f} | {" ".join(r["machine"]["load_average"])} |\n')
    insert_row(o.table, line)
    print(json.dumps({k: r[k] for k in ('startup_s', 'stack_rss_mb', 'max_service_rss_mb')}
                     | {'load': load, 'targets_met': r['targets_met']}, indent=2))


def fmt(v):
    return 'n/a' if v is None else f'{v:,.0f}'


if __name__ == '__main__':
    main()
