//! What goes into a bundle: the list of source files with their paths inside the zip, the
//! listings, and what is skipped by policy. Only `symlink_metadata` and directory reads here;
//! no file is opened.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use walkdir::WalkDir;

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
    pub mtime: Option<String>,
    /// Whether upgrade-timeline lines are extracted from it.
    pub timeline: bool,
}

/// A file that is not in the bundle, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub file: String,
    pub reason: String,
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

/// `rel` as a zip path under `prefix` (always `/`, never `..`).
pub fn zip_path(prefix: &str, rel: &Path) -> String {
    let mut s = prefix.trim_end_matches('/').to_string();
    for c in rel.components() {
        if let Component::Normal(p) = c {
            if !s.is_empty() {
                s.push('/');
            }
            s.push_str(&p.to_string_lossy());
        }
    }
    s
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

struct Builder<'a> {
    opts: &'a CollectOptions,
    plan: Plan,
    seen_sources: BTreeSet<PathBuf>,
    seen_zip: BTreeSet<String>,
}

impl Builder<'_> {
    fn skip(&mut self, p: &Path, reason: impl Into<String>) {
        self.plan.skipped.push(Problem {
            file: display(p),
            reason: reason.into(),
        });
    }

    fn error(&mut self, p: &Path, reason: impl Into<String>) {
        self.plan.errors.push(Problem {
            file: display(p),
            reason: reason.into(),
        });
    }

    /// Add one file (after policy checks) if it is a regular file.
    fn add(&mut self, source: &Path, zip: String, category: Category, timeline: bool) {
        if !self.seen_sources.insert(source.to_path_buf()) || self.seen_zip.contains(&zip) {
            return;
        }
        match source::classify(source) {
            Kind::Regular(md) => {
                self.seen_zip.insert(zip.clone());
                self.plan.jobs.push(Job {
                    source: source.to_path_buf(),
                    zip_path: zip,
                    category,
                    size: md.len(),
                    mtime: source::mtime_rfc3339(&md),
                    timeline,
                });
            }
            Kind::Other(reason) => self.error(source, reason),
        }
    }

    /// Add an optional file: absent is fine, anything else is recorded.
    fn add_if_present(&mut self, source: &Path, zip: String, category: Category) {
        if std::fs::symlink_metadata(source).is_ok() {
            self.add(source, zip, category, false);
        }
    }

    /// Every file under `dir` (recursively), as logs.
    fn add_log_tree(&mut self, dir: &Path, prefix: &str, since_applies: bool) {
        if !dir.is_dir() {
            return;
        }
        for entry in WalkDir::new(dir).follow_links(false).sort_by_file_name() {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let p = e
                        .path()
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|| dir.into());
                    self.error(&p, format!("cannot list: {e}"));
                    continue;
                }
            };
            if entry.file_type().is_dir() {
                continue;
            }
            let path = entry.path();
            let rel = path.strip_prefix(dir).unwrap_or(path);
            if let Some(why) = never_collected(rel) {
                self.skip(path, why);
                continue;
            }
            if since_applies && self.too_old(path, &entry) {
                continue;
            }
            let zip = zip_path(prefix, rel);
            self.add(path, zip, Category::Log, true);
        }
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

    /// The files of `dir` (not recursive) whose name satisfies `want`.
    fn add_matching(
        &mut self,
        dir: &Path,
        prefix: &str,
        category: Category,
        want: impl Fn(&str) -> bool,
    ) {
        let Ok(rd) = std::fs::read_dir(dir) else {
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
            self.add(&p, format!("{prefix}/{name}"), category, false);
        }
    }
}

/// Upgrade temp folders: the report's plus every `agent/work/upgrade_temp/*`, each with a
/// unique id (its folder name) for the zip.
fn temp_dirs(agent_dir: &Path, report: &DetectReport) -> Vec<(String, PathBuf)> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(t) = report.upgrade.as_ref().and_then(|u| u.temp_dir.as_ref()) {
        dirs.push(t.clone());
    }
    if let Ok(rd) = std::fs::read_dir(agent_dir.join("work").join("upgrade_temp")) {
        let mut found: Vec<PathBuf> = rd
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect();
        found.sort();
        dirs.extend(found);
    }
    let mut out: Vec<(String, PathBuf)> = Vec::new();
    let mut canon_seen = BTreeSet::new();
    for d in dirs {
        let canon = crate::platform::paths::canonicalize(&d).unwrap_or_else(|_| d.clone());
        if !canon_seen.insert(canon) {
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

/// Build the plan.
pub fn build(opts: &CollectOptions, report: &DetectReport, facts: &SystemFacts) -> Plan {
    let agent = opts.agent_dir.as_path();
    let mut b = Builder {
        opts,
        plan: Plan::default(),
        seen_sources: BTreeSet::new(),
        seen_zip: BTreeSet::new(),
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
    b.add_matching(&agent.join("conf"), "agent/conf", Category::Config, |n| {
        n.ends_with(".conf")
    });
    b.add_matching(
        &agent.join("package").join("meta"),
        "agent/package/meta",
        Category::Config,
        |n| n.ends_with(".properties"),
    );
    for name in ["mid.shconf_override", "mid.shconf"] {
        b.add_if_present(
            &agent.join("bin").join(name),
            format!("agent/bin/{name}"),
            Category::Config,
        );
    }
    if let Some(unit) = &facts.unit_file {
        let name = unit
            .file_name()
            .map(|n| sanitize_component(&n.to_string_lossy()))
            .unwrap_or_else(|| "mid.service".into());
        b.add_if_present(unit, format!("system/{name}"), Category::Config);
    }

    // Logs.
    b.add_log_tree(&agent.join("logs"), "agent/logs", true);

    // Upgrade temp folders.
    let temps = temp_dirs(agent, report);
    for (id, dir) in &temps {
        if !dir.is_dir() {
            b.error(
                dir,
                "upgrade temp folder named by the diagnosis does not exist",
            );
            continue;
        }
        let wrapper = dir.join("upgrade-wrapper");
        b.add_log_tree(
            &wrapper.join("logs"),
            &format!("upgrade_temp/{id}/upgrade-wrapper/logs"),
            false,
        );
        b.add_matching(
            &wrapper.join("conf"),
            &format!("upgrade_temp/{id}/upgrade-wrapper/conf"),
            Category::Config,
            |n| n.ends_with(".conf"),
        );
    }

    // Extra files (the wizard journal, the re-run's captured output).
    for x in &opts.extra_files {
        let zip = x.zip_path.trim_start_matches('/').to_string();
        if zip.is_empty() || zip.split('/').any(|c| c == ".." || c.is_empty()) {
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
        b.add(&x.source, zip, Category::Log, false);
    }

    // Listings.
    let mut agent_listing = Listing::new(agent);
    agent_listing.walk(agent, &[Path::new("work/upgrade_temp")]);
    b.plan
        .listings
        .push(("listings/agent.txt".into(), agent_listing.finish()));
    for (id, dir) in &temps {
        if dir.is_dir() {
            let mut l = Listing::new(dir);
            l.walk(dir, &[]);
            b.plan
                .listings
                .push((format!("listings/upgrade_temp-{id}.txt"), l.finish()));
        }
    }
    let incoming = agent.join("package").join("incoming");
    if incoming.is_dir() {
        let mut l = Listing::new(&incoming);
        l.walk(&incoming, &[]);
        b.plan
            .listings
            .push(("listings/package_incoming.txt".into(), l.finish()));
    }

    b.plan.temp_dirs = temps;
    b.plan
}

/// A tab-separated listing (path, size, mtime, type), never descending into the folders that
/// are never collected.
struct Listing {
    text: String,
    count: usize,
}

const LISTING_MAX: usize = 200_000;

impl Listing {
    fn new(root: &Path) -> Self {
        Listing {
            text: format!(
                "# listing of {}\n# path\tsize\tmtime (UTC)\ttype\n",
                root.display()
            ),
            count: 0,
        }
    }

    fn walk(&mut self, root: &Path, elsewhere: &[&Path]) {
        let mut it = WalkDir::new(root)
            .follow_links(false)
            .min_depth(1)
            .sort_by_file_name()
            .into_iter();
        while let Some(entry) = it.next() {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    self.text.push_str(&format!("# cannot list: {e}\n"));
                    continue;
                }
            };
            if self.count >= LISTING_MAX {
                self.text
                    .push_str(&format!("# stopped after {LISTING_MAX} entries\n"));
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
                "symlink"
            } else if ft.is_file() {
                "file"
            } else {
                "other"
            };
            let mut shown = zip_path("", rel);
            if ft.is_dir() {
                shown.push('/');
            }
            self.text
                .push_str(&format!("{shown}\t{size}\t{mtime}\t{kind}\n"));
            if ft.is_dir() {
                let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
                if NEVER_DIRS.contains(&name.as_str()) {
                    self.text
                        .push_str(&format!("{shown}…\t-\t-\tnot listed (never collected)\n"));
                    it.skip_current_dir();
                } else if elsewhere.contains(&rel) {
                    self.text
                        .push_str(&format!("{shown}…\t-\t-\tlisted separately\n"));
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
