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
PIPELINE_HEADER = '| date | offered values/s | at the cloud values/s'
# Issue #8.
PIPELINE_VALUES_PER_S = 100_000


def sh(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def containers(project):
    names = sh('podman', 'ps', '--filter', f'label=io.podman.compose.project={project}',
               '--format', '{{.Names}}').split()
    if not names:
        sys.exit(f'no running container of project {project}')
    return sorted(names)


def cgroup_dir(pid, controller='memory'):
    with open(f'/proc/{pid}/cgroup') as f:
        lines = [l.strip().split(':', 2) for l in f]
    for _, controllers, path in lines:
        if controller in controllers.split(','):
            return f'/sys/fs/cgroup/{controllers}' + path
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


def cpu_seconds(pid):
    """CPU time of the container's cgroup so far (cgroup v1 cpuacct, or v2 cpu.stat)."""
    usage = read_first([os.path.join(cgroup_dir(pid, 'cpuacct'), 'cpuacct.usage')])
    if usage is not None:
        return usage / 1e9
    try:
        with open(os.path.join(cgroup_dir(pid), 'cpu.stat')) as f:
            for line in f:
                if line.startswith('usage_usec'):
                    return int(line.split()[1]) / 1e6
    except (FileNotFoundError, RuntimeError):
        pass
    return None


def sample(name):
    pid, restarts = sh('podman', 'inspect', '--format', '{{.State.Pid}} {{.RestartCount}}',
                       name).split()
    pid = int(pid)
    if pid == 0:  # not running at this moment (restarting)
        return {'rss_mb': None, 'pss_mb': None, 'cgroup_mb': None, 'processes': 0,
                'cpu_s': None, 't': time.monotonic(), 'restarts': int(restarts)}
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
        'cpu_s': cpu_seconds(pid),
        't': time.monotonic(),
        'restarts': int(restarts),
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


COUNTERS = {
    'bridge': ('http://127.0.0.1:8081/q/metrics', 'bridge_samples_published_total'),
    'dropped': ('http://127.0.0.1:8081/q/metrics', 'bridge_queue_dropped_samples_total'),
    'buffer': ('http://127.0.0.1:8082/q/metrics', 'buffer_ingest_samples_total'),
    'cloud': ('http://127.0.0.1:8084/q/metrics', 'uplink_samples_acked_total'),
    'backlog': ('http://127.0.0.1:8084/q/metrics', 'uplink_backlog_rows'),
}


def load_counters():
    out, errors = {}, []
    for k, (url, metric) in COUNTERS.items():
        out[k], e = counter(url, metric)
        if e:
            errors.append(f'{k}: {e}')
    out['errors'] = errors
    out['t'] = time.monotonic()
    return out


def short(name, project):
    base = name[len(project) + 1:] if name.startswith(project + '_') else name
    return base.rsplit('_', 1)[0]


def measure(project, window, interval):
    names = containers(project)
    start = load_counters()
    t0 = start['t']
    samples = {n: [] for n in names}
    while True:
        for n in names:
            samples[n].append(sample(n))
        if time.monotonic() - t0 >= window:
            break
        time.sleep(interval)
    end = load_counters()
    elapsed = end['t'] - t0
    per = {}
    for n, ss in samples.items():
        running = [x for x in ss if x['processes']]
        per[short(n, project)] = {
            k: round(statistics.median(x[k] for x in running), 1)
            for k in ('rss_mb', 'pss_mb', 'cgroup_mb')
            if running and all(x[k] is not None for x in running)
        } | {'processes': ss[-1]['processes'], 'samples': len(ss),
             'samples_not_running': len(ss) - len(running),
             'restarts_in_window': ss[-1]['restarts'] - ss[0]['restarts'],
             'restarts_total': ss[-1]['restarts'],
             'cpu_cores': round((ss[-1]['cpu_s'] - ss[0]['cpu_s']) / (ss[-1]['t'] - ss[0]['t']), 2)
             if ss[-1]['cpu_s'] is not None and ss[0]['cpu_s'] is not None and len(ss) > 1
             else None}

    def rate(k):
        a, b = start.get(k), end.get(k)
        return round((b - a) / elapsed, 1) if a is not None and b is not None else None
    return per, {'bridge_values_per_s': rate('bridge'), 'buffer_samples_per_s': rate('buffer'),
                 'cloud_samples_per_s': rate('cloud'), 'bridge_dropped_per_s': rate('dropped'),
                 'uplink_backlog_rows': [start.get('backlog'), end.get('backlog')],
                 'window_s': round(elapsed, 1), 'errors': start['errors'] + end['errors']}


def machine():
    with open('/proc/loadavg') as f:
        load = f.read().split()[:3]
    with open('/proc/meminfo') as f:
        mem = f.readline().split()[1]
    return {'cpus': os.cpu_count(), 'mem_total_mb': int(mem) // 1024, 'load_average': load,
            'kernel': os.uname().release, 'podman': sh('podman', '--version')}


def insert_row(table_path, line, section='## stack', table_header=TABLE_HEADER):
    with open(table_path) as f:
        lines = f.readlines()
    try:
        start = next(i for i, l in enumerate(lines) if l.strip() == section)
        header = next(i for i in range(start, len(lines)) if lines[i].startswith(table_header))
    except StopIteration:
        sys.exit(f'{table_path}: no "{section}" section with a table starting "{table_header}";'
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
    a.add_argument('--pipeline', action='store_true',
                   help='report the whole pipeline (bench/results/pipeline.json) instead')
    o = a.parse_args()
    per, load = measure(o.project, o.window, o.interval)
    if o.pipeline:
        return pipeline(o, per, load)
    java = {s: per[s]['rss_mb'] for s in JAVA_SERVICES if s in per and 'rss_mb' in per[s]}
    stack_pss = round(sum(v.get('pss_mb', 0) for k, v in per.items() if k != 'plant'), 1)
    offered = offered_rate(o.load)
    r = {
        'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'harness': 'bench/stack.sh (bench/stack_report.py)',
        'startup_s': round(o.startup_s, 1),
        'stack_rss_mb': stack_pss,
        'max_service_rss_mb': max(java.values()) if java else None,
        'offered_values_per_s': offered,
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
    other = ', '.join(f'{k} {v.get("pss_mb", 0):.0f}' for k, v in per.items()
                      if k not in JAVA_SERVICES and k != 'plant')
    line = (f'| {r["date"]} | {o.load} ({offered:,} values/s offered) | {r["startup_s"]} |'
            f' {fmt(load["bridge_values_per_s"])} / {fmt(load["buffer_samples_per_s"])} |'
            f' {svc} | {other} | {stack_pss:,.0f} | {" ".join(r["machine"]["load_average"])} |\n')
    insert_row(o.table, line)
    print(json.dumps({k: r[k] for k in ('startup_s', 'stack_rss_mb', 'max_service_rss_mb')}
                     | {'load': load, 'targets_met': r['targets_met']}, indent=2))


def pipeline(o, per, load):
    offered = offered_rate(o.load)
    at_cloud = load['cloud_samples_per_s']
    backlog = load['uplink_backlog_rows']
    r = {
        'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'harness': 'bench/pipeline.sh (bench/stack.sh, bench/stack_report.py --pipeline)',
        'pipeline_values_per_s': at_cloud,
        'offered_values_per_s': offered,
        'bridge_values_per_s': load['bridge_values_per_s'],
        'buffer_samples_per_s': load['buffer_samples_per_s'],
        'bridge_dropped_per_s': load['bridge_dropped_per_s'],
        'uplink_backlog_rows_start_end': backlog,
        'window_s': load['window_s'],
        'startup_s': round(o.startup_s, 1),
        'containers': per,
        'definitions': {
            'pipeline_values_per_s': 'samples acknowledged by the cloud broker (uplink_samples_acked)'
                                     ' per second over the window, after a warm-up: simulator ->'
                                     ' bridge -> bus -> buffer (stored) -> uplink -> TLS cloud',
        },
        'target': f'>= {PIPELINE_VALUES_PER_S:,} values/s offered and carried',
        'target_met': at_cloud is not None and at_cloud >= 0.98 * PIPELINE_VALUES_PER_S
        and offered >= PIPELINE_VALUES_PER_S,
        'ratio_vs_offered': round(at_cloud / offered, 3) if at_cloud is not None else None,
        'errors': load['errors'],
        'machine': machine(),
    }
    with open(o.json, 'w') as f:
        json.dump(r, f, indent=2)
        f.write('\n')
    cpu = ', '.join(f'{k} {v["cpu_cores"]}' for k, v in per.items()
                    if v.get('cpu_cores') is not None)
    restarts = ', '.join(f'{k} {v["restarts_total"]}' for k, v in per.items()
                         if v.get('restarts_total'))
    if restarts:
        cpu += f' (restarts: {restarts})'
    line = (f'| {r["date"]} | {offered:,} ({o.load}) | {fmt(at_cloud)} |'
            f' {fmt(load["bridge_values_per_s"])} / {fmt(load["buffer_samples_per_s"])} |'
            f' {fmt(load["bridge_dropped_per_s"])} | {fmt(backlog[0])} -> {fmt(backlog[1])} |'
            f' {cpu} | {" ".join(r["machine"]["load_average"])} |\n')
    insert_row(o.table, line, '## pipeline', PIPELINE_HEADER)
    print(json.dumps({k: r[k] for k in ('pipeline_values_per_s', 'offered_values_per_s',
                                        'bridge_values_per_s', 'buffer_samples_per_s',
                                        'uplink_backlog_rows_start_end', 'target_met')}, indent=2))


def offered_rate(load):
    """Values/s of a DEVICESxTAGS[@MS] load."""
    shape, _, ms = load.partition('@')
    devices, tags = (int(x) for x in shape.split('x'))
    return round(devices * tags * 1000 / int(ms or 1000))


def fmt(v):
    return 'n/a' if v is None else f'{v:,.0f}'


if __name__ == '__main__':
    main()
