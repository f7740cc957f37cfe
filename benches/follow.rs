//! Follower bench, compared in the same run with GNU `tail -F`:
//! 1. latency from a line appended to the line delivered (p50/p99), default 200 ms poll;
//! 2. CPU time while following three idle files.
//!
//! `FOLLOW_BENCH_SECS` sets the idle duration (default 60) and `FOLLOW_BENCH_LINES` the number of
//! latency samples (default 200). Run: `cargo bench --bench follow`.

// GNU `tail`, /proc and getrusage: a Linux bench. Elsewhere `main` only says so.
#![cfg_attr(not(unix), allow(dead_code, unused_imports))]

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use midrescue::follow::{FollowConfig, Follower, spawn};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

type Sent = Arc<Mutex<HashMap<u64, Instant>>>;

/// Append `n` lines `seq <i>` spread over three files with uneven gaps, recording when each
/// was written.
fn writer(files: Vec<PathBuf>, n: u64, sent: Sent) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for i in 0..n {
            // 13..73 ms gaps so writes land at every phase of the poll interval.
            std::thread::sleep(Duration::from_millis(13 + (i * 37) % 61));
            let path = &files[(i % 3) as usize];
            let mut f = OpenOptions::new().append(true).open(path).expect("open");
            // Recorded before the write, so a reader never sees a line it has no time for.
            sent.lock().expect("lock").insert(i, Instant::now());
            writeln!(f, "seq {i}").expect("write");
        }
    })
}

fn seq_of(line: &str) -> Option<u64> {
    line.trim().strip_prefix("seq ")?.parse().ok()
}

fn percentiles(mut v: Vec<Duration>) -> (Duration, Duration, Duration) {
    v.sort();
    let at = |p: f64| v[((v.len() as f64 - 1.0) * p).round() as usize];
    (at(0.50), at(0.99), *v.last().expect("samples"))
}

fn make_files(dir: &Path) -> Vec<PathBuf> {
    let files: Vec<PathBuf> = ["agent0.log.0", "wrapper.log", "glide-dist-upgrade.log"]
        .iter()
        .map(|n| dir.join(n))
        .collect();
    for f in &files {
        std::fs::write(f, b"existing line\n").expect("create");
    }
    files
}

fn ours_latency(dir: &Path, n: u64) -> Vec<Duration> {
    let files = make_files(dir);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut f = Follower::new(FollowConfig::default());
        for (i, p) in files.iter().enumerate() {
            f.add(format!("f{i}"), p);
        }
        let mut h = spawn(f);
        tokio::time::sleep(Duration::from_millis(300)).await; // attach
        let sent: Sent = Arc::default();
        let w = writer(files.clone(), n, sent.clone());
        let mut lat = Vec::new();
        while (lat.len() as u64) < n {
            let Ok(Some(b)) = tokio::time::timeout(Duration::from_secs(5), h.batches.recv()).await
            else {
                break;
            };
            let now = Instant::now();
            for l in &b.lines {
                if let Some(i) = seq_of(l)
                    && let Some(t) = sent.lock().expect("lock").get(&i)
                {
                    lat.push(now - *t);
                }
            }
        }
        let _ = w.join();
        h.stop();
        lat
    })
}

fn tail_cmd(files: &[PathBuf], inotify: bool) -> Child {
    let mut cmd = Command::new("tail");
    cmd.arg("-F").arg("-n").arg("0").arg("-q");
    if !inotify {
        // GNU tail's hidden switch: poll like we do, at the same interval.
        cmd.arg("---disable-inotify").arg("-s").arg("0.2");
    }
    cmd.args(files).stdout(Stdio::piped()).stderr(Stdio::null());
    cmd.spawn().expect("tail")
}

fn tail_latency(dir: &Path, n: u64, inotify: bool) -> Vec<Duration> {
    let files = make_files(dir);
    let mut child = tail_cmd(&files, inotify);
    std::thread::sleep(Duration::from_millis(300));
    let sent: Sent = Arc::default();
    let w = writer(files, n, sent.clone());
    let out = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send((line, Instant::now())).is_err() {
                return;
            }
        }
    });
    let mut lat = Vec::new();
    while let Ok((line, now)) = rx.recv_timeout(Duration::from_secs(5)) {
        if let Some(i) = seq_of(&line)
            && let Some(t) = sent.lock().expect("lock").get(&i)
        {
            lat.push(now - *t);
        }
        if lat.len() as u64 >= n {
            break;
        }
    }
    let _ = w.join();
    let _ = child.kill();
    let _ = child.wait();
    lat
}

#[cfg(unix)]
fn self_cpu() -> Duration {
    // SAFETY: zeroed rusage is valid output storage for getrusage.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer to a rusage.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

#[cfg(unix)]
fn proc_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    // Fields after the ")" of the command name: utime is field 14, stime 15 (1-based).
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f[11].parse::<u64>().expect("utime") + f[12].parse::<u64>().expect("stime");
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    Duration::from_millis(ticks * 1000 / hz)
}

#[cfg(unix)]
fn ours_idle_cpu(dir: &Path, secs: u64) -> Duration {
    let files = make_files(dir);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut f = Follower::new(FollowConfig::default());
        for (i, p) in files.iter().enumerate() {
            f.add(format!("f{i}"), p);
        }
        let h = spawn(f);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = self_cpu();
        tokio::time::sleep(Duration::from_secs(secs)).await;
        let used = self_cpu() - before;
        h.stop();
        used
    })
}

#[cfg(unix)]
fn tail_idle_cpu(dir: &Path, secs: u64, inotify: bool) -> Duration {
    let files = make_files(dir);
    let mut child = tail_cmd(&files, inotify);
    std::thread::sleep(Duration::from_millis(500));
    let before = proc_cpu(child.id());
    std::thread::sleep(Duration::from_secs(secs));
    let used = proc_cpu(child.id()) - before;
    let _ = child.kill();
    let _ = child.wait();
    used
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(not(unix))]
fn main() {
    eprintln!("the follow bench compares with GNU tail -F and reads /proc: run it on Linux");
}

#[cfg(unix)]
fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs benches in test mode: skip.
    if std::env::args().any(|a| a == "--test") || std::env::args().all(|a| a != "--bench") {
        eprintln!("follow bench: run with `cargo bench --bench follow`");
        return;
    }
    let secs = env_u64("FOLLOW_BENCH_SECS", 60);
    let n = env_u64("FOLLOW_BENCH_LINES", 200);
    let dir = tempfile::tempdir().expect("tempdir");
    let sub = |name: &str| {
        let p = dir.path().join(name);
        std::fs::create_dir_all(&p).expect("mkdir");
        p
    };

    println!("latency, {n} lines over 3 files (append → delivered):");
    let rows = [
        (
            "midrescue follower (poll 200 ms)",
            ours_latency(&sub("l1"), n),
        ),
        ("tail -F (inotify)", tail_latency(&sub("l2"), n, true)),
        (
            "tail -F ---disable-inotify -s 0.2",
            tail_latency(&sub("l3"), n, false),
        ),
    ];
    for (name, lat) in &rows {
        let (p50, p99, max) = percentiles(lat.clone());
        println!(
            "  {name:<36} p50 {:7.1} ms  p99 {:7.1} ms  max {:7.1} ms  (n={})",
            ms(p50),
            ms(p99),
            ms(max),
            lat.len()
        );
    }

    println!("CPU following 3 idle files for {secs} s:");
    let ours = ours_idle_cpu(&sub("c1"), secs);
    let tail_i = tail_idle_cpu(&sub("c2"), secs, true);
    let tail_p = tail_idle_cpu(&sub("c3"), secs, false);
    let pct = |d: Duration| d.as_secs_f64() / secs as f64 * 100.0;
    println!(
        "  midrescue follower (poll 200 ms)     {:8.1} ms  = {:.3} % of a core",
        ms(ours),
        pct(ours)
    );
    println!(
        "  tail -F (inotify)                    {:8.1} ms  = {:.3} % of a core",
        ms(tail_i),
        pct(tail_i)
    );
    println!(
        "  tail -F ---disable-inotify -s 0.2    {:8.1} ms  = {:.3} % of a core",
        ms(tail_p),
        pct(tail_p)
    );
    if tail_p > Duration::ZERO {
        println!(
            "  ratio ours / polling tail: {:.2}",
            ours.as_secs_f64() / tail_p.as_secs_f64()
        );
    }
}
