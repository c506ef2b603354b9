#!/usr/bin/env python3
"""bench/report.py: raw.csv of bench/run.sh -> results.md (tables) and results.svg (bar chart).

Standard library only. Usage:
  report.py --raw raw.csv [--memcaslap memcaslap.csv] --out DIR [--mode full|quick]
            [--skip-memcached REASON] [--daemon-line TEXT]
"""
import argparse
import csv
import datetime
import os
import platform
import subprocess

TARGETS = ["direct", "twemproxy", "metacluster-1", "metacluster-3"]
COLORS = {"direct": "#8c8c8c", "twemproxy": "#e8a33d", "metacluster-1": "#2f6fb3", "metacluster-3": "#7fb0e0"}


def load(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def cases(rows):
    seen, out = set(), []
    for r in rows:
        k = (r["proto"], r["op"], int(r["size"]), int(r["pipeline"]))
        if k not in seen:
            seen.add(k)
            out.append(k)
    return out


def index(rows):
    """(proto, op, size, pipeline, target) -> the run with the median ops/s (REPEAT > 1)."""
    runs = {}
    for r in rows:
        runs.setdefault((r["proto"], r["op"], int(r["size"]), int(r["pipeline"]), r["target"]), []).append(r)
    return {k: sorted(v, key=lambda r: float(r["rps"]))[len(v) // 2] for k, v in runs.items()}


def size_label(n):
    return "1 KiB" if n == 1024 else f"{n} B"


def ratio(a, b):
    if a is None or b is None or float(b) == 0:
        return "–"
    return f"{float(a) / float(b):.2f}"


def kops(x):
    return f"{float(x) / 1000:,.1f}k"


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    cores = os.cpu_count()
    tools = []
    for cmd in (["redis-server", "--version"], ["nutcracker", "--version"], ["memcached", "-V"]):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=5)
            tools.append((p.stdout or p.stderr).strip().splitlines()[0])
        except Exception:
            pass
    return f"{cores} cores ({cpu}), {platform.system()} {platform.release()}", tools


def markdown(rows, cross, args):
    idx = index(rows)
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    host, tools = machine()
    md = [f"# Benchmark results ({args.mode} run, {when})", ""]
    md.append(f"Measured by `bench/run.sh` on this machine: {host}. Everything (load tool, backends, "
              "twemproxy, Metacluster) shares these cores, so absolute figures are low and ratios are what "
              "matter. 50 connections; pipeline P = requests written at once per connection before waiting "
              "for their replies; one key, values of the given size. "
              f"{args.repeat} run(s) per case, interleaved over the targets; the median run is shown.")
    md.append("")
    md.append("- direct: the load tool against the first backend itself.")
    md.append("- twemproxy: nutcracker in front of that backend (one pool, one server).")
    md.append("- metacluster-1: Metacluster with that backend as its only cluster.")
    md.append("- metacluster-3: Metacluster with three clusters, that backend local; SET goes to all three "
              "(answered at the first reply, write policy `first`), GET to the local one.")
    md.append("- load tools: Redis `redis-benchmark`; memcached `bench/mcload.c` (same method as "
              "redis-benchmark: one thread, epoll, latency from the batch's write to each reply).")
    if args.io_threads == "1":
        md.append("- fairness: twemproxy is single-threaded, and so is Metacluster here (`io-threads: 1`): "
                  "the same resources for the same work. Its default is one I/O thread per core "
                  "(`IO_THREADS=0 bench/run.sh`): on these 2 cores, shared with the load tool and the backends, "
                  "that gives fanned-out writes more throughput and pipeline-1 requests a longer p99.")
    else:
        md.append(f"- fairness: twemproxy is single-threaded; Metacluster runs `io-threads: {args.io_threads}` "
                  "(0 = one per core). When other work competes for the cores, a multi-threaded process gets "
                  "a larger share, which flatters the Metacluster/twemproxy ratios; Metacluster/direct is the "
                  "sturdier figure.")
    if args.daemon_line:
        md.append(f"- daemon: {args.daemon_line}.")
    if args.load:
        md.append(f"- {args.load} (other work on the machine shows here; high values mean noisy figures).")
    if tools:
        md.append("- versions: " + "; ".join(tools) + ".")
    if args.skip_memcached:
        md.append(f"- **memcached through Metacluster: skipped** ({args.skip_memcached}).")
    md.append("")
    md.append("## Throughput (ops/s) and ratios")
    md.append("")
    md.append("| proto | op | value | P | direct | twemproxy | mc-1 | mc-3 | mc-1/twem | mc-1/direct | mc-3/twem | mc-3/direct | mc-3/mc-1 |")
    md.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (p, op, size, pipe) in cases(rows):
        v = {t: (idx[(p, op, size, pipe, t)]["rps"] if (p, op, size, pipe, t) in idx else None) for t in TARGETS}
        cells = [kops(v[t]) if v[t] else "–" for t in TARGETS]
        md.append(f"| {p} | {op} | {size_label(size)} | {pipe} | " + " | ".join(cells) + " | " + " | ".join([
            ratio(v["metacluster-1"], v["twemproxy"]), ratio(v["metacluster-1"], v["direct"]),
            ratio(v["metacluster-3"], v["twemproxy"]), ratio(v["metacluster-3"], v["direct"]),
            ratio(v["metacluster-3"], v["metacluster-1"])]) + " |")
    md.append("")
    md.append("## Latency p50 / p99 (ms)")
    md.append("")
    md.append("| proto | op | value | P | direct | twemproxy | mc-1 | mc-3 | mc-1 p99 − twem p99 |")
    md.append("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for (p, op, size, pipe) in cases(rows):
        cells, p99 = [], {}
        for t in TARGETS:
            r = idx.get((p, op, size, pipe, t))
            cells.append(f"{float(r['p50_ms']):.3f} / {float(r['p99_ms']):.3f}" if r else "–")
            if r:
                p99[t] = float(r["p99_ms"])
        d = f"{p99['metacluster-1'] - p99['twemproxy']:+.3f}" if "metacluster-1" in p99 and "twemproxy" in p99 else "–"
        md.append(f"| {p} | {op} | {size_label(size)} | {pipe} | " + " | ".join(cells) + f" | {d} |")
    if cross:
        md.append("")
        md.append("## memcaslap cross-check (memcached, pipeline 1, 32 B, 1 thread, 50 connections, 3 s)")
        md.append("")
        md.append("Debian 12's `memcaslap` (libmemcached-tools 1.1.4) sends one request per connection at a "
                  "time (no pipelining) and reports latency only as a log2 histogram, hence `mcload` above; "
                  "its ops/s counter is shown here as an independent check.")
        if args.memcaslap_note:
            md.append("")
            md.append(f"Not run through Metacluster: {args.memcaslap_note}.")
        md.append("")
        md.append("| op | " + " | ".join(TARGETS) + " | mc-1/twem | mc-1/direct |")
        md.append("|---|" + "---:|" * (len(TARGETS) + 2))
        for op in ("SET", "GET"):
            v = {r["target"]: r["rps"] for r in cross if r["op"] == op and r["rps"]}
            md.append(f"| {op} | " + " | ".join(kops(v[t]) if t in v else "–" for t in TARGETS) +
                      f" | {ratio(v.get('metacluster-1'), v.get('twemproxy'))} | {ratio(v.get('metacluster-1'), v.get('direct'))} |")
    md.append("")
    md.append("Chart: [results.svg](results.svg). Raw figures: [raw.csv](raw.csv).")
    md.append("")
    return "\n".join(md)


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def svg(rows, args):
    """Four panels (redis P1, redis P16, memcached P1, memcached P16); in each, groups per
    op x value size, one bar per target, ops/s labelled on top."""
    idx = index(rows)
    protos = [p for p in ("redis", "memcached") if any(r["proto"] == p for r in rows)]
    panels = [(p, pipe) for p in protos for pipe in (1, 16)]
    groups = [("SET", 32), ("SET", 1024), ("GET", 32), ("GET", 1024)]
    pw, ph, gap = 560, 300, 40
    left, top, bottom = 70, 70, 60
    width = left + 2 * pw + gap + 20
    height = top + len(protos) * (ph + bottom + 40) + 20
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="24" font-size="16" font-weight="bold">Metacluster vs twemproxy vs direct '
           f'— ops/s, 50 connections ({esc(args.mode)} run, {datetime.date.today().isoformat()})</text>']
    # legend
    lx = left
    for t in TARGETS:
        out.append(f'<rect x="{lx}" y="38" width="12" height="12" fill="{COLORS[t]}"/>'
                   f'<text x="{lx + 16}" y="48">{t}</text>')
        lx += 130
    for i, (proto, pipe) in enumerate(panels):
        col, rowi = i % 2, i // 2
        x0 = left + col * (pw + gap)
        y0 = top + rowi * (ph + bottom + 40) + 20
        vals = [float(idx[(proto, op, size, pipe, t)]["rps"]) for op, size in groups for t in TARGETS
                if (proto, op, size, pipe, t) in idx]
        if not vals:
            continue
        vmax = max(vals) * 1.15
        out.append(f'<text x="{x0}" y="{y0 - 6}" font-size="13" font-weight="bold">{proto}, pipeline {pipe}</text>')
        out.append(f'<line x1="{x0}" y1="{y0 + ph}" x2="{x0 + pw}" y2="{y0 + ph}" stroke="#333"/>')
        for k in range(5):  # grid + y labels
            v = vmax * k / 4
            y = y0 + ph - ph * k / 4
            out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + pw}" y2="{y:.1f}" stroke="#ddd"/>')
            out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end">{v / 1000:.0f}k</text>')
        gw = pw / len(groups)
        bw = (gw - 16) / len(TARGETS)
        for g, (op, size) in enumerate(groups):
            gx = x0 + g * gw + 8
            for j, t in enumerate(TARGETS):
                r = idx.get((proto, op, size, pipe, t))
                bx = gx + j * bw
                if not r:
                    out.append(f'<text x="{bx + bw / 2:.1f}" y="{y0 + ph - 4}" text-anchor="middle" fill="#999">n/a</text>')
                    continue
                v = float(r["rps"])
                h = ph * v / vmax
                out.append(f'<rect x="{bx:.1f}" y="{y0 + ph - h:.1f}" width="{bw - 2:.1f}" height="{h:.1f}" '
                           f'fill="{COLORS[t]}"><title>{proto} {op} {size_label(size)} P{pipe} {t}: '
                           f'{v:,.0f} ops/s, p50 {r["p50_ms"]} ms, p99 {r["p99_ms"]} ms</title></rect>')
                out.append(f'<text x="{bx + (bw - 2) / 2:.1f}" y="{y0 + ph - h - 3:.1f}" text-anchor="middle" '
                           f'font-size="9" transform="rotate(-90 {bx + (bw - 2) / 2:.1f} {y0 + ph - h - 3:.1f})" '
                           f'dx="0">{v / 1000:.0f}k</text>')
            out.append(f'<text x="{gx + gw / 2 - 8:.1f}" y="{y0 + ph + 16}" text-anchor="middle">'
                       f'{op} {size_label(size)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--memcaslap")
    ap.add_argument("--out", required=True)
    ap.add_argument("--mode", default="full")
    ap.add_argument("--skip-memcached", default="")
    ap.add_argument("--daemon-line", default="")
    ap.add_argument("--memcaslap-note", default="")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--load", default="")
    ap.add_argument("--io-threads", default="0")
    args = ap.parse_args()
    rows = load(args.raw)
    cross = load(args.memcaslap) if args.memcaslap and os.path.exists(args.memcaslap) else []
    os.makedirs(args.out, exist_ok=True)
    md = markdown(rows, cross, args)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(md)
    with open(os.path.join(args.out, "results.svg"), "w") as f:
        f.write(svg(rows, args))
    print(md)


if __name__ == "__main__":
    main()
