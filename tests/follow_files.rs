//! The follower against real files: rotation, truncation, replacement, deletion, re-creation,
//! late files, CRLF, invalid UTF-8, partial lines, a 50 MB line, and no fd held between polls.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

use midrescue::follow::{Batch, FollowConfig, FollowEvent, Follower, StartAt};

fn append(path: &Path, bytes: &[u8]) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(bytes).unwrap();
}

fn from_start() -> FollowConfig {
    FollowConfig {
        start: StartAt::Beginning,
        ..FollowConfig::default()
    }
}

fn lines_of(batches: &[Batch], source: &str) -> Vec<String> {
    batches
        .iter()
        .filter(|b| b.source == source)
        .flat_map(|b| b.lines.clone())
        .collect()
}

fn events_of(batches: &[Batch], source: &str) -> Vec<FollowEvent> {
    batches
        .iter()
        .filter(|b| b.source == source)
        .flat_map(|b| b.events.clone())
        .collect()
}

#[test]
fn appended_lines_crlf_invalid_utf8_and_partial_lines() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("wrapper.log");
    append(&p, b"one\r\ntwo \xff\n");
    let mut f = Follower::new(from_start());
    f.add("w", &p);
    assert_eq!(lines_of(&f.poll(), "w"), vec!["one", "two \u{fffd}"]);
    append(&p, b"thr");
    assert!(
        lines_of(&f.poll(), "w").is_empty(),
        "partial line must wait"
    );
    append(&p, b"ee\r\n");
    assert_eq!(lines_of(&f.poll(), "w"), vec!["three"]);
    assert!(f.poll().is_empty(), "idle poll yields nothing");
}

#[test]
fn starts_at_end_of_existing_file_with_optional_context() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("agent0.log.0");
    append(&p, b"old 1\nold 2\nold 3\n");
    let mut f = Follower::new(FollowConfig::default());
    f.add("a", &p);
    let first = f.poll();
    assert!(lines_of(&first, "a").is_empty());
    assert_eq!(
        events_of(&first, "a"),
        vec![FollowEvent::StartedAt { offset: 18 }]
    );
    append(&p, b"new\n");
    assert_eq!(lines_of(&f.poll(), "a"), vec!["new"]);

    let mut g = Follower::new(FollowConfig {
        start: StartAt::End { context_bytes: 9 },
        ..FollowConfig::default()
    });
    g.add("a", &p);
    // The last 9 bytes start inside "old 3\n"; the cut fragment is dropped, whole lines kept.
    assert_eq!(lines_of(&g.poll(), "a"), vec!["new"]);
}

#[test]
fn not_yet_existing_file_waits_quietly_then_is_read_from_start() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("logs").join("glide-dist-upgrade.log");
    let mut f = Follower::new(FollowConfig::default());
    f.add("u", &p);
    assert_eq!(events_of(&f.poll(), "u"), vec![FollowEvent::Waiting]);
    for _ in 0..5 {
        assert!(f.poll().is_empty(), "no error storm while waiting");
    }
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    append(&p, b"first\nsecond\n");
    let b = f.poll();
    assert_eq!(events_of(&b, "u"), vec![FollowEvent::Appeared]);
    assert_eq!(lines_of(&b, "u"), vec!["first", "second"]);
}

#[test]
fn truncation_restarts_at_zero() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.log");
    append(&p, b"aaaa\nbbbb\n");
    let mut f = Follower::new(from_start());
    f.add("t", &p);
    assert_eq!(lines_of(&f.poll(), "t").len(), 2);
    fs::write(&p, b"c\n").unwrap();
    let b = f.poll();
    assert_eq!(events_of(&b, "t"), vec![FollowEvent::Truncated]);
    assert_eq!(lines_of(&b, "t"), vec!["c"]);
}

#[test]
fn overwrite_with_longer_content_is_detected_by_head() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("o.log");
    append(&p, b"header A\n");
    let mut f = Follower::new(from_start());
    f.add("o", &p);
    assert_eq!(lines_of(&f.poll(), "o"), vec!["header A"]);
    // Same inode, rewritten in place with more bytes than we had read: only the head tells.
    fs::write(&p, b"header B\nmore lines\n").unwrap();
    let b = f.poll();
    assert_eq!(events_of(&b, "o"), vec![FollowEvent::Replaced]);
    assert_eq!(lines_of(&b, "o"), vec!["header B", "more lines"]);
}

#[test]
fn rotation_reads_rest_of_old_file_then_follows_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let p0 = dir.path().join("agent0.log.0");
    let p1 = dir.path().join("agent0.log.1");
    append(&p0, b"before\n");
    let mut f = Follower::new(from_start());
    f.add("agent", &p0);
    assert_eq!(lines_of(&f.poll(), "agent"), vec!["before"]);
    // Written just before the roll, not yet seen by us.
    append(&p0, b"last of old\n");
    fs::rename(&p0, &p1).unwrap();
    append(&p0, b"first of new\n");
    let b = f.poll();
    assert_eq!(
        events_of(&b, "agent"),
        vec![FollowEvent::Rotated { to: p1.clone() }]
    );
    assert_eq!(lines_of(&b, "agent"), vec!["last of old", "first of new"]);
    append(&p0, b"next\n");
    assert_eq!(lines_of(&f.poll(), "agent"), vec!["next"]);
}

#[test]
fn replacement_by_a_new_file_is_followed() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.log");
    append(&p, b"old\n");
    let mut f = Follower::new(from_start());
    f.add("r", &p);
    f.poll();
    let tmp = dir.path().join("r.new");
    fs::write(&tmp, b"new file line\n").unwrap();
    fs::rename(&tmp, &p).unwrap();
    let b = f.poll();
    assert_eq!(events_of(&b, "r"), vec![FollowEvent::Replaced]);
    assert_eq!(lines_of(&b, "r"), vec!["new file line"]);
}

#[test]
fn deleted_folder_is_reported_once_and_recreation_is_followed() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("upgrade-wrapper").join("logs");
    fs::create_dir_all(&logs).unwrap();
    let p = logs.join("glide-dist-upgrade.log");
    append(&p, b"working\nunfinished");
    let mut f = Follower::new(from_start());
    f.add("u", &p);
    assert_eq!(lines_of(&f.poll(), "u"), vec!["working"]);
    fs::remove_dir_all(dir.path().join("upgrade-wrapper")).unwrap();
    let b = f.poll();
    assert_eq!(events_of(&b, "u"), vec![FollowEvent::Deleted]);
    assert_eq!(
        lines_of(&b, "u"),
        vec!["unfinished"],
        "the unfinished last line is delivered"
    );
    for _ in 0..3 {
        assert!(f.poll().is_empty(), "deletion reported once");
    }
    fs::create_dir_all(&logs).unwrap();
    append(&p, b"again\n");
    let b = f.poll();
    assert_eq!(events_of(&b, "u"), vec![FollowEvent::Appeared]);
    assert_eq!(lines_of(&b, "u"), vec!["again"]);
}

#[test]
fn fifty_megabyte_line_is_cut_and_memory_stays_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.log");
    let mut f = Follower::new(from_start());
    f.add("h", &p);
    {
        let mut file = fs::File::create(&p).unwrap();
        file.write_all(b"before\n").unwrap();
        let block = vec![b'x'; 1024 * 1024];
        for _ in 0..50 {
            file.write_all(&block).unwrap();
        }
        file.write_all(b"\nafter\n").unwrap();
    }
    let mut lines = Vec::new();
    let mut events = Vec::new();
    let mut polls = 0;
    while f.offset("h") != Some(fs::metadata(&p).unwrap().len()) {
        for b in f.poll() {
            lines.extend(b.lines);
            events.extend(b.events);
        }
        polls += 1;
        assert!(polls < 100, "must make progress");
    }
    let max = FollowConfig::default().max_line_bytes;
    assert!(
        polls >= 6,
        "read budget spreads 50 MB over several polls, got {polls}"
    );
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], "before");
    assert_eq!(lines[1].len(), max);
    assert_eq!(lines[2], "after");
    assert!(events.contains(&FollowEvent::LongLinesCut {
        count: 1,
        max_bytes: max
    }));
}

/// Every fd of this process that points into `dir` (tests share the process, so only look there).
fn fds_into(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in fs::read_dir("/proc/self/fd").unwrap().flatten() {
        if let Ok(target) = fs::read_link(e.path())
            && target.starts_with(dir)
        {
            out.push(target.display().to_string());
        }
    }
    out
}

#[test]
fn no_file_descriptor_is_held_between_polls() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let names = ["agent0.log.0", "wrapper.log", "glide-dist-upgrade.log"];
    let mut f = Follower::new(from_start());
    for n in names {
        f.add(n, root.join(n));
    }
    append(&root.join(names[0]), b"exists\n");
    for round in 0..20 {
        for n in names {
            append(&root.join(n), format!("round {round}\n").as_bytes());
        }
        if round == 10 {
            fs::rename(root.join(names[0]), root.join("agent0.log.1")).unwrap();
        }
        let got: usize = f.poll().iter().map(|b| b.lines.len()).sum();
        assert!(got > 0);
        assert_eq!(
            fds_into(&root),
            Vec::<String>::new(),
            "fd left open after poll {round}"
        );
    }
}

#[tokio::test(flavor = "current_thread")]
async fn async_helper_delivers_batches_on_a_channel() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    let mut f = Follower::new(FollowConfig {
        poll_interval: std::time::Duration::from_millis(20),
        ..from_start()
    });
    f.add("a", &p);
    let mut h = midrescue::follow::spawn(f);
    append(&p, b"hello\n");
    let mut got = Vec::new();
    while got.is_empty() {
        let b = tokio::time::timeout(std::time::Duration::from_secs(10), h.batches.recv())
            .await
            .unwrap()
            .unwrap();
        got.extend(b.lines);
    }
    assert_eq!(got, vec!["hello"]);
    h.stop();
}

#[test]
fn unreadable_name_is_reported_once_not_every_poll() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("wrapper.log");
    // A folder where a log is expected cannot be read as one.
    fs::create_dir(&p).unwrap();
    let mut f = Follower::new(from_start());
    f.add("w", &p);
    let first = events_of(&f.poll(), "w");
    assert_eq!(first.len(), 1);
    assert!(matches!(&first[0], FollowEvent::Error(m) if m.contains("not a regular file")));
    for _ in 0..5 {
        assert!(f.poll().is_empty(), "no error storm");
    }
    fs::remove_dir(&p).unwrap();
    append(&p, b"readable now\n");
    assert_eq!(lines_of(&f.poll(), "w"), vec!["readable now"]);
}
