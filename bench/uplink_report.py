"""Turns the uplink harness's measurements into bench/results/uplink.json and a table row.

The harness (io.edgegw.uplink.bench.UplinkBench) measures; this only selects, names and compares.
The row goes into the table of the "## uplink" section of docs/benchmarks.md, after its last row.
"""
import argparse
import datetime
import json
import sys

# Issue #4.
BACKFILL_SAMPLES_PER_S = 100_000
THROTTLE_ERROR_PCT = 5.0
LIVE_P99_MS = 2000.0
TABLE_HEADER = '| date | backfill samples/s'


def number(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def ratio(a, b):
    return round(a / b, 2) if number(a) is not None and number(b) else None


def fmt(v, spec='{:,}'):
    return 'n/a' if number(v) is None else spec.format(v)


def build(raw, total_s):
    b = raw.get('backfill', {})
    t = raw.get('throttle', {})
    live = t.get('live', {})
    rate = b.get('samples_per_s') if b.get('complete') else None
    err = t.get('error_pct')
    p99 = live.get('p99_ms')
    r = {
        'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'harness': 'bench/uplink.sh (io.edgegw.uplink.bench.UplinkBench)',
        'backfill_samples_per_s': rate,
        'throttle_error_pct': err,
        'live_p99_ms': p99,
        'detail': {
            'backfill_messages_per_s': b.get('messages_per_s'),
            'backfill_wire_bytes_per_s': b.get('wire_bytes_per_s'),
            'backfill_json_bytes_per_s': b.get('json_bytes_per_s'),
            'backfill_compression': b.get('compression'),
            'backfill_first_to_last_s': b.get('first_to_last_s'),
            'backfill_unique_samples_at_cloud': b.get('unique_samples_at_cloud'),
            'backfill_duplicate_keys': b.get('duplicate_keys'),
            'backfill_service_cpu_cores': b.get('service_cpu_cores'),
            'backfill_machine_busy_cores': b.get('machine_busy_cores'),
            'backfill_service_rss_peak_mb': b.get('service_rss_peak_mb'),
            'throttle_limit_messages_per_s': t.get('limit_messages_per_s'),
            'throttle_measured_messages_per_s': t.get('measured_messages_per_s'),
            'throttle_per_second_min_max': [t.get('per_second_min'), t.get('per_second_max')],
            'live_p50_ms': live.get('p50_ms'),
            'live_max_ms': live.get('max_ms'),
            'live_commits': live.get('commits_in_window'),
            'live_missing': live.get('missing'),
            'live_statistic': live.get('statistic'),
            'throttle_service_cpu_cores': t.get('service_cpu_cores'),
        },
    }
    r['targets'] = {
        'backfill_samples_per_s': f'>= {BACKFILL_SAMPLES_PER_S:,} (unthrottled, TLS, loopback)',
        'throttle_error_pct': f'within +/- {THROTTLE_ERROR_PCT} % over 60 s',
        'live_p99_ms': f'< {LIVE_P99_MS:.0f} during backfill',
    }
    r['targets_met'] = {
        'backfill_samples_per_s': number(rate) is not None and rate >= BACKFILL_SAMPLES_PER_S,
        'throttle_error_pct': number(err) is not None and abs(err) <= THROTTLE_ERROR_PCT,
        'live_p99_ms': number(p99) is not None and p99 < LIVE_P99_MS and not live.get('missing'),
    }
    r['ratios'] = {
        'backfill_vs_target': ratio(rate, BACKFILL_SAMPLES_PER_S),
        'throttle_error_vs_tolerance': ratio(abs(err) if number(err) is not None else None,
                                             THROTTLE_ERROR_PCT),
        'live_p99_vs_target': ratio(p99, LIVE_P99_MS),
    }
    r['context'] = {
        'machine': raw.get('machine'),
        'load_average_at_end': raw.get('load_average_at_end'),
        'settings': raw.get('settings'),
        'total_run_s': total_s,
        'harness_s': raw.get('total_s'),
        'failed': raw.get('failed'),
    }
    r['backfill'] = b
    r['throttle'] = t
    return r


def row(r):
    d = r['detail']
    ctx = r['context']
    return ('| {date} | {rate} | {mps} | {bps} | {gz} | {cpu} | {lim} | {meas} ({err} %) |'
            ' {live} | {load} | {total} |\n').format(
        date=r['date'],
        rate=fmt(r['backfill_samples_per_s']),
        mps=fmt(d['backfill_messages_per_s'], '{:,.1f}'),
        bps=fmt(d['backfill_wire_bytes_per_s']),
        gz=d['backfill_compression'] or 'n/a',
        cpu=fmt(d['backfill_service_cpu_cores'], '{}'),
        lim=fmt(d['throttle_limit_messages_per_s']),
        meas=fmt(d['throttle_measured_messages_per_s'], '{:,.2f}'),
        err=fmt(r['throttle_error_pct'], '{:+.2f}'),
        live=' / '.join(fmt(x, '{:,.1f}') for x in (d['live_p50_ms'], r['live_p99_ms'],
                                                     d['live_max_ms'])),
        load=((ctx.get('machine') or {}).get('load_average_at_start') or 'n/a').split()[0]
        + ' / ' + (ctx.get('load_average_at_end') or 'n/a').split()[0],
        total=fmt(ctx.get('total_run_s'), '{:,.0f}'),
    )


def insert_row(table_path, line):
    with open(table_path) as f:
        lines = f.readlines()
    try:
        start = next(i for i, l in enumerate(lines) if l.strip() == '## uplink')
        header = next(i for i in range(start, len(lines)) if lines[i].startswith(TABLE_HEADER))
    except StopIteration:
        sys.exit(f'{table_path}: no "## uplink" section with a table starting "{TABLE_HEADER}";'
                 ' restore it from git and run again')
    end = header + 2
    while end < len(lines) and lines[end].startswith('|'):
        end += 1
    lines.insert(end, line)
    with open(table_path, 'w') as f:
        f.writelines(lines)


def main():
    a = argparse.ArgumentParser()
    a.add_argument('--raw', required=True, help='measurements of the harness')
    a.add_argument('--json', required=True, help='bench/results/uplink.json')
    a.add_argument('--table', required=True, help='docs/benchmarks.md')
    a.add_argument('--total-s', type=float, required=True, help='run time of bench/uplink.sh')
    o = a.parse_args()
    with open(o.raw) as f:
        raw = json.load(f)
    result = build(raw, round(o.total_s))
    with open(o.json, 'w') as f:
        json.dump(result, f, indent=2)
        f.write('\n')
    insert_row(o.table, row(result))
    summary = {k: result[k] for k in (
        'backfill_samples_per_s', 'throttle_error_pct', 'live_p99_ms', 'detail', 'ratios',
        'targets_met')}
    print(json.dumps(summary, indent=2))


if __name__ == '__main__':
    main()
