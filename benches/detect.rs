//! detect on a big install versus `grep -c "Added marker"` over the same logs, same run.
//!
//! Builds (in a temp folder) an install with 10 x 10 MB agent logs and a 500 MB wrapper.log
//! ending in a crashed upgrade, then times, median of several runs each:
//! - `grep -c "Added marker"` over all those logs (what an operator would reach for),
//! - detect in-process (library),
//! - the whole `midrescue detect --json` process (includes the service/process queries).
//!
//! Run: `cargo bench --bench detect`. Without `--bench` (cargo test, clippy) it does nothing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use midrescue::host::Host;
use midrescue::mid::detect::{DetectOptions, detect_with};
use midrescue::mid::report::Verdict;
use midrescue::platform::Platform;
use midrescue::platform::service::UnknownService;

const MB: usize = 1024 * 1024;
const RUNS: usize = 7;

/// Write `size` bytes made of `block` repeated (cut at a line end), then `tail`.
fn write_log(path: &Path, block: &[u8], size: usize, tail: &str) {
    let mut f = std::io::BufWriter::with_capacity(4 * MB, std::fs::File::create(path).unwrap());
    let mut written = 0;
    while written + block.len() <= size {
        f.write_all(block).unwrap();
        written += block.len();
    }
    f.write_all(tail.as_bytes()).unwrap();
    f.flush().unwrap();
}

fn agent_block() -> Vec<u8> {
    let mut s = String::new();
    for i in 0..2000 {
        s.push_str(&format!(
            "09/20/19 10:{:02}:{:02} ({:03}) ECCQueueMonitor.40 Polling ECC queue for output, {} items processed in this cycle\n",
            (i / 60) % 60,
            i % 60,
            i % 1000,
            i
        ));
    }
    s.into_bytes()
}

fn wrapper_block() -> Vec<u8> {
    let mut s = String::new();
    for i in 0..2000 {
        s.push_str(&format!(
            "INFO   | jvm 1    | 2019/09/20 10:{:02}:{:02}.{:03} | heartbeat ok, free memory {} MB\n",
            (i / 60) % 60,
            i % 60,
            i % 1000,
            i
        ));
    }
    s.into_bytes()
}

fn build(root: &Path) -> PathBuf {
    let agent = root.join("agent");
    let temp = agent.join("work/upgrade_temp/1569035472492-0");
    for d in ["logs", "conf", "bin", "lib", "package/meta"] {
        std::fs::create_dir_all(agent.join(d)).unwrap();
    }
    std::fs::create_dir_all(temp.join("upgrade-wrapper/bin")).unwrap();
    std::fs::create_dir_all(temp.join("upgrade-wrapper/logs")).unwrap();
    std::fs::write(
        agent.join("config.xml"),
        "<parameters><parameter name=\"name\" value=\"bench\"/></parameters>",
    )
    .unwrap();
    std::fs::write(
        agent.join("conf/wrapper-override.conf"),
        "wrapper.name=snc_mid_bench\n",
    )
    .unwrap();
    std::fs::write(agent.join("bin/mid.bat"), "").unwrap();
    for j in 0..8 {
        std::fs::write(agent.join(format!("lib/j{j}.jar")), "PK").unwrap();
    }
    std::fs::write(
        temp.join("upgrade-wrapper/bin/glide-dist-upgrade.bat"),
        "@echo off\r\n",
    )
    .unwrap();
    std::fs::write(
        temp.join("upgrade-wrapper/logs/glide-dist-upgrade.log"),
        "INFO   | jvm 1    | 2019/09/21 16:30:47.500 | C:\\ServiceNow\\agent\\lib\\mid.jar cannot be deleted: (The process cannot access the file because it is being used by another process)\n",
    )
    .unwrap();
    let ab = agent_block();
    for g in (1..10).rev() {
        write_log(
            &agent.join(format!("logs/agent0.log.{g}")),
            &ab,
            10 * MB,
            "",
        );
    }
    let tail = format!(
        "09/21/19 16:22:12 (551) AutoUpgrade.3600 Assigned: [mid-core.newyork-06-26-2019__patch2-09-18-2019_09-24-2019_1701.universal.universal.zip]\n\
         09/21/19 16:28:11 (551) AutoUpgrade.3600 Stopping MID server. Bootstrapping upgrade.\n\
         09/21/19 16:28:12 (551) AutoUpgrade.3600 Added marker `{}` to upgrade marker file.\n\
         09/21/19 16:28:15 (551) MIDServer MID Server stopped\n",
        temp.display()
    );
    write_log(&agent.join("logs/agent0.log.0"), &ab, 10 * MB, &tail);
    let wtail = "2019/09/21 16:28:20 | <-- Wrapper Stopped\n\
                 INFO   | jvm 1    | 2019/09/21 16:30:47.500 | C:\\ServiceNow\\agent\\lib\\mid.jar cannot be deleted: (The process cannot access the file because it is being used by another process)\n\
                 2019/09/21 16:33:17 | Machine is shutting down.\n";
    write_log(
        &agent.join("logs/wrapper.log"),
        &wrapper_block(),
        500 * MB,
        wtail,
    );
    agent
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<F: FnMut()>(mut f: F) -> Duration {
    f(); // warm-up (page cache)
    median(
        (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let agent = build(dir.path());
    eprintln!("built a 600 MB install in {:?}", t.elapsed());
    let logs: Vec<PathBuf> = std::fs::read_dir(agent.join("logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();

    let grep = time(|| {
        let out = Command::new("grep")
            .arg("-c")
            .arg("Added marker")
            .args(&logs)
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).contains(":1"));
    });
    let opts = DetectOptions {
        os_temp_dirs: Vec::new(),
        systemd_root: None,
        passwd_file: None,
    };
    let lib = time(|| {
        let host = Host {
            platform: Platform::Windows,
            service: std::sync::Arc::new(UnknownService::new(None, "bench")),
            lab_root: None,
        };
        let r = detect_with(&agent, &host, &opts).unwrap();
        assert_eq!(r.verdict, Verdict::CrashedUpgrade);
        assert!(!r.findings.is_empty());
    });
    let bin = env!("CARGO_BIN_EXE_midrescue");
    let process = time(|| {
        let out = Command::new(bin)
            .args(["detect", "--json", "--agent-dir"])
            .arg(&agent)
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).contains("crashed_upgrade"));
    });
    // Same install, but no failure line in wrapper.log: no evidence there to number, so the
    // forward newline count over the 500 MB (for 1-based line numbers) is not needed.
    write_log(
        &agent.join("logs/wrapper.log"),
        &wrapper_block(),
        500 * MB,
        "2019/09/21 16:28:20 | <-- Wrapper Stopped\n",
    );
    let no_wrapper_evidence = time(|| {
        let host = Host {
            platform: Platform::Windows,
            service: std::sync::Arc::new(UnknownService::new(None, "bench")),
            lab_root: None,
        };
        let r = detect_with(&agent, &host, &opts).unwrap();
        assert_eq!(r.verdict, Verdict::CrashedUpgrade);
    });
    println!(
        "detect bench: 10 x 10 MB agent logs + 500 MB wrapper.log, median of {RUNS} warm runs"
    );
    println!("  grep -c \"Added marker\" (all logs)   {grep:>12.3?}");
    println!(
        "  detect (in-process)                 {lib:>12.3?}   {:>8.1}x faster than grep",
        grep.as_secs_f64() / lib.as_secs_f64()
    );
    println!(
        "  midrescue detect --json (process)   {process:>12.3?}   {:>8.1}x faster than grep",
        grep.as_secs_f64() / process.as_secs_f64()
    );
    println!(
        "  detect, no evidence in wrapper.log  {no_wrapper_evidence:>12.3?}   {:>8.1}x faster than grep",
        grep.as_secs_f64() / no_wrapper_evidence.as_secs_f64()
    );
}
