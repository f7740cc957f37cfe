//! Installed and target versions (buildstamps, mid-server.md §5.5).

use std::path::Path;

const CORE_PREFIX: &str = "mid-core.";

/// The buildstamp inside a package file name, e.g.
/// `mid-core.orlando-12-11-2019__patch0-01-02-2020_01-02-2020_1701.universal.universal.zip`
/// → `orlando-12-11-2019__patch0-01-02-2020_01-02-2020_1701`. Only finished `.zip` names count
/// (not `.zip.part` downloads).
pub fn core_buildstamp(file_name: &str) -> Option<String> {
    let rest = file_name.trim().strip_prefix(CORE_PREFIX)?;
    let rest = rest.strip_suffix(".zip")?;
    // Drop the `.<os>.<arch>` tail (`universal.universal` for mid-core).
    let mut parts: Vec<&str> = rest.rsplitn(3, '.').collect();
    let stamp = if parts.len() == 3 { parts.pop()? } else { rest };
    (!stamp.is_empty()).then(|| stamp.to_string())
}

/// `package.filename` of a `*.meta.properties` text (Java properties syntax: `=`, `:` or blank
/// as separator, `#`/`!` comments, backslash escapes and continuation lines, a BOM).
pub fn meta_package_filename(text: &str) -> Option<String> {
    properties_value(text, "package.filename").filter(|v| !v.is_empty())
}

/// The value of `key` in Java properties text (the last one wins).
pub fn properties_value(text: &str, key: &str) -> Option<String> {
    let text = text.trim_start_matches('\u{feff}');
    let mut found = None;
    let mut lines = text.lines();
    while let Some(first) = lines.next() {
        let first = first.trim_start();
        if first.is_empty() || first.starts_with('#') || first.starts_with('!') {
            continue;
        }
        // Join continuation lines (an odd number of trailing backslashes).
        let mut logical = first.to_string();
        while ends_with_odd_backslashes(&logical) {
            logical.pop();
            match lines.next() {
                Some(next) => logical.push_str(next.trim_start()),
                None => break,
            }
        }
        let (k, v) = split_property(&logical);
        if k == key {
            found = Some(v.trim_end().to_string());
        }
    }
    found
}

fn ends_with_odd_backslashes(s: &str) -> bool {
    s.bytes().rev().take_while(|b| *b == b'\\').count() % 2 == 1
}

/// Split one logical properties line into unescaped key and value.
fn split_property(line: &str) -> (String, String) {
    let mut key = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(e) = chars.next() {
                    key.push(unescape(e));
                }
            }
            '=' | ':' => break,
            c if c.is_whitespace() => {
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('=') | Some(':')) {
                    chars.next();
                }
                break;
            }
            c => key.push(c),
        }
    }
    while chars.peek().is_some_and(|c| c.is_whitespace()) {
        chars.next();
    }
    let mut value = String::new();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(e) = chars.next() {
                value.push(unescape(e));
            }
        } else {
            value.push(c);
        }
    }
    (key, value)
}

fn unescape(c: char) -> char {
    match c {
        't' => '\t',
        'n' => '\n',
        'r' => '\r',
        'f' => '\u{c}',
        other => other,
    }
}

/// The installed buildstamp from `package/meta/mid-core.meta.properties`.
pub fn installed_version(agent_dir: &Path) -> Option<String> {
    let path = agent_dir.join("package/meta/mid-core.meta.properties");
    let text = String::from_utf8_lossy(&crate::mid::smallfile::read(&path).ok()?).into_owned();
    core_buildstamp(&meta_package_filename(&text)?)
}

/// The mid-core buildstamp named in an `Assigned: [...]` log line.
pub fn assigned_core_version(line: &str) -> Option<String> {
    let list = line.split_once("Assigned:")?.1;
    let list = list.trim().trim_start_matches('[');
    let list = list.split(']').next()?;
    list.split(',').find_map(|p| core_buildstamp(p.trim()))
}

/// The target buildstamp found in an upgrade temp folder: an extracted
/// `mid-core.meta.properties` or a `mid-core.*.zip` there.
pub fn version_in_temp(temp_dir: &Path) -> Option<String> {
    let mut zip_stamp = None;
    for e in walkdir::WalkDir::new(temp_dir)
        .follow_links(false)
        .max_depth(5)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
    {
        let name = e.file_name().to_string_lossy();
        if name == "mid-core.meta.properties" {
            let text = crate::mid::smallfile::read(e.path()).ok()?;
            if let Some(s) = meta_package_filename(&String::from_utf8_lossy(&text))
                .and_then(|f| core_buildstamp(&f))
            {
                return Some(s);
            }
        } else if name.starts_with(CORE_PREFIX) && name.ends_with(".zip") && zip_stamp.is_none() {
            zip_stamp = core_buildstamp(&name);
        }
    }
    zip_stamp
}

/// The newest `package/incoming/mid-core.*.zip` whose buildstamp differs from `installed`.
pub fn version_in_incoming(agent_dir: &Path, installed: Option<&str>) -> Option<String> {
    let dir = std::fs::read_dir(agent_dir.join("package/incoming")).ok()?;
    dir.filter_map(Result::ok)
        .filter_map(|e| {
            let stamp = core_buildstamp(&e.file_name().to_string_lossy())?;
            let mtime = e.metadata().ok()?.modified().ok()?;
            (Some(stamp.as_str()) != installed).then_some((mtime, stamp))
        })
        .max()
        .map(|(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buildstamps() {
        assert_eq!(
            core_buildstamp("mid-core.orlando-12-11-2019__patch0-01-02-2020_01-02-2020_1701.universal.universal.zip").as_deref(),
            Some("orlando-12-11-2019__patch0-01-02-2020_01-02-2020_1701")
        );
        assert_eq!(core_buildstamp("mid-jre.x.windows.x86-64.zip"), None);
        assert_eq!(
            core_buildstamp("mid-core.x.universal.universal.zip.part"),
            None
        );
        let meta = "#Thu, 02 Jan 2020 17:48:12 -0800\r\npackage.filename=mid-core.orlando-12-11-2019__patch0-01-02-2020_01-02-2020_1701.universal.universal.zip\r\n";
        assert_eq!(
            meta_package_filename(meta)
                .and_then(|f| core_buildstamp(&f))
                .as_deref(),
            Some("orlando-12-11-2019__patch0-01-02-2020_01-02-2020_1701")
        );
    }

    #[test]
    fn properties_syntax() {
        let t = "\u{feff}! c\n  a.b = one\r\nc:two\nd  three\ne=x\\\n   y\nf=C\\:\\\\x\na.b=last\n";
        assert_eq!(properties_value(t, "a.b").as_deref(), Some("last"));
        assert_eq!(properties_value(t, "c").as_deref(), Some("two"));
        assert_eq!(properties_value(t, "d").as_deref(), Some("three"));
        assert_eq!(properties_value(t, "e").as_deref(), Some("xy"));
        assert_eq!(properties_value(t, "f").as_deref(), Some("C:\\x"));
        assert_eq!(properties_value(t, "zz"), None);
    }

    #[test]
    fn assigned_line() {
        let l = "AutoUpgrade.3600 Assigned: [mid-upgrade.newyork-06-26-2019__patch2-09-18-2019_09-24-2019_1701.universal.universal.zip, mid-core.newyork-06-26-2019__patch2-09-18-2019_09-24-2019_1701.universal.universal.zip, mid-jre.newyork-06-26-2019__patch2-09-18-2019_09-24-2019_1701.windows.x86-64.zip]";
        assert_eq!(
            assigned_core_version(l).as_deref(),
            Some("newyork-06-26-2019__patch2-09-18-2019_09-24-2019_1701")
        );
    }
}
