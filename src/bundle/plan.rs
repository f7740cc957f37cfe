//! What goes into a bundle: the list of source files with their paths inside the zip, the
//! listings, and what is skipped by policy. Only `symlink_metadata` and directory reads here;
//! no file is opened.
//!
//! Collect stays inside: the agent folder the operator named is resolved once, and below it
//! (and below each proven upgrade temp folder) no symbolic link or junction is followed in
//! any path component; every link met is listed in `errors`. Sources are recorded by their
//! resolved path, which `source::open_regular` checks again on the open handle.

use std::collections::{BTreeSet, HashSet};
use std::path::{Component, Path, PathBuf};

use walkdir::WalkDir;

use super::ordered::Ordered;
use super::source::{self, Kind};
use super::{CollectOptions, SystemFacts};
use crate::mid::report::DetectReport;

/// How a source is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// Logs and journals: streamed, the end kept when over budget.
    Log,
    /// Configuration: included whole or not at all.
    Config,
    /// config.xml: included whole, `<parameter>` secrets redacted.
    ConfigXml,
}

/// One file to bundle.
#[derive(Debug, Clone)]
pub struct Job {
    pub source: PathBuf,
    pub zip_path: String,
    pub category: Category,
    /// Size seen when planning: the read never goes past it (growing files stay bounded).
    pub size: u64,
    /// Kept as a time, written as text only in the manifest (100,000 strings otherwise).
    pub mtime: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether upgrade-timeline lines are extracted from it.
    pub timeline: bool,
}

/// A file that is not in the bundle, and why. Both are written through [`shown`] (escaped,
/// secrets masked), whoever made the problem.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    #[serde(serialize_with = "ser_shown")]
    pub file: String,
    #[serde(serialize_with = "ser_shown")]
    pub reason: String,
}

fn ser_shown<S: serde::Serializer>(v: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&shown(v))
}

#[derive(Debug, Default)]
pub struct Plan {
    pub jobs: Vec<Job>,
    /// Unreadable, vanished, not a regular file: the manifest's `errors`.
    pub errors: Vec<Problem>,
    /// Left out on purpose (policy, `--since`): the manifest's `skipped`.
    pub skipped: Vec<Problem>,
    /// Generated listings: (zip path, text).
    pub listings: Vec<(String, String)>,
    /// Upgrade temp folders found: (id used in the zip, path).
    pub temp_dirs: Vec<(String, PathBuf)>,
}

/// Folders whose contents never enter a bundle, at any depth (secrets or the JRE).
const NEVER_DIRS: &[&str] = &["keystore", "security", "jre"];

/// Why a path (relative to its root) is never collected, if it is not.
pub fn never_collected(rel: &Path) -> Option<&'static str> {
    let comps: Vec<String> = rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    let name = comps.last()?;
    if comps.iter().any(|c| NEVER_DIRS.contains(&c.as_str())) {
        return Some("keystore/, security/ and jre/ are never collected");
    }
    if name.ends_with(".jks")
        || name.ends_with(".p12")
        || name.ends_with(".pfx")
        || name == "cacerts"
        || name.ends_with("keystore")
    {
        return Some("key stores are never collected");
    }
    if [
        ".zip", ".jar", ".exe", ".dll", ".so", ".rpm", ".deb", ".msi",
    ]
    .iter()
    .any(|e| name.ends_with(e))
    {
        return Some("packages and binaries are never collected");
    }
    if [".jfr", ".hprof", ".dmp", ".core"]
        .iter()
        .any(|e| name.ends_with(e))
    {
        return Some("JVM recordings and dumps can hold secrets and are never collected");
    }
    if [".gz", ".bz2", ".xz", ".7z", ".zst", ".tgz"]
        .iter()
        .any(|e| name.ends_with(e))
    {
        return Some("compressed file: its content cannot be redacted, so it is not collected");
    }
    None
}

/// Current logs are always kept by `--since`; rotated ones (`agent0.log.3`, `wrapper.log.2`)
/// are dropped when older.
pub fn is_current_log(name: &str) -> bool {
    name.ends_with(".log") || name.ends_with(".log.0")
}

/// One file or folder name as one zip path component: control characters, `\`, `/` and the
/// characters Windows cannot extract (`:*?"<>|`) become `_`, secrets are masked by the one
/// rule set, runs of dots become `_` (never `..`), and an empty name becomes `_`.
pub fn zip_component(name: &str) -> String {
    let controls_out: String = name
        .chars()
        .map(|c| if c.is_control() { '_' } else { c })
        .collect();
    let red = crate::redact::redact_line(&controls_out);
    let mut out = String::with_capacity(red.len());
    let mut dots = 0;
    for c in red.chars() {
        if c == '.' {
            dots += 1;
            continue;
        }
        flush_dots(&mut out, dots);
        dots = 0;
        out.push(match c {
            '\\' | '/' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c => c,
        });
    }
    flush_dots(&mut out, dots);
    let t = out.trim_end_matches([' ', '.']).trim_start();
    if t.is_empty() {
        "_".to_string()
    } else {
        t.to_string()
    }
}

fn flush_dots(out: &mut String, dots: usize) {
    match dots {
        0 => {}
        1 => out.push('.'),
        _ => out.push('_'),
    }
}

/// `rel` as a zip path under `prefix` (always `/`, every component made safe).
pub fn zip_path(prefix: &str, rel: &Path) -> String {
    let mut s = prefix.trim_end_matches('/').to_string();
    for c in rel.components() {
        if let Component::Normal(p) = c {
            if !s.is_empty() {
                s.push('/');
            }
            s.push_str(&zip_component(&p.to_string_lossy()));
        }
    }
    s
}

/// Untrusted text (a file name, a link target) as written into the manifest, SUMMARY.md and
/// `errors`: secrets masked by the one rule set, control characters as visible `\xNN`
/// escapes. When masking changes the text, its control characters are dropped instead (the
/// original cannot be kept whole anyway).
pub fn shown(s: &str) -> String {
    // Nearly every name has no control character: then the rules read it as it is, and an
    // unchanged name is copied once (100,000 entries went through two char-by-char copies).
    let clean = !s.chars().any(char::is_control);
    let plain: std::borrow::Cow<'_, str> = if clean {
        s.into()
    } else {
        s.chars()
            .map(|c| if c.is_control() { '_' } else { c })
            .collect::<String>()
            .into()
    };
    let red = crate::redact::redact_line(&plain);
    if red != plain.as_ref() {
        return red.into_owned();
    }
    if clean {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            let n = c as u32;
            if n < 0x100 {
                out.push_str(&format!("\\x{n:02x}"));
            } else {
                out.push_str(&format!("\\u{{{n:x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// [`shown`] for a path.
pub fn shown_path(p: &Path) -> String {
    shown(&p.display().to_string())
}

fn display(p: &Path) -> String {
    shown_path(p)
}

/// Why a symbolic link (or junction) is not followed, naming its target.
fn link_reason(p: &Path) -> String {
    match std::fs::read_link(p) {
        Ok(t) => format!(
            "symbolic link (to {}), not followed: collect never follows links",
            shown_path(&t)
        ),
        Err(_) => "symbolic link, not followed: collect never follows links".to_string(),
    }
}

/// `anchor/rel` when every component of `rel` is a real folder (no symbolic link, no
/// junction); `Ok(None)` when one is missing; the offending path and why otherwise.
fn real_dir(anchor: &Path, rel: &Path) -> Result<Option<PathBuf>, (PathBuf, String)> {
    let mut p = anchor.to_path_buf();
    for c in rel.components() {
        let Component::Normal(n) = c else {
            return Err((p, "unexpected path component".into()));
        };
        p.push(n);
        match std::fs::symlink_metadata(&p) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                let why = source::describe_io_error(&e);
                return Err((p, why));
            }
            Ok(md) if md.file_type().is_symlink() => {
                let why = link_reason(&p);
                return Err((p, why));
            }
            Ok(md) if !md.is_dir() => return Err((p, "not a folder".into())),
            Ok(_) => {}
        }
    }
    Ok(Some(p))
}

/// `p` made absolute with every symbolic link resolved (`\\?\` dropped on Windows), or as
/// given when that fails. Only used on paths the operator or midrescue chose (the agent
/// folder, midrescue's own files); everything below them is checked component by component.
pub fn canonical(p: &Path) -> PathBuf {
    match std::fs::canonicalize(p) {
        Ok(c) => strip_verbatim(c),
        Err(_) => std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()),
    }
}

/// `\\?\C:\x` → `C:\x` (what the user typed; other verbatim forms are kept).
pub fn strip_verbatim(p: PathBuf) -> PathBuf {
    let s = p.to_string_lossy();
    if let Some(rest) = s.strip_prefix(r"\\?\") {
        let b = rest.as_bytes();
        if b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\' {
            return PathBuf::from(rest);
        }
    }
    p
}

/// `p` with `parent` canonical and the last component kept (never resolved: a link there is
/// refused when the file is classified).
fn canonical_parent(p: &Path) -> PathBuf {
    match (p.parent(), p.file_name()) {
        (Some(parent), Some(name)) if !parent.as_os_str().is_empty() => {
            canonical(parent).join(name)
        }
        _ => canonical(p),
    }
}

/// A file found for the plan, with what an lstat said of it: (size, mtime) of a regular
/// file, else why it is not bundled.
struct Found {
    source: PathBuf,
    zip: String,
    kind: Result<(u64, Option<chrono::DateTime<chrono::Utc>>), String>,
}

impl Found {
    fn classify(source: PathBuf, zip: String) -> Found {
        let kind = match source::classify(&source) {
            Kind::Regular(md) => Ok((md.len(), source::mtime(&md))),
            Kind::Other(reason) => Err(reason),
        };
        Found { source, zip, kind }
    }
}

struct Builder<'a> {
    opts: &'a CollectOptions,
    plan: Plan,
    // Hashed, not ordered: with 100,000 files, ordered sets of paths spent a third of the
    // planning time comparing them component by component.
    seen_sources: HashSet<PathBuf>,
    seen_zip: HashSet<String>,
}

impl Builder<'_> {
    fn skip(&mut self, p: &Path, reason: impl Into<String>) {
        self.plan.skipped.push(Problem {
            file: display(p),
            reason: shown(&reason.into()),
        });
    }

    fn error(&mut self, p: &Path, reason: impl Into<String>) {
        self.plan.errors.push(Problem {
            file: display(p),
            reason: shown(&reason.into()),
        });
    }

    /// Add one file (after policy checks) if it is a regular file. Two sources whose safe
    /// zip names collide both go in, the second with a `~N` suffix.
    fn add(&mut self, source: &Path, zip: String, category: Category, timeline: bool) {
        if self.seen_sources.contains(source) {
            return;
        }
        let found = Found::classify(source.to_path_buf(), zip);
        self.add_found(found, category, timeline);
    }

    /// [`Builder::add`] of a file already classified.
    fn add_found(&mut self, found: Found, category: Category, timeline: bool) {
        let Found { source, zip, kind } = found;
        if !self.seen_sources.insert(source.clone()) {
            return;
        }
        let mut unique = zip.clone();
        let mut k = 2;
        while self.seen_zip.contains(&unique) {
            unique = format!("{zip}~{k}");
            k += 1;
        }
        match kind {
            Ok((size, mtime)) => {
                self.seen_zip.insert(unique.clone());
                self.plan.jobs.push(Job {
                    source,
                    zip_path: unique,
                    category,
                    size,
                    mtime,
                    timeline,
                });
            }
            Err(reason) => self.error(&source, reason),
        }
    }

    /// Add an optional file: absent is fine, anything else is recorded.
    fn add_if_present(&mut self, source: &Path, zip: String, category: Category) {
        if std::fs::symlink_metadata(source).is_ok() {
            self.add(source, zip, category, false);
        }
    }

    /// `anchor/rel` if it is a real folder; a link on the way is recorded and refused.
    fn dir(&mut self, anchor: &Path, rel: &str) -> Option<PathBuf> {
        match real_dir(anchor, Path::new(rel)) {
            Ok(d) => d,
            Err((p, why)) => {
                self.error(&p, why);
                None
            }
        }
    }

    /// Every file under `anchor/rel` (recursively), as logs. Links are listed in `errors`,
    /// never followed (neither the folder itself nor anything below it).
    fn add_log_tree(&mut self, anchor: &Path, rel: &str, prefix: &str, since_applies: bool) {
        let Some(dir) = self.dir(anchor, rel) else {
            return;
        };
        let walk = WalkDir::new(&dir)
            .follow_links(false)
            .follow_root_links(false)
            .sort_by_file_name();
        // Named and classified (an lstat each) on helper threads while the listing goes on,
        // and added in listing order as they come back.
        let classify = |path: PathBuf| {
            let zip = zip_path(prefix, path.strip_prefix(&dir).unwrap_or(&path));
            Found::classify(path, zip)
        };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        std::thread::scope(|s| {
            let mut pool = Ordered::new(s, threads, &classify);
            for entry in walk {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        let p = e
                            .path()
                            .map(Path::to_path_buf)
                            .unwrap_or_else(|| dir.clone());
                        self.error(&p, format!("cannot list: {e}"));
                        continue;
                    }
                };
                if entry.file_type().is_dir() {
                    continue;
                }
                let path = entry.path();
                let rel = path.strip_prefix(&dir).unwrap_or(path);
                if let Some(why) = never_collected(rel) {
                    self.skip(path, why);
                    continue;
                }
                if since_applies && self.too_old(path, &entry) {
                    continue;
                }
                for f in pool.push(entry.into_path()) {
                    self.add_found(f, Category::Log, true);
                }
            }
            for f in pool.finish() {
                self.add_found(f, Category::Log, true);
            }
        });
    }

    fn too_old(&mut self, path: &Path, entry: &walkdir::DirEntry) -> bool {
        let Some(since) = self.opts.since else {
            return false;
        };
        let name = entry.file_name().to_string_lossy();
        if is_current_log(&name) {
            return false;
        }
        let Some(mtime) = entry.metadata().ok().and_then(|m| m.modified().ok()) else {
            return false;
        };
        let date = chrono::DateTime::<chrono::Utc>::from(mtime).date_naive();
        if date < since {
            self.skip(
                path,
                format!("rotated log last modified {date}, before --since {since}"),
            );
            return true;
        }
        false
    }

    /// The files of `anchor/rel` (not recursive) whose name satisfies `want`.
    fn add_matching(
        &mut self,
        anchor: &Path,
        rel: &str,
        prefix: &str,
        category: Category,
        want: impl Fn(&str) -> bool,
    ) {
        let Some(dir) = self.dir(anchor, rel) else {
            return;
        };
        let Ok(rd) = std::fs::read_dir(&dir) else {
            return;
        };
        let mut names: Vec<_> = rd.filter_map(Result::ok).map(|e| e.file_name()).collect();
        names.sort();
        for n in names {
            let name = n.to_string_lossy().to_string();
            if !want(&name) {
                continue;
            }
            let p = dir.join(&n);
            if let Some(why) = never_collected(Path::new(&name)) {
                self.skip(&p, why);
                continue;
            }
            self.add(
                &p,
                format!("{prefix}/{}", zip_component(&name)),
                category,
                false,
            );
        }
    }
}

/// Whether a folder name has the upgrade temp folder's shape (`1569035472492-0`).
fn temp_name_shape(name: &str) -> bool {
    let (num, suffix) = name.split_once('-').unwrap_or((name, "0"));
    num.len() >= 6
        && num.bytes().all(|b| b.is_ascii_digit())
        && !suffix.is_empty()
        && suffix.bytes().all(|b| b.is_ascii_digit())
}

/// Whether the folder the diagnosis named (from the marker line, or found by scanning an OS
/// temp folder) is proven to be this install's upgrade temp folder, so that collect may list
/// and read it. `Err` says why not.
///
/// attribution: until `mid::tempdir` has the shared attribution rule (a folder in this
/// install's `work/upgrade_temp` belongs to it; one found in an OS temp folder only when a
/// file in it names this agent), a folder is proven when it is a real folder (no link in
/// it) under `<agent>/work/upgrade_temp`, or when it is the marker's folder: a real folder
/// with the temp folder's name shape (`<digits>-<digits>`) holding a real `upgrade-wrapper`
/// folder. A marker naming `/root` or `/etc` is refused. The diagnosis's attribution is
/// checked by the caller.
fn proven_temp_dir(dir: &Path, root: &Path) -> Result<PathBuf, String> {
    let md = std::fs::symlink_metadata(dir)
        .map_err(|_| "upgrade temp folder named by the diagnosis does not exist".to_string())?;
    if md.file_type().is_symlink() {
        return Err(link_reason(dir));
    }
    if !md.is_dir() {
        return Err("upgrade temp folder named by the diagnosis is not a folder".into());
    }
    let canon = canonical(dir);
    let upgrade_temp = root.join("work").join("upgrade_temp");
    if let Ok(rel) = canon.strip_prefix(&upgrade_temp)
        && rel.components().count() == 1
    {
        return match real_dir(root, &Path::new("work/upgrade_temp").join(rel)) {
            Ok(Some(p)) => Ok(p),
            Ok(None) => Err("vanished before it could be read".into()),
            Err((_, why)) => Err(why),
        };
    }
    let name = canon
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let wrapper = real_dir(&canon, Path::new("upgrade-wrapper"));
    if temp_name_shape(&name) && matches!(wrapper, Ok(Some(_))) {
        return Ok(canon);
    }
    Err(
        "not collected: not proven to be this install's upgrade temp folder (neither under \
         agent/work/upgrade_temp nor a <digits>-<digits> folder holding upgrade-wrapper)"
            .into(),
    )
}

/// Upgrade temp folders: the report's (when proven) plus every real folder in
/// `agent/work/upgrade_temp`, each with a unique id (its folder name) for the zip.
fn temp_dirs(b: &mut Builder<'_>, root: &Path, report: &DetectReport) -> Vec<(String, PathBuf)> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(t) = report.upgrade.as_ref().and_then(|u| u.temp_dir.as_ref()) {
        // The diagnosis's attribution rule first (mid::tempdir::attribution): a folder nothing
        // ties to this install is never collected; then the folder's own shape and links.
        let unattributed = report
            .temp_dir_attribution
            .as_ref()
            .is_some_and(|a| !a.is_attributed());
        match proven_temp_dir(t, root) {
            Ok(_) if unattributed => b.error(
                t,
                "not collected: nothing in it names this install (unattributed temp folder)",
            ),
            Ok(p) => dirs.push(p),
            Err(why) => b.error(t, why),
        }
    }
    if let Some(ut) = b.dir(root, "work/upgrade_temp")
        && let Ok(rd) = std::fs::read_dir(&ut)
    {
        let mut found: Vec<PathBuf> = rd
            .filter_map(Result::ok)
            // `DirEntry::file_type` does not follow links: a linked folder is not a folder.
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect();
        found.sort();
        dirs.extend(found);
    }
    let mut out: Vec<(String, PathBuf)> = Vec::new();
    let mut seen = BTreeSet::new();
    for d in dirs {
        if !seen.insert(d.clone()) {
            continue;
        }
        let base = d
            .file_name()
            .map(|n| sanitize_component(&n.to_string_lossy()))
            .unwrap_or_else(|| "temp".to_string());
        let mut id = base.clone();
        let mut k = 2;
        while out.iter().any(|(i, _)| *i == id) {
            id = format!("{base}-{k}");
            k += 1;
        }
        out.push((id, d));
    }
    out
}

/// A name safe as one zip path component.
pub fn sanitize_component(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let t = t.trim_matches('.').to_string();
    if t.is_empty() { "_".to_string() } else { t }
}

/// Build the plan. The agent folder the operator named is resolved once; below it, and below
/// each proven temp folder, no symbolic link or junction is ever followed.
pub fn build(opts: &CollectOptions, report: &DetectReport, facts: &SystemFacts) -> Plan {
    let root = canonical(&opts.agent_dir);
    let agent = root.as_path();
    std::thread::scope(|s| {
        // The agent folder's listing (up to 20,000 lstat calls) is walked meanwhile.
        let listing = s.spawn(|| {
            let mut l = Listing::new(agent);
            l.walk(agent, &[Path::new("work/upgrade_temp")]);
            l.finish()
        });
        let mut plan = build_in(opts, report, facts, agent);
        let text = match listing.join() {
            Ok(t) => t,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        plan.listings.insert(0, ("listings/agent.txt".into(), text));
        plan
    })
}

/// Everything of [`build`] but the agent folder's listing.
fn build_in(
    opts: &CollectOptions,
    report: &DetectReport,
    facts: &SystemFacts,
    agent: &Path,
) -> Plan {
    let mut b = Builder {
        opts,
        plan: Plan::default(),
        seen_sources: HashSet::new(),
        seen_zip: HashSet::new(),
    };

    // Configuration.
    let config = agent.join("config.xml");
    if std::fs::symlink_metadata(&config).is_ok() {
        b.add(
            &config,
            "agent/config.xml".into(),
            Category::ConfigXml,
            false,
        );
    } else {
        b.error(&config, "missing: no config.xml in the agent folder");
    }
    b.add_matching(agent, "conf", "agent/conf", Category::Config, |n| {
        n.ends_with(".conf")
    });
    b.add_matching(
        agent,
        "package/meta",
        "agent/package/meta",
        Category::Config,
        |n| n.ends_with(".properties"),
    );
    if let Some(bin) = b.dir(agent, "bin") {
        for name in ["mid.shconf_override", "mid.shconf"] {
            b.add_if_present(
                &bin.join(name),
                format!("agent/bin/{name}"),
                Category::Config,
            );
        }
    }
    if let Some(unit) = &facts.unit_file {
        let name = unit
            .file_name()
            .map(|n| sanitize_component(&n.to_string_lossy()))
            .unwrap_or_else(|| "mid.service".into());
        b.add_if_present(
            &canonical_parent(unit),
            format!("system/{name}"),
            Category::Config,
        );
    }

    // Logs.
    b.add_log_tree(agent, "logs", "agent/logs", true);

    // Upgrade temp folders (proven ones only).
    let temps = temp_dirs(&mut b, agent, report);
    for (id, dir) in &temps {
        b.add_log_tree(
            dir,
            "upgrade-wrapper/logs",
            &format!("upgrade_temp/{id}/upgrade-wrapper/logs"),
            false,
        );
        b.add_matching(
            dir,
            "upgrade-wrapper/conf",
            &format!("upgrade_temp/{id}/upgrade-wrapper/conf"),
            Category::Config,
            |n| n.ends_with(".conf"),
        );
    }

    // Extra files (the wizard journal, the re-run's captured output): midrescue's own.
    for x in &opts.extra_files {
        let zip = x.zip_path.trim_start_matches('/').to_string();
        let clean = zip
            .split('/')
            .map(zip_component)
            .collect::<Vec<_>>()
            .join("/");
        if zip.is_empty() || zip.split('/').any(|c| c == ".." || c.is_empty()) || clean != zip {
            b.error(
                &x.source,
                format!("invalid path inside the zip: {:?}", x.zip_path),
            );
            continue;
        }
        if std::fs::symlink_metadata(&x.source).is_err() {
            b.error(&x.source, "vanished before it could be read");
            continue;
        }
        b.add(&canonical_parent(&x.source), zip, Category::Log, false);
    }

    // Listings: of proven folders only, bounded in entries and bytes (the agent folder's is
    // made by the caller).
    for (id, dir) in &temps {
        let mut l = Listing::new(dir);
        l.walk(dir, &[]);
        b.plan
            .listings
            .push((format!("listings/upgrade_temp-{id}.txt"), l.finish()));
    }
    if let Some(incoming) = b.dir(agent, "package/incoming") {
        let mut l = Listing::new(&incoming);
        l.walk(&incoming, &[]);
        b.plan
            .listings
            .push(("listings/package_incoming.txt".into(), l.finish()));
    }

    b.plan.temp_dirs = temps;
    b.plan
}

/// A tab-separated listing (path, size, mtime, type), never following a link and never
/// descending into the folders that are never collected.
struct Listing {
    text: String,
    count: usize,
}

/// Most entries in one listing.
pub const LISTING_MAX_ENTRIES: usize = 20_000;
/// Most bytes of one listing.
pub const LISTING_MAX_BYTES: usize = 4 << 20;

impl Listing {
    fn new(root: &Path) -> Self {
        Listing {
            text: format!(
                "# listing of {}\n# path\tsize\tmtime (UTC)\ttype\n",
                shown_path(root)
            ),
            count: 0,
        }
    }

    fn walk(&mut self, root: &Path, elsewhere: &[&Path]) {
        let mut it = WalkDir::new(root)
            .follow_links(false)
            .follow_root_links(false)
            .min_depth(1)
            .sort_by_file_name()
            .into_iter();
        while let Some(entry) = it.next() {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    self.text
                        .push_str(&format!("# cannot list: {}\n", shown(&e.to_string())));
                    continue;
                }
            };
            if self.count >= LISTING_MAX_ENTRIES || self.text.len() >= LISTING_MAX_BYTES {
                self.text.push_str(&format!(
                    "# stopped after {} entries ({} bytes): listing limit reached\n",
                    self.count,
                    self.text.len()
                ));
                break;
            }
            self.count += 1;
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
            let ft = entry.file_type();
            let md = entry.metadata().ok();
            let size = md
                .as_ref()
                .map_or(0, |m| if ft.is_file() { m.len() } else { 0 });
            let mtime = md
                .as_ref()
                .and_then(source::mtime_rfc3339)
                .unwrap_or_else(|| "-".into());
            let kind = if ft.is_dir() {
                "dir"
            } else if ft.is_symlink() {
                "symlink (not followed)"
            } else if ft.is_file() {
                "file"
            } else {
                "other"
            };
            let mut shown_rel = rel
                .components()
                .map(|c| shown(&c.as_os_str().to_string_lossy()))
                .collect::<Vec<_>>()
                .join("/");
            if ft.is_dir() {
                shown_rel.push('/');
            }
            self.text
                .push_str(&format!("{shown_rel}\t{size}\t{mtime}\t{kind}\n"));
            if ft.is_dir() {
                let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
                if NEVER_DIRS.contains(&name.as_str()) {
                    self.text.push_str(&format!(
                        "{shown_rel}…\t-\t-\tnot listed (never collected)\n"
                    ));
                    it.skip_current_dir();
                } else if elsewhere.contains(&rel) {
                    self.text
                        .push_str(&format!("{shown_rel}…\t-\t-\tlisted separately\n"));
                    it.skip_current_dir();
                }
            }
        }
    }

    fn finish(self) -> String {
        self.text
    }
}

/// Estimated compressed size of the plan (free-space check): 40 % of what is read, plus margin.
pub fn estimate_output_bytes(plan: &Plan, budget: u64) -> u64 {
    let raw: u64 = plan.jobs.iter().map(|j| j.size.min(budget)).sum();
    raw / 10 * 4 + 16 * 1024 * 1024
}

/// Bytes the workers will read.
pub fn planned_bytes(plan: &Plan, budget: u64) -> u64 {
    plan.jobs.iter().map(|j| j.size.min(budget)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_collects_secrets_and_packages() {
        for p in [
            "keystore/agent_keystore.jks",
            "security/agent_keystore",
            "jre/lib/security/cacerts",
            "package/incoming/mid-core.x.universal.universal.zip",
            "logs/x.jfr",
            "logs/agent0.log.3.gz",
        ] {
            assert!(never_collected(Path::new(p)).is_some(), "{p}");
        }
        for p in ["logs/agent0.log.0", "logs/wrapper.log", "conf/wrapper.conf"] {
            assert!(never_collected(Path::new(p)).is_none(), "{p}");
        }
    }

    #[test]
    fn current_vs_rotated() {
        assert!(is_current_log("agent0.log.0"));
        assert!(is_current_log("wrapper.log"));
        assert!(is_current_log("dist-upgrade.log"));
        assert!(!is_current_log("agent0.log.3"));
        assert!(!is_current_log("wrapper.log.1"));
    }

    #[test]
    fn shown_escapes_controls_and_masks_secrets_with_or_without_them() {
        assert_eq!(shown("logs/agent0.log"), "logs/agent0.log");
        assert_eq!(shown("é/ü.log"), "é/ü.log");
        assert_eq!(shown("a\x1b[2Jb\u{85}"), "a\\x1b[2Jb\\x85");
        for name in ["x password=hunter2.log", "x\x07 password=hunter2.log"] {
            let s = shown(name);
            assert!(!s.contains("hunter2"), "{s}");
            assert!(!s.chars().any(char::is_control), "{s:?}");
        }
    }

    #[test]
    fn zip_paths_are_clean() {
        assert_eq!(
            zip_path("agent/logs", Path::new("sub/a.log")),
            "agent/logs/sub/a.log"
        );
        assert_eq!(sanitize_component("1569035472492-0"), "1569035472492-0");
        assert_eq!(sanitize_component("a b/c"), "a_b_c");
        assert_eq!(sanitize_component(".."), "_");
    }
}
