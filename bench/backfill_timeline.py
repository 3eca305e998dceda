"""A cloud outage on the running podman stack, and the backfill after it, second by second.

bench/stack.sh runs this after its memory window, with the demo load still running. It subscribes
to the cloud stand-in as an observer (its own certificate from the demo CA), then:
  1. records --before seconds of normal running;
  2. freezes the cloud container (podman pause) for --outage seconds: a link that goes silent
     without closing, so the uplink goes offline when acknowledgements stop (the buffer holds);
  3. thaws it (podman unpause) and records until the uplink's backlog is back to where it was before the
     outage (or --max seconds have passed).
Each second it keeps: samples arriving at the cloud by lane (live, backfill), the live lane's
latency (arrival time minus the newest sample time of each live message: poll, bus, store, outbox
and TLS hop), and the uplink's own gauges (backlog rows, oldest unsent age, link state). Writes
bench/results/backfill-timeline.json and renders bench/results/backfill.png (matplotlib).
"""
import argparse
import datetime
import gzip
import json
import ssl
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

import paho.mqtt.client as mqtt

UPLINK_METRICS = 'http://127.0.0.1:8084/q/metrics'


class Recorder:
    """Per-second tallies of what the cloud receives, filled by the MQTT network thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.seconds = {}
        self.errors = 0

    def bucket(self, second):
        return self.seconds.setdefault(second, {'live': 0, 'backfill': 0, 'live_latency_ms': []})

    def on_message(self, _client, _userdata, msg):
        now_ms = time.time() * 1000
        body = msg.payload
        try:
            if body[:2] == b'\x1f\x8b':
                body = gzip.decompress(body)
            m = json.loads(body)
            samples = m.get('samples') or []
            lane = m.get('lane')
        except (ValueError, OSError):
            with self.lock:
                self.errors += 1
            return
        with self.lock:
            b = self.bucket(int(now_ms // 1000))
            if lane == 'live':
                b['live'] += len(samples)
                if samples:
                    b['live_latency_ms'].append(now_ms - max(s['t'] for s in samples))
            elif lane == 'backfill':
                b['backfill'] += len(samples)


def podman(*args):
    p = subprocess.run(['podman', *args], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f'podman {" ".join(args)} failed ({p.returncode}): {p.stderr.strip()}')


def gauges():
    try:
        with urllib.request.urlopen(UPLINK_METRICS, timeout=2) as r:
            text = r.read().decode()
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        if line.startswith('#'):
            continue
        name, _, value = line.rpartition(' ')
        base = name.split('{')[0]
        if base in ('uplink_backlog_rows', 'uplink_oldest_unsent_age_seconds'):
            out[base] = float(value)
        elif base == 'uplink_link_state' and float(value) == 1:
            out['mode'] = name.split('state="')[1].split('"')[0] if 'state="' in name else name
    return out


def observer_certificate(ca_dir, work):
    """A client certificate for the observer, signed by the demo cloud's CA (openssl)."""
    key, csr, crt = f'{work}/observer.key', f'{work}/observer.csr', f'{work}/observer.crt'
    subprocess.run(['openssl', 'req', '-new', '-newkey', 'ec', '-pkeyopt',
                    'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr,
                    '-subj', '/CN=bench-observer'], check=True, capture_output=True)
    subprocess.run(['openssl', 'x509', '-req', '-in', csr, '-CA', f'{ca_dir}/ca.crt', '-CAkey',
                    f'{ca_dir}/ca.key', '-CAserial', f'{work}/observer.srl', '-CAcreateserial',
                    '-days', '1', '-out', crt],
                   check=True, capture_output=True)
    return crt, key


def connect(recorder, ca, crt, key, port, topic):
    client = mqtt.Client(client_id='bench-observer', protocol=mqtt.MQTTv311)
    client.tls_set(ca_certs=ca, certfile=crt, keyfile=key, tls_version=ssl.PROTOCOL_TLS_CLIENT)
    client.on_message = recorder.on_message
    client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
    client.reconnect_delay_set(1, 2)
    # The stand-in's certificate names the host 'cloud' (its container name) and 127.0.0.1.
    client.connect('127.0.0.1', port, keepalive=10)
    client.loop_start()
    return client


def main():
    a = argparse.ArgumentParser()
    a.add_argument('--project')
    a.add_argument('--secrets', help='the stack secrets dir (demo-cloud/ inside)')
    a.add_argument('--work')
    a.add_argument('--port', type=int, default=18883)
    a.add_argument('--topic', default='edgegw/+/telemetry')
    a.add_argument('--offered', type=float, help='values/s of the demo load')
    a.add_argument('--before', type=int, default=20)
    a.add_argument('--outage', type=int, default=60)
    a.add_argument('--max', type=int, default=300, help='longest wait for the backfill, s')
    a.add_argument('--json', required=True)
    a.add_argument('--plot', required=True)
    a.add_argument('--table', help='docs/benchmarks.md: adds a row to "## backfill on the stack"')
    a.add_argument('--from-json', help='no recording: derive, plot and report a recorded run again')
    o = a.parse_args()
    if o.from_json:
        with open(o.from_json) as f:
            r = json.load(f)
        r.setdefault('baseline_backlog_rows', r.get('backlog_rows_before_peak', [0])[0])
        return report(summarize(r), o)
    missing = [k for k in ('project', 'secrets', 'work', 'offered') if getattr(o, k) is None]
    if missing:
        a.error('a recording needs ' + ', '.join('--' + k for k in missing))

    ca_dir = f'{o.secrets}/demo-cloud'
    crt, key = observer_certificate(ca_dir, o.work)
    rec = Recorder()
    client = connect(rec, f'{ca_dir}/ca.crt', crt, key, o.port, o.topic)
    cloud = f'{o.project}_cloud_1'
    timeline, marks = [], {}
    t0 = time.time()
    baseline = None

    def tick(until_s, stop_when=None):
        next_t = time.time()
        while time.time() - t0 < until_s:
            g = gauges()
            timeline.append({'t': round(time.time() - t0, 1), **g})
            if stop_when and stop_when(g):
                return True
            next_t += 1
            time.sleep(max(0, next_t - time.time()))
        return False

    tick(o.before)
    baseline = statistics.median(p.get('uplink_backlog_rows', 0) for p in timeline) or 0
    marks['outage_start_s'] = round(time.time() - t0, 1)
    podman('pause', cloud)
    tick(o.before + o.outage)
    marks['outage_end_s'] = round(time.time() - t0, 1)
    podman('unpause', cloud)
    # Caught up: after the backlog rose (BACKFILLING), ONLINE again with the backlog back to its
    # level before the outage (plus one second of load).
    seen = {'backfilling': False}

    def caught(g):
        if g.get('mode') == 'BACKFILLING' or g.get('uplink_backlog_rows', 0) > baseline + o.offered:
            seen['backfilling'] = True
        return (seen['backfilling'] and g.get('mode') == 'ONLINE'
                and g.get('uplink_backlog_rows', 1e18) <= baseline + o.offered)
    caught_up = tick(marks['outage_end_s'] + o.max, caught)
    tick(time.time() - t0 + 10)  # ten more seconds of normal running
    client.loop_stop()
    client.disconnect()

    with rec.lock:
        first = int(t0)
        per_second = []
        for sec in sorted(rec.seconds):
            b = rec.seconds[sec]
            lat = b['live_latency_ms']
            per_second.append({
                't': sec - first, 'live': b['live'], 'backfill': b['backfill'],
                'live_latency_p50_ms': round(statistics.median(lat), 1) if lat else None,
                'live_latency_max_ms': round(max(lat), 1) if lat else None,
            })
    r = summarize({
        'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'harness': 'bench/stack.sh (bench/backfill_timeline.py)',
        'offered_values_per_s': o.offered,
        'outage_s': o.outage,
        'marks': marks,
        'baseline_backlog_rows': baseline,
        'observer_decode_errors': rec.errors,
        'per_second_at_cloud': per_second,
        'uplink_gauges': timeline,
    })
    report(r, o)


def summarize(r):
    """Derives the figures from the recorded series (also for --from-json)."""
    m, gs, ps = r['marks'], r['uplink_gauges'], r['per_second_at_cloud']
    # Seconds in which nothing arrived (the outage) are zeros, not gaps to draw across.
    if ps:
        have = {p['t']: p for p in ps}
        ps = [have.get(t, {'t': t, 'live': 0, 'backfill': 0, 'live_latency_p50_ms': None,
                           'live_latency_max_ms': None})
              for t in range(ps[0]['t'], ps[-1]['t'] + 1)]
        r['per_second_at_cloud'] = ps
    baseline, offered = r['baseline_backlog_rows'], r['offered_values_per_s']
    caught, seen = None, False
    for g in gs:
        mode = g.get('mode', '')
        if 'state="' in mode:  # recorded by an earlier version: the whole metric name
            g['mode'] = mode.split('state="')[1].split('"')[0]
    for g in gs:
        if g['t'] < m['outage_end_s']:
            continue
        if g.get('mode') == 'BACKFILLING' or g.get('uplink_backlog_rows', 0) > baseline + offered:
            seen = True
        elif seen and g.get('mode') == 'ONLINE' and g.get('uplink_backlog_rows', 1e18) <= (
                baseline + offered):
            caught = g['t']
            break
    m['caught_up_s'] = caught
    offline = [g['t'] for g in gs if g.get('mode') == 'OFFLINE' and g['t'] >= m['outage_start_s']]
    m['offline_shown_s'] = offline[0] if offline else None
    after = [p for p in ps if m['outage_end_s'] <= p['t'] <= (caught or 1e9)]
    live_lat = [p['live_latency_max_ms'] for p in after if p['live_latency_max_ms'] is not None]
    backfill_rates = [p['backfill'] for p in after]
    r['backlog_rows_before_peak'] = [baseline, max(g.get('uplink_backlog_rows', 0) for g in gs)]
    r['backfill_s'] = round(caught - m['outage_end_s'], 1) if caught else None
    r['backfill_peak_samples_per_s'] = max(backfill_rates) if backfill_rates else None
    r['live_latency_max_ms_during_backfill'] = max(live_lat) if live_lat else None
    r['live_latency_p50_of_seconds_ms_during_backfill'] = (
        round(statistics.median(live_lat), 1) if live_lat else None)
    return r


def report(r, o):
    with open(o.json, 'w') as f:
        json.dump(r, f, indent=1)
        f.write('\n')
    plot(r, o.plot)
    if o.table:
        insert_row(o.table, r)
    print(json.dumps({k: r[k] for k in ('marks', 'backlog_rows_before_peak', 'backfill_s',
                                        'backfill_peak_samples_per_s',
                                        'live_latency_max_ms_during_backfill')}, indent=2))
    if r['backfill_s'] is None:
        sys.exit(f"the uplink did not catch up within {o.max} s of the cloud's return")


def insert_row(table_path, r):
    def f(v, spec='{:,.0f}'):
        return 'n/a' if v is None else spec.format(v)
    line = (f"| {r['date']} | {f(r['offered_values_per_s'])} | {r['outage_s']} |"
            f" {f(r['backlog_rows_before_peak'][1])} | {f(r['backfill_s'], '{:,.1f}')} |"
            f" {f(r['backfill_peak_samples_per_s'])} |"
            f" {f(r['live_latency_p50_of_seconds_ms_during_backfill'])} /"
            f" {f(r['live_latency_max_ms_during_backfill'])} |\n")
    with open(table_path) as fh:
        lines = fh.readlines()
    try:
        start = next(i for i, l in enumerate(lines) if l.strip() == '## backfill on the stack')
        header = next(i for i in range(start, len(lines)) if lines[i].startswith('| date |'))
    except StopIteration:
        sys.exit(f'{table_path}: no "## backfill on the stack" table; restore it from git')
    end = header + 2
    while end < len(lines) and lines[end].startswith('|'):
        end += 1
    lines.insert(end, line)
    with open(table_path, 'w') as fh:
        fh.writelines(lines)


def plot(r, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    ps = r['per_second_at_cloud']
    gs = r['uplink_gauges']
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True)
    t = [p['t'] for p in ps]
    top.stackplot(t, [p['live'] for p in ps], [p['backfill'] for p in ps],
                  labels=['live lane', 'backfill lane'], step='post', alpha=0.8)
    top.axhline(r['offered_values_per_s'], color='black', lw=0.8, ls=':', label='offered load')
    top.set_ylabel('samples/s at the cloud')
    top.legend(loc='upper right')
    lt = [(p['t'], p['live_latency_max_ms'] / 1000 if p['live_latency_max_ms'] else float('nan'))
          for p in ps]
    if lt:
        bottom.plot(*zip(*lt), lw=1, label='live latency, max of the second (s)')
    age = [(g['t'], g['uplink_oldest_unsent_age_seconds']) for g in gs
           if 'uplink_oldest_unsent_age_seconds' in g]
    if age:
        bottom.plot(*zip(*age), lw=1, label='oldest unsent sample age (s, uplink gauge)')
    bottom.set_yscale('symlog', linthresh=1)
    bottom.set_ylabel('seconds')
    bottom.set_xlabel('seconds since the recording started')
    m = r['marks']
    for ax in (top, bottom):
        ax.axvspan(m['outage_start_s'], m['outage_end_s'], color='red', alpha=0.08)
        if m.get('caught_up_s'):
            ax.axvline(m['caught_up_s'], color='green', lw=0.8, ls='--')
    bottom.legend(loc='upper right')
    fig.suptitle(f"Cloud outage of {r['outage_s']} s at {r['offered_values_per_s']:,.0f} values/s"
                 f" (shaded), backfill until the dashed line ({r['date']})")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


if __name__ == '__main__':
    main()
