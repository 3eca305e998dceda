"""Turns the rules harness's measurements into bench/results/rules.json and a table row.

The harness (io.edgegw.rules.bench.RulesBench) measures; this only selects, names and compares.
The row goes into the table of the "## rules" section of docs/benchmarks.md, after its last row.
"""
import argparse
import datetime
import json
import sys

# Issue #5. The end-to-end target is the poll interval + 20 ms; the interlock has no target of its
# own and is compared with the same figure for scale.
PROCESSING_P99_MS = 1.0
E2E_SLACK_MS = 20
KEEP_UP_SHARE = 0.99
TABLE_HEADER = '| date | processing p50 / p99 / p999 ms'


def number(v):
    """A figure, or None when the harness reported none or only a bound ("+Inf")."""
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def ratio(a, b):
    return round(a / b, 2) if number(a) is not None and number(b) else None


def fmt(v, spec='{:,}'):
    return 'n/a' if number(v) is None else spec.format(v)


def build(raw, total_s):
    p = raw.get('processing', {})
    e = raw.get('e2e', {})
    lat = p.get('processing', {})
    poll_ms = e.get('poll_ms') or 100  # bench/rules.sh's E2E_POLL_MS default, if e2e did not run
    e2e_target = poll_ms + E2E_SLACK_MS
    alarm = e.get('alarm', {})
    interlock = e.get('interlock', {})
    published = p.get('published_batches_per_s')
    evaluated = p.get('evaluated_batches_per_s')
    r = {
        'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'harness': 'bench/rules.sh (io.edgegw.rules.bench.RulesBench)',
        'processing_p99_ms': lat.get('p99_ms'),
        'e2e_alarm_p99_ms': alarm.get('p99_ms'),
        'interlock_p99_ms': interlock.get('p99_ms'),
        'processing_p50_ms': lat.get('p50_ms'),
        'processing_p999_ms': lat.get('p999_ms'),
        'processing_p99_bucket': [lat.get('p99_ms_above'), lat.get('p99_ms')],
        'processing_statistic': 'upper bound of the histogram bucket holding the quantile over the'
                                ' window (the true value lies in (processing_p99_bucket[0],'
                                ' processing_p99_bucket[1]])',
        'evaluated_batches_per_s': evaluated,
        'published_batches_per_s': published,
        'offered_samples_per_s': p.get('offered_samples_per_s'),
        'published_samples_per_s': p.get('published_samples_per_s'),
        'transitions_per_s': (p.get('transitions') or {}).get('per_s'),
        'rules_cpu_cores': p.get('service_cpu_cores'),
        'rules_rss_peak_mb': p.get('service_rss_peak_mb'),
        'e2e_alarm_p50_ms': alarm.get('p50_ms'),
        'e2e_alarm_max_ms': alarm.get('max_ms'),
        'interlock_p50_ms': interlock.get('p50_ms'),
        'interlock_max_ms': interlock.get('max_ms'),
        'e2e_statistic': e.get('percentiles'),
    }
    keeps_up = (number(evaluated) is not None and number(published) is not None
                and evaluated >= KEEP_UP_SHARE * published)
    p99 = number(r['processing_p99_ms'])
    r['targets'] = {
        'processing_p99_ms': PROCESSING_P99_MS,
        'e2e_alarm_p99_ms': e2e_target,
        'keeps_up': f'evaluated batches/s >= {KEEP_UP_SHARE:.0%} of those published (the histogram'
                    ' starts at the MQTT callback, so it cannot show a backlog queued before it)',
    }
    r['targets_met'] = {
        'processing_p99_ms': p99 is not None and p99 <= PROCESSING_P99_MS and keeps_up,
        'keeps_up': keeps_up,
        'e2e_alarm_p99_ms': number(r['e2e_alarm_p99_ms']) is not None
        and r['e2e_alarm_p99_ms'] <= e2e_target and not alarm.get('missing'),
    }
    r['ratios'] = {
        'processing_p99_vs_target': ratio(r['processing_p99_ms'], PROCESSING_P99_MS),
        'evaluated_vs_published': ratio(evaluated, published),
        'published_vs_offered': ratio(published, p.get('offered_batches_per_s')),
        'e2e_alarm_p99_vs_target': ratio(r['e2e_alarm_p99_ms'], e2e_target),
        'interlock_p99_vs_alarm_target': ratio(r['interlock_p99_ms'], e2e_target),
    }
    r['context'] = {
        'machine': raw.get('machine'),
        'load_average_at_end': raw.get('load_average_at_end'),
        'settings': raw.get('settings'),
        'total_run_s': total_s,
        'harness_s': raw.get('total_s'),
        'failed': raw.get('failed'),
    }
    r['processing'] = p
    r['e2e'] = e
    return r


def triple(d, a, b, c, spec='{:,.3f}'):
    return ' / '.join(fmt(d.get(k), spec) for k in (a, b, c))


def row(r):
    p = r['processing']
    e = r['e2e']
    ctx = r['context']
    lat = p.get('processing', {})
    return ('| {date} | {proc} | {ev} (of {pub}) | {tr} | {cpu} | {rss} | {al} | {il} | {load} |'
            ' {total} |\n').format(
        date=r['date'],
        proc=triple(lat, 'p50_ms', 'p99_ms', 'p999_ms'),
        ev=fmt(r['evaluated_batches_per_s'], '{:,.1f}'),
        pub=fmt(r['published_batches_per_s'], '{:,.1f}'),
        tr=fmt(r['transitions_per_s'], '{:,.1f}'),
        cpu=fmt(r['rules_cpu_cores'], '{}'),
        rss=fmt(r['rules_rss_peak_mb'], '{}'),
        al=triple(e.get('alarm', {}), 'p50_ms', 'p99_ms', 'max_ms', '{:,.1f}'),
        il=triple(e.get('interlock', {}), 'p50_ms', 'p99_ms', 'max_ms', '{:,.1f}'),
        load=((ctx.get('machine') or {}).get('load_average_at_start') or 'n/a').split()[0]
        + ' / ' + (ctx.get('load_average_at_end') or 'n/a').split()[0],
        total=fmt(ctx.get('total_run_s'), '{:,.0f}'),
    )


def insert_row(table_path, line):
    with open(table_path) as f:
        lines = f.readlines()
    try:
        start = next(i for i, l in enumerate(lines) if l.strip() == '## rules')
        header = next(i for i in range(start, len(lines)) if lines[i].startswith(TABLE_HEADER))
    except StopIteration:
        sys.exit(f'{table_path}: no "## rules" section with a table starting "{TABLE_HEADER}";'
                 ' restore it from git and run again')
    end = header + 2  # header and separator
    while end < len(lines) and lines[end].startswith('|'):
        end += 1
    lines.insert(end, line)
    with open(table_path, 'w') as f:
        f.writelines(lines)


def main():
    a = argparse.ArgumentParser()
    a.add_argument('--raw', required=True, help='measurements of the harness')
    a.add_argument('--json', required=True, help='bench/results/rules.json')
    a.add_argument('--table', required=True, help='docs/benchmarks.md')
    a.add_argument('--total-s', type=float, required=True, help='run time of bench/rules.sh')
    o = a.parse_args()
    with open(o.raw) as f:
        raw = json.load(f)
    result = build(raw, round(o.total_s))
    with open(o.json, 'w') as f:
        json.dump(result, f, indent=2)
        f.write('\n')
    insert_row(o.table, row(result))
    summary = {k: result[k] for k in (
        'processing_p99_ms', 'e2e_alarm_p99_ms', 'interlock_p99_ms', 'evaluated_batches_per_s',
        'published_batches_per_s', 'transitions_per_s', 'rules_cpu_cores', 'rules_rss_peak_mb')}
    summary['ratios'] = result['ratios']
    summary['targets_met'] = result['targets_met']
    print(json.dumps(summary, indent=2))


if __name__ == '__main__':
    main()
