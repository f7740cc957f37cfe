//! Support-bundle speed, size and memory against `zip -r -6` and `tar | pigz -6 -p 2` of the
//! same files, in the same run.
//!
//! Cases (MIDRESCUE_BENCH_CASES, default `big,small,mixed`):
//! - `big`: ten 10 MB agent logs plus one 500 MB `wrapper.log` (MIDRESCUE_BENCH_BIG_MB), MID
//!   line shapes, `collect --max-file-mb 1024` (nothing truncated): one big file;
//! - `small`: 2000 logs of 64 KiB (MIDRESCUE_BENCH_SMALL_FILES, MIDRESCUE_BENCH_SMALL_KB): many
//!   small files, in folders of 1000;
//! - `mixed`: MIDRESCUE_BENCH_MB MiB (default 1024) in 16 logs under the 64 MiB budget.
//!
//! Each case runs, alternately and MIDRESCUE_BENCH_ROUNDS times (default 2): `zip -r -6`
//! (Info-ZIP, one thread), `tar -cf - DIRS | pigz -6 -p 2` (when pigz is installed) and the real
//! `midrescue collect` binary at its default level. Wall time, CPU seconds and peak RSS are
//! whole-process figures from GNU time (`ru_maxrss` of the child). Prints the ratios. Then a
//! criterion group measures the redaction stream alone.
//!
//!   cargo bench --bench bundle                                       # all cases, a few minutes
//!   MIDRESCUE_BENCH_CASES=big cargo bench --bench bundle             # the one-big-file case
//!   MIDRESCUE_BENCH_CASES=mixed MIDRESCUE_BENCH_MB=64 cargo bench --bench bundle   # quick

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};

/// Small, fast PRNG (xorshift64*), seeded: the corpus is the same every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[(self.next() % v.len() as u64) as usize]
    }
}

const THREADS: &[&str] = &[
    "ECCSender.1",
    "ECCQueueMonitor.40",
    "StatusMonitor.600",
    "RefreshMonitor.65",
    "LogStatusMonitor.60",
    "FileSyncer.1",
    "AutoUpgrade.3600",
    "Worker-Standard:ProbeCommand-4a1e",
];
const MESSAGES: &[&str] = &[
    "Sending ecc_queue.",
    "Posting to https://acme.service-now.com/api/now/table/ecc_queue",
    "Checking to see if MID server needs to upgrade.",
    "Worker starting: Command source: 10.20.30.40",
    "Enqueuing: /opt/servicenow/mid/agent/work/monitors/ECCSender/output_1/ecc_queue.",
    "Worker completed: JavascriptProbe source: 10.20.30.41 time: 0:00:00.104",
    "Probe completed: Powershell id",
    "SEVERE *** ERROR *** java.net.SocketTimeoutException: connect timed out",
];

/// MID agent-log style (ISO format) lines, with a sys_id, occasional stack traces and secrets.
fn agent_lines(rng: &mut Rng, out: &mut Vec<u8>, bytes: usize, t0: &mut u64) {
    while out.len() < bytes {
        *t0 += rng.next() % 900;
        let secs = *t0 / 1000;
        let (h, m, s, ms) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60, *t0 % 1000);
        let _ = writeln!(
            out,
            "2026-11-21T{h:02}:{m:02}:{s:02}.{ms:03}-0500 INFO ({}) [ECCSender:{}] {} sys_id={:016x}{:016x}",
            rng.pick(THREADS),
            rng.next() % 900,
            rng.pick(MESSAGES),
            rng.next(),
            rng.next()
        );
        match rng.next() % 1000 {
            0 => out.extend_from_slice(
                b"java.net.SocketTimeoutException: connect timed out\n\tat java.base/sun.nio.ch.NioSocketImpl.timedFinishConnect(NioSocketImpl.java:546)\n\tat com.service_now.mid.http.HttpClient.execute(HttpClient.java:201)\n",
            ),
            1 => {
                let _ = writeln!(out, "Authorization: Basic {:016x}", rng.next());
            }
            2 => {
                let _ = writeln!(out, "jdbc probe user=sa password={:x} host=db01", rng.next());
            }
            _ => {}
        }
    }
}

fn wrapper_lines(rng: &mut Rng, out: &mut Vec<u8>, bytes: usize, t0: &mut u64) {
    while out.len() < bytes {
        *t0 += rng.next() % 2000;
        let secs = *t0 / 1000;
        let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
        let _ = writeln!(
            out,
            "INFO   | jvm 1    | 2026/11/21 {h:02}:{m:02}:{s:02}.{:03} | {} {} {:x}",
            *t0 % 1000,
            rng.pick(THREADS),
            rng.pick(MESSAGES),
            rng.next()
        );
    }
}

/// A lab-like install with `total_mb` MiB of logs; returns (agent dir, paths to zip).
fn build_install(root: &Path, total_mb: u64) -> (PathBuf, Vec<PathBuf>) {
    let agent = root.join("mid").join("agent");
    let logs = agent.join("logs");
    let temp = agent.join("work/upgrade_temp/1763700000000-0/upgrade-wrapper");
    for d in [
        &logs,
        &agent.join("conf"),
        &temp.join("logs"),
        &temp.join("conf"),
        &temp.join("bin"),
    ] {
        std::fs::create_dir_all(d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
    }
    let write = |p: &Path, b: &[u8]| {
        std::fs::write(p, b).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    };
    write(
        &agent.join("config.xml"),
        br#"<?xml version="1.0" encoding="UTF-8"?>
<parameters>
    <parameter name="url" value="https://acme.service-now.com/"/>
    <parameter name="mid.instance.username" value="mid_user"/>
    <parameter name="mid.instance.password" secure="true" value="encrypted:7cHG3x8Ssx9m84qHaHlgKQ=="/>
    <parameter name="name" value="mid-bench"/>
</parameters>
"#,
    );
    write(
        &agent.join("conf/wrapper-override.conf"),
        b"wrapper.name=mid\n",
    );
    write(
        &temp.join("conf/wrapper.conf"),
        b"wrapper.startup.timeout=300\n",
    );
    write(&temp.join("bin/glide-dist-upgrade.sh"), b"#!/bin/sh\n");
    write(
        &temp.join("logs/glide-dist-upgrade.log"),
        b"INFO   | jvm 1    | 2026/11/21 16:30:47.130 | INFO: Removing previous MID JRE\n",
    );
    let per_file = (total_mb.max(1) * 1024 * 1024 / 16) as usize;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut t0 = 0u64;
    let mut buf = Vec::with_capacity(per_file + 4096);
    let mut names: Vec<String> = (0..10).map(|i| format!("agent0.log.{i}")).collect();
    names.push("wrapper.log".into());
    names.extend((1..6).map(|i| format!("wrapper.log.{i}")));
    for n in &names {
        buf.clear();
        if n.starts_with("agent") {
            agent_lines(&mut rng, &mut buf, per_file, &mut t0);
        } else {
            wrapper_lines(&mut rng, &mut buf, per_file, &mut t0);
        }
        if n == "agent0.log.0" {
            // A crashed install ends like this (mid-server.md 4.4), so detect stops early as it
            // would on a real host.
            buf.extend_from_slice(
                b"2026-11-21T23:56:10.895-0500 INFO (AutoUpgrade.3600) [AutoUpgrade:412] Setting mid status to Upgrading\n\
2026-11-21T23:56:12.897-0500 INFO (AutoUpgrade.3600) [AutoUpgrade:530] Stopping MID server. Bootstrapping upgrade.\n",
            );
            let _ = writeln!(
                buf,
                "2026-11-21T23:56:13.898-0500 INFO (AutoUpgrade.3600) [AutoUpgrade:541] Added marker `{}` to upgrade marker file.",
                temp.parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default()
                    .display()
            );
            buf.extend_from_slice(b"2026-11-21T23:56:14.899-0500 INFO (MIDServer) [MIDServerState:160] MID Server stopping\n");
        }
        write(&logs.join(n), &buf);
    }
    let mut paths = vec![
        PathBuf::from("mid/agent/logs"),
        PathBuf::from("mid/agent/config.xml"),
        PathBuf::from("mid/agent/conf"),
        PathBuf::from("mid/agent/work/upgrade_temp/1763700000000-0/upgrade-wrapper/logs"),
        PathBuf::from("mid/agent/work/upgrade_temp/1763700000000-0/upgrade-wrapper/conf"),
    ];
    paths.retain(|p| root.join(p).exists());
    (agent, paths)
}

/// Whole-process figures of one run.
struct Run {
    wall: Duration,
    /// Peak RSS in bytes.
    peak: u64,
    /// User + system CPU seconds.
    cpu: f64,
}

/// Run a command under GNU time (`/usr/bin/time`, so the figure is the child's own, not
/// inflated by this bench process) and return wall time, peak RSS and CPU time.
fn measure(cmd: &mut Command) -> Run {
    let report = tempfile::NamedTempFile::new().expect("temp file");
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%e %M %U %S")
        .arg("-o")
        .arg(report.path())
        .arg(cmd.get_program())
        .args(cmd.get_args());
    if let Some(d) = cmd.get_current_dir() {
        timed.current_dir(d);
    }
    let start = Instant::now();
    let status = timed
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("spawn {cmd:?} under /usr/bin/time: {e}"));
    let wall = start.elapsed();
    assert!(status.success(), "{cmd:?} failed");
    let text = std::fs::read_to_string(report.path()).unwrap_or_default();
    let f: Vec<f64> = text
        .lines()
        .last()
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    Run {
        wall,
        peak: f.get(1).map_or(0, |kb| (*kb as u64) * 1024),
        cpu: f.get(2).copied().unwrap_or(0.0) + f.get(3).copied().unwrap_or(0.0),
    }
}

fn dir_size(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with(".zip"))
                .map(|e| e.metadata().map_or(0, |m| m.len()))
                .sum()
        })
        .unwrap_or(0)
}

/// Write `n` logs of `mb` MiB each under `agent/logs` (`kind`: agent or wrapper lines).
fn add_logs(agent: &Path, names: &[String], bytes: usize, wrapper: bool, seed: u64) {
    let mut rng = Rng(seed);
    let mut t0 = 0u64;
    let mut buf = Vec::with_capacity(bytes + 4096);
    for n in names {
        buf.clear();
        if wrapper {
            wrapper_lines(&mut rng, &mut buf, bytes, &mut t0);
        } else {
            agent_lines(&mut rng, &mut buf, bytes, &mut t0);
        }
        let p = agent.join("logs").join(n);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        }
        std::fs::write(&p, &buf).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    }
}

/// Read every file under `agent` once, so that each command starts with the inputs in the
/// page cache: on a VM that drops cached pages between runs, the order of the commands
/// otherwise decides who pays for the disk.
fn warm(agent: &Path) {
    let mut buf = vec![0u8; 1 << 20];
    for e in walkdir::WalkDir::new(agent)
        .into_iter()
        .filter_map(Result::ok)
    {
        if e.file_type().is_file()
            && let Ok(mut f) = std::fs::File::open(e.path())
        {
            while matches!(std::io::Read::read(&mut f, &mut buf), Ok(n) if n > 0) {}
        }
    }
}

/// The middle value (the mean of the two middle ones for an even count).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// One whole-process comparison: `zip -r -6`, `tar -cf - | pigz -6 -p 2` and
/// `midrescue collect ARGS`, alternately, `rounds` times each, each after [`warm`].
fn compare(name: &str, root: &Path, agent: &Path, paths: &[PathBuf], collect_args: &[&str]) {
    let raw: u64 = walkdir::WalkDir::new(agent)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.metadata().map_or(0, |m| m.len()))
        .sum();
    let files = walkdir::WalkDir::new(agent)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .count();
    println!(
        "== case {name}: {:.1} MiB in {files} files; collect {}; cores: {}",
        raw as f64 / 1048576.0,
        collect_args.join(" "),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let pigz = Command::new("pigz").arg("--version").output().is_ok();
    if !pigz {
        println!("NOTE: pigz is not installed (apt-get install pigz): its column is skipped");
    }
    let bin = env!("CARGO_BIN_EXE_midrescue");
    let rounds: usize = std::env::var("MIDRESCUE_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let show = |what: &str, r: &Run, size: u64| {
        println!(
            "  {what:<34} {:6.2}s wall {:6.2}s cpu ({:.2} cores) {:7.1} MB  peak RSS {:6.1} MB",
            r.wall.as_secs_f64(),
            r.cpu,
            r.cpu / r.wall.as_secs_f64().max(1e-9),
            size as f64 / 1e6,
            r.peak as f64 / 1e6
        );
    };
    let mut best: Option<(f64, f64, f64, f64, f64, u64)> = None;
    let mut walls = Vec::new();
    for round in 1..=rounds {
        let zip_out = root.join(format!("zip-{round}.zip"));
        warm(agent);
        let z = measure(
            Command::new("zip")
                .current_dir(root)
                .args(["-r", "-6", "-q"])
                .arg(&zip_out)
                .args(paths),
        );
        let zs = std::fs::metadata(&zip_out).map_or(0, |m| m.len());
        let _ = std::fs::remove_file(&zip_out);
        println!("round {round}:");
        show("zip -r -6", &z, zs);
        let p = pigz.then(|| {
            let tgz = root.join(format!("pigz-{round}.tar.gz"));
            let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            warm(agent);
            let r = measure(Command::new("sh").current_dir(root).arg("-c").arg(format!(
                "tar -cf - {} | pigz -6 -p 2 > {}",
                list.join(" "),
                tgz.display()
            )));
            let size = std::fs::metadata(&tgz).map_or(0, |m| m.len());
            let _ = std::fs::remove_file(&tgz);
            show("tar -cf - | pigz -6 -p 2", &r, size);
            (r, size)
        });
        let out = root.join(format!("ours-{round}"));
        warm(agent);
        let o = measure(
            Command::new(bin)
                .current_dir(root)
                .arg("collect")
                .args(collect_args)
                .arg("--agent-dir")
                .arg(agent)
                .arg("--out")
                .arg(&out)
                .arg("--log-file")
                .arg(root.join("midrescue.log")),
        );
        let os = dir_size(&out);
        show(
            &format!("midrescue collect {}", collect_args.join(" ")),
            &o,
            os,
        );
        let wall = o.wall.as_secs_f64() / z.wall.as_secs_f64();
        let size = os as f64 / zs as f64;
        let (pw, ps) = p.as_ref().map_or((f64::NAN, f64::NAN), |(r, s)| {
            (
                o.wall.as_secs_f64() / r.wall.as_secs_f64(),
                os as f64 / *s as f64,
            )
        });
        let cores = o.cpu / o.wall.as_secs_f64().max(1e-9);
        println!(
            "  ratios: vs zip -6 wall {wall:.3} size {size:.3} | vs pigz wall {pw:.3} size {ps:.3} | midrescue {cores:.2} cores"
        );
        walls.push(wall);
        if best.is_none_or(|b| wall < b.0) {
            best = Some((wall, size, pw, ps, cores, o.peak));
        }
        let _ = std::fs::remove_dir_all(&out);
    }
    if let Some((wall, size, pw, ps, cores, peak)) = best {
        println!(
            "summary {name}: best wall ratio vs zip -6 {wall:.3} (median of {} rounds {:.3}), size ratio {size:.3}; vs pigz -p 2 wall {pw:.3}, size {ps:.3}; {cores:.2} cores; peak RSS {:.1} MB",
            walls.len(),
            median(walls),
            peak as f64 / 1e6
        );
    }
}

fn whole_process_comparison() {
    let mb: u64 = std::env::var("MIDRESCUE_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    if mb == 0 {
        return;
    }
    if Command::new("zip").arg("-v").output().is_err() || !Path::new("/usr/bin/time").exists() {
        eprintln!(
            "NOTE: Info-ZIP `zip` or GNU time is not installed (apt-get install zip time); \
             whole-process comparison skipped"
        );
        return;
    }
    let cases = std::env::var("MIDRESCUE_BENCH_CASES").unwrap_or_else(|_| "big,small,mixed".into());
    for case in cases.split(',') {
        let d = tempfile::tempdir().expect("tempdir");
        let t = Instant::now();
        let (agent, paths, args): (PathBuf, Vec<PathBuf>, Vec<&str>) = match case {
            // A wrapper.log that never rolled: ten 10 MB agent logs plus one big wrapper.log
            // (MIDRESCUE_BENCH_BIG_MB, default 500), nothing truncated.
            "big" => {
                let big: usize = std::env::var("MIDRESCUE_BENCH_BIG_MB")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(500);
                let (agent, paths) = build_install(d.path(), 0);
                clear_logs(&agent);
                let names: Vec<String> = (1..=10).map(|i| format!("agent0.log.{i}")).collect();
                add_logs(&agent, &names, 10_000_000, false, 1);
                add_logs(&agent, &["wrapper.log".into()], big * 1_000_000, true, 2);
                (agent, paths, vec!["--max-file-mb", "1024"])
            }
            // Many small files: 2000 logs of 64 KiB (MIDRESCUE_BENCH_SMALL_FILES, _SMALL_KB).
            "small" => {
                let n: usize = std::env::var("MIDRESCUE_BENCH_SMALL_FILES")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(2000);
                let (agent, paths) = build_install(d.path(), 0);
                clear_logs(&agent);
                let kb: usize = std::env::var("MIDRESCUE_BENCH_SMALL_KB")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(64);
                // In folders of 1000, as a probe or rotation history would be laid out.
                let names: Vec<String> = (0..n)
                    .map(|i| format!("probes/{}/probe-{i}.log", i / 1000))
                    .collect();
                add_logs(&agent, &names, kb * 1024, false, 3);
                (agent, paths, vec![])
            }
            // The original corpus: MIDRESCUE_BENCH_MB MiB in 16 logs under the 64 MiB budget.
            "mixed" => {
                let (agent, paths) = build_install(d.path(), mb);
                (agent, paths, vec![])
            }
            other => {
                eprintln!(
                    "NOTE: unknown case {other:?} in MIDRESCUE_BENCH_CASES (big, small, mixed)"
                );
                continue;
            }
        };
        // MIDRESCUE_BENCH_KEEP=DIR: also leave a copy of the corpus there for manual runs.
        if let Some(keep) = std::env::var_os("MIDRESCUE_BENCH_KEEP") {
            let to = Path::new(&keep).join(case);
            let _ = std::fs::create_dir_all(&to);
            let _ = Command::new("cp")
                .arg("-a")
                .arg(d.path().join("mid"))
                .arg(&to)
                .status();
        }
        println!("(corpus generated in {:.1?})", t.elapsed());
        compare(case, d.path(), &agent, &paths, &args);
    }
}

/// Remove the generated logs (keeping the crashed-upgrade marker log that detect needs).
fn clear_logs(agent: &Path) {
    for e in std::fs::read_dir(agent.join("logs"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let n = e.file_name().to_string_lossy().into_owned();
        if n.starts_with("wrapper.log") || (n.starts_with("agent0.log.") && n != "agent0.log.0") {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

fn redaction_throughput(c: &mut Criterion) {
    let mut rng = Rng(42);
    let mut t0 = 0;
    let mut corpus = Vec::new();
    agent_lines(&mut rng, &mut corpus, 8 << 20, &mut t0);
    let rules = midrescue::bundle::RuleSet::builtin().unwrap_or_else(|e| panic!("{e}"));
    let mut g = c.benchmark_group("redaction");
    g.throughput(Throughput::Bytes(corpus.len() as u64));
    g.sample_size(10);
    g.bench_function("stream_8MiB_agent_log", |b| {
        let mut out = Vec::with_capacity(corpus.len() + 4096);
        b.iter(|| {
            out.clear();
            let mut counts = midrescue::bundle::redact::Counts::new();
            let mut s = rules.stream();
            for chunk in corpus.chunks(1 << 20) {
                s.push(chunk, &mut out, &mut counts);
            }
            out.len()
        })
    });
    g.bench_function("timeline_scan_8MiB_agent_log", |b| {
        let scanner = midrescue::bundle::timeline::Scanner::new().unwrap_or_else(|e| panic!("{e}"));
        b.iter(|| {
            let mut st = midrescue::bundle::timeline::FileScan::default();
            for chunk in corpus.chunks(1 << 20) {
                scanner.scan("agent/logs/agent0.log.0", chunk, &mut st);
            }
            st.found.len()
        })
    });
    g.bench_function("deflate6_zip_entry_8MiB_agent_log", |b| {
        use std::io::Write as _;
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(6));
        b.iter(|| {
            let mut z =
                zip::write::ZipFileBuilder::new("a", opts).unwrap_or_else(|e| panic!("{e}"));
            for chunk in corpus.chunks(1 << 20) {
                z.write_all(chunk).unwrap_or_else(|e| panic!("{e}"));
            }
            z.finish().map(|p| p.compressed_size()).unwrap_or(0)
        })
    });
    g.finish();
}

/// MIDRESCUE_BENCH_LEVELS=1: DEFLATE level table (single thread, 32 MiB of agent log).
fn level_table() {
    if std::env::var_os("MIDRESCUE_BENCH_LEVELS").is_none() {
        return;
    }
    use std::io::Write as _;
    let mut rng = Rng(7);
    let mut t0 = 0;
    let mut corpus = Vec::new();
    agent_lines(&mut rng, &mut corpus, 32 << 20, &mut t0);
    for level in 1..=9 {
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(level));
        let t = Instant::now();
        let mut z = zip::write::ZipFileBuilder::new("a", opts).unwrap_or_else(|e| panic!("{e}"));
        for chunk in corpus.chunks(1 << 20) {
            z.write_all(chunk).unwrap_or_else(|e| panic!("{e}"));
        }
        let size = z.finish().map(|p| p.compressed_size()).unwrap_or(0);
        let secs = t.elapsed().as_secs_f64();
        println!(
            "level {level}: {:.1} MiB/s, {size} bytes (ratio {:.2})",
            corpus.len() as f64 / 1048576.0 / secs,
            corpus.len() as f64 / size as f64
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("a.log");
    std::fs::write(&f, &corpus).unwrap_or_else(|e| panic!("{e}"));
    for l in ["-4", "-6"] {
        let t = Instant::now();
        let out = dir.path().join(format!("z{l}.zip"));
        measure(
            Command::new("zip")
                .current_dir(dir.path())
                .args(["-q", l])
                .arg(&out)
                .arg("a.log"),
        );
        println!(
            "Info-ZIP zip {l}: {:.1} MiB/s, {} bytes",
            corpus.len() as f64 / 1048576.0 / t.elapsed().as_secs_f64(),
            std::fs::metadata(&out).map_or(0, |m| m.len())
        );
    }
}

fn main() {
    level_table();
    whole_process_comparison();
    let mut c = Criterion::default().configure_from_args();
    redaction_throughput(&mut c);
    c.final_summary();
}
