"""Runs every side-by-side measurement and prints the table of ratios (see BENCHMARKS.md).

Started by benches/run.sh with the paths of the built programs. Every ratio in the table compares
two numbers taken in this same run, on this machine, against the same endpoint or the same bytes.
Servers it starts (phantom serve, moto) listen on 127.0.0.1 only and are stopped at the end.
"""
import argparse
import json
import os
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

KEY_ID = "AKIDPHANTOMBENCH0001"
SECRET = "phantom-bench-secret-key-0000000000000000"
SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))


def log(text):
    print(f"== {text}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, proc, what):
    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited early with status {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not answer at {url}")


class Server:
    """A process listening on 127.0.0.1 (phantom serve or moto), stopped on exit."""

    def __init__(self, argv, url, probe, what, log_path):
        self.url, self.what = url, what
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        wait_http(probe, self.proc, what)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Bench:
    def __init__(self, args):
        self.a = args
        self.tmp = tempfile.mkdtemp(prefix="phantom-bench-")
        self.servers = []
        home = os.path.join(self.tmp, "home")
        os.makedirs(home)
        self.creds_file = os.path.join(self.tmp, "credentials")
        with open(self.creds_file, "w") as f:
            f.write(f"[default]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n")
        # One environment for every client: keys, region, no profile files, no instance metadata.
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "AWS_ACCESS_KEY_ID": KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.path.join(home, "none"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "none"),
            "PHANTOM_DIALECT": "aws",
            "LANG": "C.UTF-8",
        }

    # --- processes -------------------------------------------------------------------------
    def phantom_serve(self, name, *extra):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        argv = [self.a.phantom, "serve", "--listen", f"127.0.0.1:{port}", "--credentials",
                self.creds_file, "--launch-delay", "0s", "--terminate-delay", "0s", "--stats",
                # The fixtures hold up to 10 000 groups: past AWS's per-key quotas (200).
                "--max-groups", "1000000", "--max-launch-configurations", "1000000", *extra]
        server = Server(argv, url, url + "/phantom-stats", f"phantom serve ({name})",
                        os.path.join(self.a.out, f"serve-{name}.log"))
        self.servers.append(server)
        return server

    def moto(self):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = Server([self.a.moto, "-H", "127.0.0.1", "-p", str(port)], url,
                        url + "/moto-api/", "moto", os.path.join(self.a.out, "moto.log"))
        self.servers.append(server)
        return server

    def stop_all(self):
        for s in self.servers:
            s.stop()
        self.servers = []

    def rust(self, *argv):
        return self.json([self.a.perf, "--bench", *map(str, argv)])

    def py(self, *argv):
        here = os.path.dirname(os.path.abspath(__file__))
        return self.json([self.a.python, os.path.join(here, "py_bench.py"), *map(str, argv)])

    def json(self, argv):
        out = subprocess.run(argv, env=self.env, check=True, stdout=subprocess.PIPE).stdout
        return json.loads(out.decode().strip().splitlines()[-1])

    @staticmethod
    def accepted(server):
        """Connections the server accepted, this probe's own included."""
        text = urllib.request.urlopen(server.url + "/phantom-stats", timeout=5).read().decode()
        return int(text.split()[1])

    def accepted_since(self, server, before):
        """Connections accepted since the probe that returned `before` (which counted itself),
        leaving out this probe's own."""
        return self.accepted(server) - before - 1

    def timed(self, argv, env, runs):
        """Runs `argv` 1 (warm-up) + `runs` + 3 times. Returns the median wall time (s) of the
        `runs` runs (hyperfine -N when installed, else timed here), the largest peak RSS (KiB)
        of the last three (from /usr/bin/time, whose own fork is small, when installed: the
        rusage of a child forked from this Python process would count Python's pages), and the
        number of runs in all."""
        hyperfine = shutil.which("hyperfine")
        gnu_time = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
        walls = []
        if hyperfine:
            out = os.path.join(self.tmp, "hyperfine.json")
            subprocess.run([hyperfine, "-N", "--style", "none", "--warmup", "1", "--runs",
                            str(runs), "--export-json", out, shlex.join(argv)], env=env,
                           check=True, stdout=subprocess.DEVNULL)
            median = json.load(open(out))["results"][0]["median"]
        rss = 0
        extra = 3 if hyperfine else runs + 4
        rss_file = os.path.join(self.tmp, "rss")
        for i in range(extra):
            wrapped = [gnu_time, "-f", "%M", "-o", rss_file, *argv] if gnu_time else argv
            start = time.perf_counter()
            proc = subprocess.Popen(wrapped, env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            code = os.waitstatus_to_exitcode(status)
            err = proc.stderr.read().decode(errors="replace")
            proc.stderr.close()
            if code != 0:
                raise SystemExit(f"{argv[0]} failed ({code}): {err[-2000:]}")
            if gnu_time:
                rss = max(rss, int(open(rss_file).read().split()[-1]))
            else:
                rss = max(rss, usage.ru_maxrss)
            if 0 < i <= runs:
                walls.append(wall)
        if not hyperfine:
            median = statistics.median(walls)
        total = (1 + runs + 3) if hyperfine else extra
        return median, rss, total

    # --- the measurements -------------------------------------------------------------------
    def engine(self, r):
        """The timer engine (issue 13, item 8): an idle endpoint holding 10 000 groups, each with a
        recurring scheduled action (10 000 deadlines), its CPU over ENGINE_IDLE seconds; then how
        late one-off actions run, by the endpoint's own clock."""
        idle = float(os.environ.get("BENCH_ENGINE_IDLE", "10"))
        log(f"engine: idle phantom serve, 10 000 groups with a scheduled action each, {idle:g} s")
        # Hook timeouts scaled so that AWS's shortest heartbeat (30 s) runs out in 0.6 s.
        big = self.phantom_serve("engine", "--hook-timeout-scale", "0.02")
        r["engine_seed"] = self.rust("seed", big.url, 10000, 0, "engine")
        r["engine_scheduled"] = self.rust("schedule-all", big.url, 10000, "engine")
        time.sleep(1)
        cpu, started = cpu_seconds(big.proc.pid), time.monotonic()
        time.sleep(idle)
        spent, elapsed = cpu_seconds(big.proc.pid) - cpu, time.monotonic() - started
        r["engine_idle"] = {"seconds": elapsed, "cpu_seconds": spent,
                            "cpu_percent": spent / elapsed * 100}
        log("engine: lateness of 40 one-off scheduled actions")
        r["engine_lateness"] = self.rust("lateness", big.url, 40, "engine")
        log("engine: lateness of 40 lifecycle hook timeouts")
        # Groups the scheduled actions above left alone (they scaled groups 0-39).
        r["engine_hooks"] = self.rust("hook-lateness", big.url, 40, 0.02, "engine", 1000)
        self.stop_all()
        return r

    def cli(self, r, peers):
        """The CLI row: one `phantom domain list` (and `phantom api`) against the AWS CLI, on a
        phantom serve with 50 groups of 2 instances (left running for the library rows);
        `peers=False` leaves out the aws-sdk program and boto3 (`--only cli`)."""
        log("CLI end to end and library calls: phantom serve with 50 groups of 2 instances")
        small = self.phantom_serve("50")
        self.rust("seed", small.url, 50, 2)
        env = dict(self.env, AWS_ENDPOINT_URL=small.url)
        here = os.path.dirname(os.path.abspath(__file__))
        runs = int(os.environ.get("BENCH_CLI_RUNS", "21"))
        slow_runs = int(os.environ.get("BENCH_SLOW_RUNS", "7"))
        r["spawn"] = self.timed(["/bin/true"], env, runs)[0]
        before, cpu = self.accepted(small), cpu_seconds(small.proc.pid)
        r["cli_phantom"] = self.timed([self.a.phantom, "domain", "list"], env, runs)
        r["cli_server_cpu"] = (cpu_seconds(small.proc.pid) - cpu) / r["cli_phantom"][2]
        r["cli_phantom_conns"] = self.accepted_since(small, before) / r["cli_phantom"][2]
        # The generic command on the same listing: its cost beside the task command's.
        r["cli_api"] = self.timed([self.a.phantom, "api", "DescribeAutoScalingGroups"], env, runs)
        if peers:
            r["cli_sdk"] = self.timed([self.a.sdk], env, runs)
            r["cli_boto3"] = self.timed([self.a.python, os.path.join(here, "boto3_oneshot.py")],
                                        env, slow_runs)
        r["cli_aws"] = self.timed([self.a.aws, "autoscaling", "describe-auto-scaling-groups",
                                   "--endpoint-url", small.url], env, slow_runs)
        return small

    def run(self):
        r = {}
        r["machine"] = machine()
        r["load_before"] = os.getloadavg()[0]

        small = self.cli(r, peers=True)
        log("library: one-group DescribeAutoScalingGroups in a loop")
        before = self.accepted(small)
        r["lib_rust"] = self.rust("library", small.url, int(SECONDS))
        r["lib_rust_conns"] = self.accepted_since(small, before)
        r["lib_boto3"] = self.py("library", small.url, SECONDS)
        r["floor"] = self.rust("floor", small.url, int(SECONDS))
        self.stop_all()

        log("parsing fixtures: 100 groups x 20 instances, and 10 000 groups over pages")
        wide_dir = os.path.join(self.a.out, "fixtures", "groups-100x20")
        pages_dir = os.path.join(self.a.out, "fixtures", "groups-10000-pages")
        for d in (wide_dir, pages_dir):
            shutil.rmtree(d, ignore_errors=True)
        wide = self.phantom_serve("100x20")
        self.rust("seed", wide.url, 100, 20)
        r["fixture_wide"] = self.rust("fetch", wide.url, wide_dir, 100, 1)
        self.stop_all()
        big = self.phantom_serve("10000")
        r["seed_10000"] = self.rust("seed", big.url, 10000, 1)
        r["fixture_pages"] = self.rust("fetch", big.url, pages_dir, 100)

        log("memory: phantom domain list over 10 000 groups")
        env = dict(self.env, AWS_ENDPOINT_URL=big.url)
        before = self.accepted(big)
        r["mem_phantom"] = self.timed([self.a.phantom, "domain", "list"], env, 3)
        r["mem_phantom_conns"] = self.accepted_since(big, before) / r["mem_phantom"][2]
        r["mem_sdk"] = self.timed([self.a.sdk], env, 3)
        self.stop_all()

        for key, d in (("wide", wide_dir), ("pages", pages_dir)):
            r[f"parse_{key}_rust"] = self.rust("parse", d, int(SECONDS))
            r[f"parse_{key}_py"] = self.py("parse", d, SECONDS)

        log("signing")
        r["sign_rust"] = self.rust("sign", int(SECONDS))
        r["sign_py"] = self.py("sign", SECONDS)

        log("endpoint throughput: built-in vs moto, same Rust load generator, back to back")
        moto = self.moto()
        self.rust("load", moto.url, 4, 2)  # warm-up: moto loads its service models lazily
        for clients in (1, 8, 64):
            fresh = self.phantom_serve(f"load-{clients}")
            before, cpu = self.accepted(fresh), cpu_seconds(fresh.proc.pid)
            r[f"load_builtin_{clients}"] = load = self.rust("load", fresh.url, clients,
                                                            int(SECONDS))
            load["server_cpu_us"] = (cpu_seconds(fresh.proc.pid) - cpu) / load["requests"] * 1e6
            r[f"load_builtin_{clients}_conns"] = self.accepted_since(fresh, before)
            r[f"load_floor_{clients}"] = self.rust("load-floor", fresh.url, clients,
                                                   int(SECONDS))
            fresh.stop()
            self.servers.remove(fresh)
            cpu = cpu_seconds(moto.proc.pid)
            r[f"load_moto_{clients}"] = load = self.rust("load", moto.url, clients, int(SECONDS))
            load["server_cpu_us"] = (cpu_seconds(moto.proc.pid) - cpu) / load["requests"] * 1e6
        self.stop_all()

        self.engine(r)

        r["sizes"] = {"phantom": os.path.getsize(self.a.phantom),
                      "sdk": os.path.getsize(self.a.sdk)}
        try:
            r["builds"] = json.load(open(os.path.join(self.a.out, "builds.json")))
        except (OSError, ValueError):
            r["builds"] = {}
        r["load_after"] = os.getloadavg()[0]
        return r


def cpu_seconds(pid):
    """User + system CPU time of a process so far (Linux /proc)."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def machine():
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model}


def engine_lines(r):
    """The engine's figures, as lines of the report."""
    i, late = r["engine_idle"], r["engine_lateness"]
    return [
        f"engine, idle with 10 000 groups and 10 000 scheduled actions: "
        f"{i['cpu_seconds'] * 1000:.0f} ms of CPU in {i['seconds']:.1f} s "
        f"({i['cpu_percent']:.2f}% of one core; target: near zero)",
        f"engine, lateness of {late['actions']} one-off scheduled actions (activity start - "
        f"StartTime, the endpoint's clock): median {late['late_ms_median']} ms, max "
        f"{late['late_ms_max']} ms (target: within 1000 ms: "
        f"{'met' if late['late_ms_max'] <= 1000 else 'MISSED'})",
    ] + ([
        f"engine, lateness of {h['hooks']} lifecycle hook heartbeat timeouts ({h['timeout_ms']} "
        f"ms each; launch activity end - start - timeout, the endpoint's clock): median "
        f"{h['late_ms_median']} ms, max {h['late_ms_max']} ms (target: within 1000 ms: "
        f"{'met' if h['late_ms_max'] <= 1000 else 'MISSED'})",
    ] if (h := r.get("engine_hooks")) else [])


def table(r):
    rows = []

    def row(what, ours, theirs, ratio, target, ok, floor="", share=None):
        """`floor`: what nothing can beat on this machine, measured in the same run; `share`:
        how much of that floor phantom reaches (floor time / phantom time, or phantom rate /
        floor rate; 100% would be the floor itself)."""
        rows.append((what, ours, theirs, f"{ratio:,.1f}x", target,
                     "" if ok is None else ("met" if ok else "MISSED"), floor,
                     "" if share is None else f"{share * 100:.0f}%"))

    ms = lambda s: f"{s * 1000:.1f} ms"
    ph = r["cli_phantom"][0]
    rtt = r["floor"]["us_per_call"] / 1e6
    # A CLI call can do no better than starting a process, the server's own work for the reply,
    # and one loopback round trip.
    cli_floor = r["spawn"] + r["cli_server_cpu"] + rtt
    for key, name, target in (("cli_aws", "aws autoscaling describe-...", 100),
                              ("cli_boto3", "boto3 one-shot script", 50),
                              ("cli_sdk", "aws-sdk-autoscaling program", 1)):
        ratio = r[key][0] / ph
        row(f"CLI call, 50 groups: phantom vs {name}", ms(ph), ms(r[key][0]), ratio,
            f">= {target}x" if target > 1 else "> 1x", ratio >= target if target > 1 else ratio > 1,
            ms(cli_floor), cli_floor / ph)
    api = r["cli_api"][0]
    row("CLI call, 50 groups: phantom api DescribeAutoScalingGroups vs phantom domain list",
        ms(api), ms(ph), api / ph, "<= 1.1x", api / ph <= 1.1, ms(cli_floor), cli_floor / api)
    lr, lp = r["lib_rust"]["calls_per_s"], r["lib_boto3"]["calls_per_s"]
    row("library calls/s (sign+serialize+send+parse) vs boto3", f"{lr:,.0f}/s", f"{lp:,.0f}/s",
        lr / lp, ">= 20x", lr / lp >= 20, f"{r['floor']['calls_per_s']:,.0f}/s",
        lr / r["floor"]["calls_per_s"])
    for key, name in (("wide", "parse 100 groups x 20 instances"),
                      ("pages", "parse 10 000 groups, 100 pages")):
        a, b = r[f"parse_{key}_rust"], r[f"parse_{key}_py"]
        items = "instances" if key == "wide" else "groups"
        tok = a["tokenize"]["mb_per_s"]
        for path, label in (("typed", "one-pass reader"),):
            ratio = a[path]["mb_per_s"] / b["mb_per_s"]
            row(f"{name}, {label} (MB/s)", f"{a[path]['mb_per_s']:,.1f} MB/s",
                f"{b['mb_per_s']:,.2f} MB/s", ratio, ">= 30x", ratio >= 30,
                f"{tok:,.0f} MB/s", a[path]["mb_per_s"] / tok)
        row(f"{name}, one-pass reader ({items}/s)", f"{a['typed'][items + '_per_s']:,.0f}/s",
            f"{b[items + '_per_s']:,.0f}/s", a["typed"][items + "_per_s"] / b[items + "_per_s"],
            "", None)
    for v in ("v4", "v2"):
        a, b = r["sign_rust"][f"{v}_per_s"], r["sign_py"][f"{v}_per_s"]
        row(f"Sig{v.upper()} signatures/s vs botocore", f"{a:,.0f}/s", f"{b:,.0f}/s", a / b, "",
            None)
    for c in (1, 8, 64):
        a = r[f"load_builtin_{c}"]["requests_per_s"]
        b = r[f"load_moto_{c}"]["requests_per_s"]
        f = r[f"load_floor_{c}"]["requests_per_s"]
        row(f"endpoint req/s, {c} clients: built-in vs moto", f"{a:,.0f}/s", f"{b:,.0f}/s",
            a / b, ">= 50x", a / b >= 50, f"{f:,.0f}/s", a / f)
    lines = []
    head = ("what", "phantom", "peer", "ratio", "target", "", "floor", "of floor")
    w = [max(len(str(x[i])) for x in rows + [head]) for i in range(len(head))]
    for x in [head] + rows:
        lines.append("| " + " | ".join(str(v).ljust(w[i]) for i, v in enumerate(x)) + " |")
        if x is head:
            lines.append("|" + "|".join("-" * (n + 2) for n in w) + "|")
    rss_mb = r["mem_phantom"][1] / 1024
    sdk_rss = r["mem_sdk"][1] / 1024
    extra = [
        "",
        f"memory: `phantom domain list` over 10 000 groups ({r['fixture_pages']['pages']} pages "
        f"of 100 when fetched; the CLI asks 50 a page): peak RSS {rss_mb:.1f} MB "
        f"(target < 30 MB: {'met' if rss_mb < 30 else 'MISSED'}), median {ms(r['mem_phantom'][0])}; "
        f"aws-sdk-autoscaling program: {sdk_rss:.1f} MB, {ms(r['mem_sdk'][0])}",
        f"peak RSS of one 50-group call: phantom {r['cli_phantom'][1] / 1024:.1f} MB, "
        f"aws-sdk {r['cli_sdk'][1] / 1024:.1f} MB, boto3 {r['cli_boto3'][1] / 1024:.1f} MB, "
        f"aws {r['cli_aws'][1] / 1024:.1f} MB; process spawn alone (/bin/true): {ms(r['spawn'])}",
        "connections accepted by the server: "
        f"{r['cli_phantom_conns']:.2f} per `phantom domain list` (50 groups, 1 page); "
        f"{r['mem_phantom_conns']:.2f} per `phantom domain list` over 10 000 groups (200 pages); "
        f"{r['lib_rust_conns']} for {r['lib_rust']['calls']:,} library calls; "
        + ", ".join(f"{r[f'load_builtin_{c}_conns']} for {c} concurrent clients "
                    f"({r[f'load_builtin_{c}']['requests']:,} requests)" for c in (1, 8, 64)),
        f"library call: phantom {r['lib_rust']['us_per_call']:.0f} us, boto3 "
        f"{r['lib_boto3']['us_per_call']:.0f} us; an HTTP round trip to a handler doing nothing "
        f"(reqwest to the same server, GET /phantom-stats) costs {r['floor']['us_per_call']:.0f} us "
        f"here, so no client can beat boto3 by more than "
        f"{r['lib_boto3']['us_per_call'] / r['floor']['us_per_call']:.0f}x on this endpoint",
        "floors (the 'floor' column, measured in this run; 'of floor' is how much of it phantom "
        "reaches): a CLI call = process spawn "
        f"{ms(r['spawn'])} + the server's CPU for the reply {ms(r['cli_server_cpu'])} + one "
        f"loopback round trip {ms(rtt)}; a library call = that round trip on the same pool; "
        "parsing = quick-xml's bare tokenizer over the same bytes; endpoint req/s = the same "
        "server's do-nothing handler (GET /phantom-stats) with the same number of clients",
        "server CPU per request (user+system, /proc): "
        + ", ".join(f"{c} clients: built-in {r[f'load_builtin_{c}']['server_cpu_us']:.0f} us, "
                    f"moto {r[f'load_moto_{c}']['server_cpu_us']:.0f} us "
                    f"({r[f'load_moto_{c}']['server_cpu_us'] / r[f'load_builtin_{c}']['server_cpu_us']:.0f}x)"
                    for c in (1, 8, 64)),
        f"binary size: phantom {r['sizes']['phantom'] / 1e6:.1f} MB, aws-sdk-autoscaling program "
        f"{r['sizes']['sdk'] / 1e6:.1f} MB (stripped: no; release profile, codegen-units 4)",
    ]
    extra += engine_lines(r)
    b = r["builds"]
    if b:
        extra.append("clean release build: " + ", ".join(
            f"{k} {int(v['seconds'] // 60)} m {int(v['seconds'] % 60):02d} s "
            f"(load {v['loadavg_before']} at start)" for k, v in sorted(b.items())))
    else:
        extra.append("clean release build times: not measured (./benches/run.sh --clean-build all)")
    extra.append(
        f"machine: {r['machine']['nproc']} cores, {r['machine']['cpu']}; load average "
        f"{r['load_before']:.2f} at start, {r['load_after']:.2f} at end; "
        f"measurement windows {SECONDS:g} s")
    return "\n".join(lines + extra)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    for name in ("phantom", "perf", "sdk", "aws", "python", "moto", "out"):
        p.add_argument(f"--{name}", required=True)
    p.add_argument("--only", choices=["engine", "cli"],
                   help="run one case alone and print its figures (the others need --sdk etc. "
                        "but do not run)")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    bench = Bench(args)
    try:
        if args.only == "engine":
            results = bench.engine({})
            print(json.dumps(results, indent=1))
            print("\n".join(engine_lines(results)))
            return
        if args.only == "cli":
            results = {"load_before": os.getloadavg()[0]}
            bench.cli(results, peers=False)
            results["load_after"] = os.getloadavg()[0]
            print(json.dumps(results, indent=1))
            ph, aws = results["cli_phantom"][0], results["cli_aws"][0]
            print(f"CLI call, 50 groups: phantom {ph * 1e3:.1f} ms, phantom api "
                  f"{results['cli_api'][0] * 1e3:.1f} ms, aws CLI {aws * 1e3:.1f} ms: "
                  f"{aws / ph:.1f}x; spawn floor {results['spawn'] * 1e3:.1f} ms")
            return
        results = bench.run()
    finally:
        bench.stop_all()
        shutil.rmtree(bench.tmp, ignore_errors=True)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    text = table(results)
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
