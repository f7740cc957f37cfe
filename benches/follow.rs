//! Follower bench: the poller the product runs, a recovery [`Session`] driven by
//! [`recovery::drive`] at `Cadence::default().poll` (250 ms), attached to a fake install in a
//! temp folder (agent0.log.0, wrapper.log and the upgrade temp folder's glide-dist-upgrade.log).
//! Compared in the same run with GNU `tail -F`:
//! 1. latency from a line appended to the `RecoveryEvent::Line` reaching the face (p50/p99);
//! 2. CPU time of the whole process while the session follows the three files, all quiet.
//!
//! The service answer is a constant and no instance is asked: what is measured is the file
//! following and the engine around it, not `systemctl`.
//!
//! `FOLLOW_BENCH_SECS` sets the idle duration (default 60) and `FOLLOW_BENCH_LINES` the number of
//! latency samples (default 200). Run: `cargo bench --bench follow`. Unix only (GNU tail, /proc).

#[cfg(unix)]
fn main() {
    unix::main();
}

#[cfg(not(unix))]
fn main() {
    eprintln!(
        "follow bench: Unix only (it compares with GNU `tail -F` and reads CPU time from /proc); \
         nothing measured on this OS"
    );
}

#[cfg(unix)]
mod unix {
    use std::collections::HashMap;
    use std::fs::OpenOptions;
    use std::io::{BufRead, BufReader, Write};
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc::{Receiver, Sender, channel};
    use std::sync::{Arc, Mutex};
    use std::thread::JoinHandle;
    use std::time::{Duration, Instant};

    use midrescue::mid::report::{
        DetectReport, LibState, SCHEMA_VERSION, ServiceReport, UpgradeReport, Verdict,
    };
    use midrescue::platform::Platform;
    use midrescue::platform::service::{ServiceControl, ServiceState, ServiceStatus, StartType};
    use midrescue::recovery::session::SessionParts;
    use midrescue::recovery::{
        Cadence, Decision, Face, Install, Limits, RecoveryEvent, Session, SystemClock,
        SystemLauncher, drive,
    };

    fn env_u64(name: &str, default: u64) -> u64 {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    type Sent = Arc<Mutex<HashMap<u64, Instant>>>;
    /// A delivered line and when it reached the reader.
    type Delivered = (String, Instant);

    /// Append `n` lines `seq <i>` spread over the files with uneven gaps, recording when each
    /// was written.
    fn writer(files: Vec<PathBuf>, n: u64, sent: Sent) -> JoinHandle<()> {
        std::thread::spawn(move || {
            for i in 0..n {
                // 13..73 ms gaps so writes land at every phase of the poll interval.
                std::thread::sleep(Duration::from_millis(13 + (i * 37) % 61));
                let path = &files[(i as usize) % files.len()];
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

    /// Latency of each `seq` line delivered on `rx`, until `n` arrived or none for 5 s.
    fn collect(rx: &Receiver<Delivered>, sent: &Sent, n: u64) -> Vec<Duration> {
        let mut lat = Vec::new();
        while (lat.len() as u64) < n {
            let Ok((line, at)) = rx.recv_timeout(Duration::from_secs(5)) else {
                break;
            };
            if let Some(i) = seq_of(&line)
                && let Some(t) = sent.lock().expect("lock").get(&i)
            {
                lat.push(at - *t);
            }
        }
        lat
    }

    fn percentiles(mut v: Vec<Duration>) -> Option<(Duration, Duration, Duration)> {
        v.sort();
        let at = |p: f64| v[((v.len() as f64 - 1.0) * p).round() as usize];
        Some((at(0.50), at(0.99), *v.last()?))
    }

    // ---- midrescue: a recovery session on a fake install ------------------------------------

    /// The service answer, constant: nothing runs and nothing is spawned to ask.
    struct StoppedService;

    impl ServiceControl for StoppedService {
        fn query(&self) -> ServiceStatus {
            ServiceStatus {
                name: Some("snc_mid_bench".into()),
                display_name: None,
                state: ServiceState::Stopped,
                start_type: Some(StartType::Manual),
                raw: String::new(),
                note: None,
            }
        }
        fn set_start_type(&self, _: StartType) -> anyhow::Result<()> {
            Ok(())
        }
        fn upgrade_process_running(&self) -> bool {
            false
        }
    }

    /// A crashed-upgrade install under `dir`; returns its report and the three followed files
    /// (agent log, wrapper log, upgrade log), each holding one line already.
    fn fake_install(dir: &Path) -> (DetectReport, Vec<PathBuf>) {
        let agent = dir.join("agent");
        let temp = agent.join("work/upgrade_temp/1700000000000-0");
        for d in [
            agent.join("logs"),
            agent.join("package/meta"),
            temp.join("upgrade-wrapper/logs"),
            temp.join("upgrade-wrapper/bin"),
        ] {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        std::fs::write(
            agent.join("package/meta/mid-core.meta.properties"),
            "package.filename=mid-core.xanadu-07-02-2024__patch3-11-14-2024_11-20-2024_1920.universal.universal.zip\n",
        )
        .expect("meta");
        let upgrade_log = temp.join("upgrade-wrapper/logs/glide-dist-upgrade.log");
        let files = vec![
            agent.join("logs/agent0.log.0"),
            agent.join("logs/wrapper.log"),
            upgrade_log.clone(),
        ];
        for f in &files {
            std::fs::write(f, b"existing line\n").expect("create");
        }
        let report = DetectReport {
            schema_version: SCHEMA_VERSION,
            agent_dir: agent,
            platform: Platform::host(),
            mid_name: Some("mid-bench".into()),
            instance_url: None,
            installed_version: None,
            target_version: None,
            service: ServiceReport {
                name: Some("snc_mid_bench".into()),
                display_name: None,
                state: ServiceState::Stopped,
                start_type: Some(StartType::Manual),
                upgrade_process_running: false,
            },
            upgrade: Some(UpgradeReport {
                temp_dir: Some(temp.clone()),
                script: Some(temp.join("upgrade-wrapper/bin/glide-dist-upgrade.sh")),
                upgrade_log: Some(upgrade_log),
                ..UpgradeReport::default()
            }),
            lib: LibState::Partial,
            verdict: Verdict::CrashedUpgrade,
            findings: Vec::new(),
            elevated: None,
            temp_dir_attribution: None,
            unattributed_temp_dirs: Vec::new(),
        };
        (report, files)
    }

    /// The face: stamps each `Line` as it arrives, sleeps between polls like `resume`'s face,
    /// and stops the session when told.
    struct Stamping {
        lines: Sender<Delivered>,
        stop: Arc<AtomicBool>,
    }

    impl Face for Stamping {
        fn event(&mut self, ev: &RecoveryEvent) {
            if let RecoveryEvent::Line { text, .. } = ev {
                let _ = self.lines.send((text.clone(), Instant::now()));
            }
        }
        fn wait(&mut self, d: Duration) -> Option<Decision> {
            if self.stop.load(Ordering::SeqCst) {
                return Some(Decision::Stop);
            }
            std::thread::sleep(d);
            None
        }
    }

    /// A session attached to a fake install, driven on its own thread.
    struct Driven {
        files: Vec<PathBuf>,
        lines: Receiver<Delivered>,
        stop: Arc<AtomicBool>,
        thread: JoinHandle<()>,
    }

    impl Driven {
        fn start(dir: &Path) -> Driven {
            let (report, files) = fake_install(dir);
            let out_dir = dir.join("out");
            std::fs::create_dir_all(&out_dir).expect("mkdir out");
            let (tx, lines) = channel();
            let stop = Arc::new(AtomicBool::new(false));
            let (attached_tx, attached) = channel();
            let face_stop = stop.clone();
            let thread = std::thread::spawn(move || {
                let install = Arc::new(Install {
                    report,
                    service: Arc::new(StoppedService),
                    stand_in: None,
                    lab_root: None,
                    temp_roots: Vec::new(),
                });
                let mut session = Session::attach(
                    install,
                    SessionParts {
                        cadence: Cadence::default(),
                        limits: Limits::default(),
                        clock: Arc::new(SystemClock::default()),
                        launcher: Arc::new(SystemLauncher),
                        instance: None,
                        out_dir,
                        keep_upgrade_log: true,
                    },
                );
                let _ = attached_tx.send(());
                let mut face = Stamping {
                    lines: tx,
                    stop: face_stop,
                };
                let _ = drive(&mut session, &mut face);
            });
            attached.recv().expect("session attached");
            Driven {
                files,
                lines,
                stop,
                thread,
            }
        }

        fn stop(self) {
            self.stop.store(true, Ordering::SeqCst);
            let _ = self.thread.join();
        }
    }

    fn ours_latency(dir: &Path, n: u64) -> Vec<Duration> {
        let d = Driven::start(dir);
        let sent: Sent = Arc::default();
        let w = writer(d.files.clone(), n, sent.clone());
        let lat = collect(&d.lines, &sent, n);
        let _ = w.join();
        d.stop();
        lat
    }

    fn ours_idle_cpu(dir: &Path, secs: u64) -> Duration {
        let d = Driven::start(dir);
        std::thread::sleep(Duration::from_millis(500));
        let before = self_cpu();
        std::thread::sleep(Duration::from_secs(secs));
        let used = self_cpu().saturating_sub(before);
        d.stop();
        used
    }

    // ---- the comparator: GNU tail as a whole process ----------------------------------------

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

    fn tail_cmd(files: &[PathBuf], inotify: bool) -> Child {
        let mut cmd = Command::new("tail");
        cmd.arg("-F").arg("-n").arg("0").arg("-q");
        if !inotify {
            // GNU tail's hidden switch: poll like the session does, at the same interval.
            cmd.arg("---disable-inotify").arg("-s").arg("0.25");
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
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send((line, Instant::now())).is_err() {
                    return;
                }
            }
        });
        let lat = collect(&rx, &sent, n);
        let _ = w.join();
        let _ = child.kill();
        let _ = child.wait();
        lat
    }

    fn tail_idle_cpu(dir: &Path, secs: u64, inotify: bool) -> Cpu {
        let files = make_files(dir);
        let mut child = tail_cmd(&files, inotify);
        std::thread::sleep(Duration::from_millis(500));
        let before = proc_cpu(child.id());
        std::thread::sleep(Duration::from_secs(secs));
        let after = proc_cpu(child.id());
        let _ = child.kill();
        let _ = child.wait();
        Cpu {
            ticks: after.ticks.saturating_sub(before.ticks),
            exact: after
                .exact
                .zip(before.exact)
                .map(|(a, b)| a.saturating_sub(b)),
        }
    }

    // ---- CPU time ---------------------------------------------------------------------------

    /// This whole process (all threads), from getrusage: the kernel's exact run time.
    fn self_cpu() -> Duration {
        // SAFETY: zeroed rusage is valid output storage for getrusage.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: valid pointer to a rusage.
        let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
        assert_eq!(rc, 0, "getrusage");
        let tv = |t: libc::timeval| {
            Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
        };
        tv(ru.ru_utime) + tv(ru.ru_stime)
    }

    /// Another process's CPU time.
    struct Cpu {
        /// utime + stime from /proc/PID/stat, in clock ticks (10 ms steps).
        ticks: Duration,
        /// The run time from /proc/PID/schedstat, in ns, when the kernel has it (tail has one
        /// thread, so its main task is the whole process).
        exact: Option<Duration>,
    }

    fn proc_cpu(pid: u32) -> Cpu {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
        // Fields after the ")" of the command name: utime is field 14, stime 15 (1-based).
        let rest = &stat[stat.rfind(')').expect("comm") + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks: u64 =
            f[11].parse::<u64>().expect("utime") + f[12].parse::<u64>().expect("stime");
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
        let exact = std::fs::read_to_string(format!("/proc/{pid}/schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .map(Duration::from_nanos);
        Cpu {
            ticks: Duration::from_millis(ticks * 1000 / hz),
            exact,
        }
    }

    fn loadavg() -> String {
        std::fs::read_to_string("/proc/loadavg")
            .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "unknown".into())
    }

    fn ms(d: Duration) -> f64 {
        d.as_secs_f64() * 1000.0
    }

    const OURS: &str = "midrescue Session (drive, 250 ms)";
    const TAIL_I: &str = "tail -F (inotify)";
    const TAIL_P: &str = "tail -F ---disable-inotify -s 0.25";

    pub fn main() {
        // `cargo bench` passes `--bench`; `cargo test --benches` runs benches in test mode: skip.
        if std::env::args().any(|a| a == "--test") || std::env::args().all(|a| a != "--bench") {
            eprintln!("follow bench: run with `cargo bench --bench follow`");
            return;
        }
        let secs = env_u64("FOLLOW_BENCH_SECS", 60).max(1);
        let n = env_u64("FOLLOW_BENCH_LINES", 200);
        let dir = tempfile::tempdir().expect("tempdir");
        let sub = |name: &str| {
            let p = dir.path().join(name);
            std::fs::create_dir_all(&p).expect("mkdir");
            p
        };
        println!(
            "load average (1/5/15 min) at start: {}, {} cores",
            loadavg(),
            std::thread::available_parallelism().map_or(0, |c| c.get())
        );

        println!("latency, {n} lines over 3 files (append → delivered):");
        let rows = [
            (OURS, ours_latency(&sub("l1"), n)),
            (TAIL_I, tail_latency(&sub("l2"), n, true)),
            (TAIL_P, tail_latency(&sub("l3"), n, false)),
        ];
        let mut pcts = Vec::new();
        for (name, lat) in &rows {
            match percentiles(lat.clone()) {
                Some((p50, p99, max)) => {
                    pcts.push((p50, p99));
                    println!(
                        "  {name:<36} p50 {:7.1} ms  p99 {:7.1} ms  max {:7.1} ms  (n={})",
                        ms(p50),
                        ms(p99),
                        ms(max),
                        lat.len()
                    );
                }
                None => {
                    pcts.push((Duration::ZERO, Duration::ZERO));
                    println!("  {name:<36} no line delivered");
                }
            }
        }
        if let [(o50, o99), _, (t50, t99)] = pcts[..]
            && t50 > Duration::ZERO
            && t99 > Duration::ZERO
        {
            println!(
                "  ratio ours / polling tail: p50 {:.3}x, p99 {:.3}x",
                o50.as_secs_f64() / t50.as_secs_f64(),
                o99.as_secs_f64() / t99.as_secs_f64()
            );
        }

        println!("CPU following 3 idle files for {secs} s:");
        let ours = ours_idle_cpu(&sub("c1"), secs);
        let tail_i = tail_idle_cpu(&sub("c2"), secs, true);
        let tail_p = tail_idle_cpu(&sub("c3"), secs, false);
        let pct = |d: Duration| d.as_secs_f64() / secs as f64 * 100.0;
        println!(
            "  {:<36} {:>10} {:>12}  {:>10}",
            "", "CPU ms", "% of a core", "ticks ms"
        );
        println!(
            "  {OURS:<36} {:10.1} {:12.4}  {:>10}",
            ms(ours),
            pct(ours),
            "(rusage)"
        );
        for (name, c) in [(TAIL_I, &tail_i), (TAIL_P, &tail_p)] {
            let exact = c.exact.unwrap_or(c.ticks);
            println!(
                "  {name:<36} {:10.1} {:12.4}  {:10.1}",
                ms(exact),
                pct(exact),
                ms(c.ticks)
            );
        }
        let tail_p_exact = tail_p.exact.unwrap_or(tail_p.ticks);
        if tail_p_exact > Duration::ZERO {
            println!(
                "  ratio ours / polling tail: {:.2}",
                ours.as_secs_f64() / tail_p_exact.as_secs_f64()
            );
        }
        println!("load average (1/5/15 min) at end: {}", loadavg());
    }
}
