//! Fuzz entry points: one function per group of parsers that read MID or host input. Each
//! takes arbitrary bytes, drives the parsers with them and panics when an invariant breaks.
//! The same functions back the libFuzzer targets (`fuzz/`, run by `scripts/fuzz.sh`) and the
//! bounded, seeded property tests that CI runs (`tests/prop_parsers.rs`, `tests/prop_redact.rs`),
//! so a crash found by either is a crash of both.
//!
//! Only built for tests and the fuzzers (`test-support`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::mid::milestones::{Probe, Source, Watch, WatchConfig};
use crate::mid::revlines::{self, ReverseLines};
use crate::redact::{Counts, RuleSet};

/// Splits fuzz input into several texts: `0xFF` bytes separate the parts.
fn parts(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = data.splitn(n, |&b| b == 0xFF).collect();
    out.resize(n, &[]);
    out
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// config.xml (UTF-8, UTF-16, encrypted values, broken XML), wrapper.conf and friends,
/// mid.shconf, systemd units.
pub fn config(data: &[u8]) {
    if let Ok(cfg) = crate::mid::config::parse_config_bytes(data) {
        // An encrypted value is a secret whatever its parameter is called: never kept.
        let kept = [&cfg.name, &cfg.url, &cfg.mid_sys_id, &cfg.pinned_version];
        for v in kept.into_iter().flatten() {
            assert!(!v.starts_with("encrypted:"), "{v:?} kept");
        }
    }
    let p = parts(data, 3);
    let (over, base, unit) = (lossy(p[0]), lossy(p[1]), lossy(p[2]));
    for line in base.lines() {
        if let Some((k, v)) = crate::mid::confs::key_value(line) {
            assert!(!k.contains('\n') && !v.contains('\n'));
        }
    }
    let names = crate::mid::confs::wrapper_names_of(&over, &base);
    let _ = crate::mid::confs::shconf_of(&over, &base);
    let _ = crate::mid::confs::parse_unit(&unit);
    // The override wins whenever it names the service.
    if let Some(n) = crate::mid::confs::wrapper_names_of(&over, "").name {
        assert_eq!(names.name.as_deref(), Some(n.as_str()));
    }
}

/// Agent, wrapper and upgrade log lines: the line parsers, the marker line, the timeline
/// scanner and the `glide-dist-upgrade.log` milestone watch.
pub fn loglines(data: &[u8]) {
    let text = lossy(data);
    let mut watch = Watch::new(WatchConfig {
        stall_after: Duration::from_secs(60),
        timeout: Duration::from_secs(3600),
        target_version: Some("washingtondc-12-20-2023__patch3".into()),
        require_instance: false,
    });
    let sources = [
        Source::Output,
        Source::UpgradeLog,
        Source::WrapperLog,
        Source::AgentLog,
    ];
    let mut outcome_seen = false;
    for (i, line) in text.split(['\n', '\r']).enumerate() {
        if let Some(l) = crate::mid::logline::parse(line) {
            let _ = l.rfc3339();
            let _ = l.instant();
        }
        let _ = crate::mid::logline::time_words(line);
        let _ = crate::mid::logline::is_continuation(line);
        if let Some(p) = crate::mid::tempdir::marker_path(line) {
            assert!(!p.is_empty() && !p.contains('`'), "{p:?}");
            if let Some(n) = crate::mid::tempdir::marker_name(p) {
                assert!(!n.contains(['/', '\\']) && n != "." && n != "..");
            }
        }
        let _ = crate::mid::tempdir::marker_in_message(line);
        let _ = crate::mid::tempdir::marker_name(line);
        let _ = crate::bundle::timeline::parse_time(line);
        let now = Duration::from_secs(i as u64);
        let _ = watch.feed(sources[i % sources.len()], line, now);
        if i % 7 == 3 {
            let _ = watch.probe(Probe::ServiceRunning(i % 2 == 0), now);
        }
        let _ = watch.tick(now);
        // An outcome, once reached, stays.
        if outcome_seen {
            assert!(watch.outcome().is_some());
        }
        outcome_seen = watch.outcome().is_some();
    }
    let reached = watch.reached();
    for (i, m) in reached.iter().enumerate() {
        assert!(!reached[..i].contains(m), "milestone {m:?} twice");
    }
    // Built once: compiling the phrase regex per input cost ~90% of each run.
    static SCANNER: std::sync::OnceLock<Option<crate::bundle::timeline::Scanner>> =
        std::sync::OnceLock::new();
    if let Some(scanner) = SCANNER.get_or_init(|| crate::bundle::timeline::Scanner::new().ok()) {
        // Whole lines, as the bundle hands them over.
        let mut st = crate::bundle::timeline::FileScan::default();
        let cut = memchr::memrchr(b'\n', data).map_or(0, |i| i + 1);
        scanner.scan("agent0.log.0", &data[..cut], &mut st);
        let total = memchr::memchr_iter(b'\n', &data[..cut]).count() as u64;
        for l in &st.found {
            assert!(
                l.line >= 1 && l.line <= total.max(1),
                "line {} of {total}",
                l.line
            );
        }
    }
}

/// A line of the forward model of `ReverseLines`: breaks are `\r\n`, `\n` or a bare `\r`.
#[derive(Debug, PartialEq, Eq)]
struct ModelLine {
    offset: u64,
    bytes: Vec<u8>,
}

fn forward_lines(data: &[u8]) -> Vec<ModelLine> {
    let mut out = Vec::new();
    let mut start = 0usize;
    let mut i = 0usize;
    while i < data.len() {
        let brk = match data[i] {
            b'\n' => 1,
            b'\r' if data.get(i + 1) == Some(&b'\n') => 2,
            b'\r' => 1,
            _ => {
                i += 1;
                continue;
            }
        };
        out.push(ModelLine {
            offset: start as u64,
            bytes: data[start..i].to_vec(),
        });
        i += brk;
        start = i;
    }
    if start < data.len() {
        out.push(ModelLine {
            offset: start as u64,
            bytes: data[start..].to_vec(),
        });
    }
    out
}

static SCRATCH: AtomicU64 = AtomicU64::new(0);

/// A scratch file of this process, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn with(data: &[u8]) -> std::io::Result<Scratch> {
        let n = SCRATCH.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("midrescue-fuzz-{}-{n}.log", std::process::id()));
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        use std::io::Write;
        let mut f = opts.open(&path)?;
        f.write_all(data)?;
        Ok(Scratch(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The reverse line reader against a forward model, with a tiny chunk and line cap taken from
/// the first two bytes so that breaks and long lines straddle reads; and `line_numbers`.
pub fn reverse_lines(data: &[u8]) {
    let (chunk, max_line, body) = match data {
        [a, b, rest @ ..] => (1 + (*a as usize % 64), 1 + (*b as usize % 48), rest),
        _ => return,
    };
    let Ok(file) = Scratch::with(body) else {
        return;
    };
    let Ok(reader) = ReverseLines::open_tuned(&file.0, max_line, chunk) else {
        return;
    };
    let got: Vec<revlines::RevLine> = match reader.collect::<std::io::Result<Vec<_>>>() {
        Ok(v) => v,
        Err(_) => return,
    };
    let mut want = forward_lines(body);
    want.reverse();
    assert_eq!(got.len(), want.len(), "line count for {body:?}");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.offset, w.offset, "offset in {body:?}");
        assert_eq!(
            g.truncated,
            w.bytes.len() > max_line,
            "truncated in {body:?}"
        );
        let head = &w.bytes[..w.bytes.len().min(max_line)];
        assert_eq!(g.text, String::from_utf8_lossy(head), "text in {body:?}");
    }
    let offsets: Vec<u64> = want.iter().map(|l| l.offset).collect();
    if let Ok(numbers) = revlines::line_numbers(&file.0, &offsets) {
        let n = want.len() as u64;
        for (i, got) in numbers.iter().enumerate() {
            assert_eq!(*got, n - i as u64, "line number of offset {}", offsets[i]);
        }
    }
}

/// Windows and Linux command output: `sc query`, `sc qc`, `sc query state= all`,
/// `systemctl show`, `mid.sh status`, `ps` and `tasklist /v /fo csv`, `icacls`, `net
/// localgroup`, `whoami /groups`, `/proc/self/mountinfo`.
pub fn hostctl(data: &[u8]) {
    use crate::platform::service::{midsh, processes, sc, systemd};
    let out = lossy(data);
    let _ = sc::parse_query(&out);
    let qc = sc::parse_qc(&out);
    let _ = format!("{qc:?}");
    for (name, display) in sc::parse_list_with_display(&out) {
        assert!(!name.contains('\n') && !display.contains('\n'));
    }
    let _ = sc::parse_list(&out);
    let _ = sc::failure_code(&out);
    for line in out.lines() {
        let bin = sc::binary_of(line);
        assert!(bin.len() <= line.len());
        let _ = sc::agent_dir_of_binary(line);
        let _ = processes::is_upgrade_process(line);
        let _ = systemd::show_value(&out, line);
    }
    let show = systemd::parse_show(&out);
    let _ = (show.state(), show.start_type());
    let _ = midsh::parse_status(&out).state();
    let _ = processes::parse_ps(&out);
    let _ = processes::parse_csv(&out);
    let _ = crate::platform::provenance::writable_by_others(&out);
    let _ = crate::platform::privilege::parse_group_members(&out);
    let _ = crate::platform::privilege::parse_elevation(&out);
    for m in crate::platform::mounts::parse_mountinfo(&out) {
        let _ = m.has("noexec");
    }
}

/// The Table API answer for `ecc_agent` and the verdict drawn from it.
pub fn table_api(data: &[u8]) {
    let Ok(Some(rec)) = crate::platform::instance::parse_table_answer(data) else {
        return;
    };
    let since = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    let (up, why) = crate::platform::instance::judge(&rec, Some(&rec.version), since);
    if !rec.status.eq_ignore_ascii_case("up") {
        assert!(!up, "judged Up with status {:?}", rec.status);
    }
    assert!(up || !why.is_empty());
}

/// Line shapes that carry a secret (`{S}`), after tests/secrets_canary.rs.
pub const SECRET_SHAPES: &[&str] = &[
    "JSESSIONID={S}; Path=/",
    "cookie glide_session_store={S}",
    "url jdbc:oracle:thin:scott/{S}@db01:1521:orcl",
    "exec curl -u admin:{S} https://x.example/",
    "sending token Bearer {S}",
    "password: {S}",
    "password={S}",
    "password=\"{S}\"",
    "password='{S}'",
    "got <password>{S}</password> back",
    "read <parameter name=\"mid.proxy.password\" value=\"{S}\"/> ok",
    "GET /oauth?client_secret%3D{S}%26grant%3Dx",
    "login with password {S}",
    "snmpwalk -v2c -c {S} 10.0.0.1",
    "snmp.community={S}",
    "Authorization: Basic {S}",
    "sn_token={S}",
    "apikey: {S}",
    "x-sn-apikey: {S}",
    "proxy http://pxuser:{S}@proxy.acme.example:3128/ configured",
    "secret_key={S}",
    "mysql -u root -p{S} prod",
    "Proxy-Authorization: NTLM {S}",
    "AccountKey={S};EndpointSuffix=core.windows.net",
    "body {\"client_secret\": \"{S}\", \"name\": \"keep\"}",
    "set PGPASSWORD={S}",
    "args -Dmid.proxy.password={S} -Xmx1g",
    "private_key={S}",
    "keytool -storepass {S} -list",
    "sshpass -p {S} ssh host",
    "Cookie: glide_user_route={S}",
    "X-UserToken: {S}",
    "java --password {S} -jar x.jar",
    "the api key is {S}",
    "value=encrypted:{S} x",
    "SAS ?sv=2020&sig={S}&se=2030",
    "mid.instance.password: {S}",
    "/password:{S} /user:bob",
    "payload {\"password\":\n   \"{S}\" }",
    "<password>\n  {S}\n</password>",
    "-----BEGIN OPENSSH PRIVATE KEY-----\n{S}\n-----END OPENSSH PRIVATE KEY-----",
];

/// config.xml parameter shapes that carry the instance password.
pub const CONFIG_SHAPES: &[&str] = &[
    "<parameter name=\"mid.instance.password\" value=\"{S}\"/>",
    "<parameter name=\"mid.instance.password\" secure=\"true\" value=\"encrypted:{S}\"/>",
    "<parameter value=\"{S}\" name=\"mid.instance.password\"/>",
    "<parameter name='mid.instance.password' value='{S}'/>",
    "<PARAMETER NAME=\"MID.INSTANCE.PASSWORD\" VALUE=\"{S}\"/>",
    "<parameter name=\"mid.instance.password\" description=\"a > b\" value=\"{S}\"/>",
    "<parameter name=\"mid.instance.password\">{S}</parameter>",
    "<!-- <parameter name=\"mid.instance.password\" value=\"{S}\"/> -->",
];

/// What the redaction fuzzer plants: a shape, its secret, and the text around it.
#[derive(Debug)]
pub struct Planted {
    pub secret: String,
    pub text: Vec<u8>,
}

/// Builds the planted text from fuzz input: byte 0 picks the shape, bytes 1..=12 the secret
/// (`Zq` and 12 letters and digits: the shape of a generated password), the rest is split into
/// lines before, a prefix, a suffix and lines after. Prefix and suffix are joined with a space,
/// as words of the same line; nothing in them is trusted.
pub fn plant(data: &[u8], shapes: &[&str]) -> Option<Planted> {
    const ALNUM: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let (&pick, rest) = data.split_first()?;
    if rest.len() < 12 {
        return None;
    }
    let (seed, rest) = rest.split_at(12);
    let mut secret = String::from("Zq");
    secret.extend(
        seed.iter()
            .map(|b| ALNUM[*b as usize % ALNUM.len()] as char),
    );
    let shape = shapes[pick as usize % shapes.len()];
    let p = parts(rest, 4);
    // A line break inside the prefix or suffix would take the secret's key away from it.
    let one_line = |b: &[u8]| -> Vec<u8> {
        b.iter()
            .copied()
            .filter(|c| *c != b'\n' && *c != b'\r')
            .collect()
    };
    let mut text = Vec::new();
    text.extend_from_slice(p[0]);
    if !p[0].is_empty() {
        text.push(b'\n');
    }
    let prefix = one_line(p[1]);
    text.extend_from_slice(&prefix);
    if !prefix.is_empty() {
        text.push(b' ');
    }
    text.extend_from_slice(shape.replace("{S}", &secret).as_bytes());
    let suffix = one_line(p[2]);
    if !suffix.is_empty() {
        text.push(b' ');
        text.extend_from_slice(&suffix);
    }
    if !p[3].is_empty() {
        text.push(b'\n');
        text.extend_from_slice(p[3]);
    }
    // The surroundings may spell the secret themselves; then there is nothing to check.
    let around: Vec<&[u8]> = vec![p[0], &prefix, &suffix, p[3]];
    if around.iter().any(|a| contains(a, secret.as_bytes())) {
        return None;
    }
    Some(Planted { secret, text })
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

/// The redaction property: a planted secret never survives, whatever surrounds it, in the
/// bundle's text path, its streaming path (whole lines in any chunking) and the live faces;
/// config.xml keeps no secret through the bundle's XML path or the parser.
pub fn redact(rules: &RuleSet, data: &[u8]) {
    if let Some(p) = plant(data, SECRET_SHAPES) {
        let s = p.secret.as_bytes();
        let whole = rules.redact_text(&p.text, &mut Counts::new());
        assert!(
            !contains(&whole, s),
            "{:?} survived in {:?}",
            p.secret,
            lossy(&whole)
        );
        // The streaming redactor, fed whole lines in chunks cut at line breaks.
        let mut stream = rules.stream();
        let mut out = Vec::new();
        let mut counts = Counts::new();
        let step = 1 + data[0] as usize % 5;
        let lines: Vec<&[u8]> = p.text.split_inclusive(|&b| b == b'\n').collect();
        for group in lines.chunks(step) {
            stream.push(&group.concat(), &mut out, &mut counts);
        }
        assert!(
            !contains(&out, s),
            "{:?} survived streaming: {:?}",
            p.secret,
            lossy(&out)
        );
        let live = crate::redact::redact_str(&lossy(&p.text)).into_owned();
        assert!(
            !live.contains(&p.secret),
            "{:?} survived live: {live:?}",
            p.secret
        );
    }
    if let Some(p) = plant(data, CONFIG_SHAPES) {
        let mut xml = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<parameters>\n".to_vec();
        xml.extend_from_slice(&p.text);
        xml.extend_from_slice(b"\n</parameters>\n");
        let s = p.secret.as_bytes();
        let out = rules.redact_config_xml(&xml, &mut Counts::new());
        assert!(
            !contains(&out, s),
            "{:?} survived config.xml: {:?}",
            p.secret,
            lossy(&out)
        );
        if let Ok(cfg) = crate::mid::config::parse_config_bytes(&xml) {
            let shown = format!("{cfg:?}");
            assert!(!shown.contains(&p.secret), "{:?} parsed: {shown}", p.secret);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forward_model_splits_like_the_reader_documents() {
        let l = forward_lines(b"a\r\nb\rc\n\nd");
        let got: Vec<(u64, &[u8])> = l.iter().map(|l| (l.offset, &l.bytes[..])).collect();
        assert_eq!(
            got,
            vec![
                (0, &b"a"[..]),
                (3, &b"b"[..]),
                (5, &b"c"[..]),
                (7, &b""[..]),
                (8, &b"d"[..])
            ]
        );
        assert!(forward_lines(b"").is_empty());
        assert_eq!(forward_lines(b"\n").len(), 1);
    }

    #[test]
    fn a_planted_secret_is_in_the_text_and_not_around_it() {
        let mut data = vec![5u8];
        data.extend(0..12u8);
        data.extend_from_slice(b"before\xFFpre\xFFpost\xFFafter");
        let p = plant(&data, SECRET_SHAPES).expect("planted");
        let text = String::from_utf8_lossy(&p.text);
        assert!(text.starts_with("before\npre password: Zq"), "{text}");
        assert!(text.ends_with(" post\nafter"), "{text}");
        assert_eq!(p.secret.len(), 14);
    }
}
