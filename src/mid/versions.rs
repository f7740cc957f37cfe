//! Installed and target versions (buildstamps, mid-server.md §5.5).

use std::path::Path;

const CORE_PREFIX: &str = "mid-core.";

/// The buildstamp inside a package file name, e.g.
/// `mid-core.orlando-12-11-2019__patch0-01-02-2020_01-02-2020_1701.universal.universal.zip`
/// → `orlando-12-11-2019__patch0-01-02-2020_01-02-2020_1701`.
pub fn core_buildstamp(file_name: &str) -> Option<String> {
    let rest = file_name.trim().strip_prefix(CORE_PREFIX)?;
    let rest = rest.strip_suffix(".zip").unwrap_or(rest);
    // Drop the `.<os>.<arch>` tail (`universal.universal` for mid-core).
    let mut parts: Vec<&str> = rest.rsplitn(3, '.').collect();
    let stamp = if parts.len() == 3 { parts.pop()? } else { rest };
    (!stamp.is_empty()).then(|| stamp.to_string())
}

/// `package.filename=` of a `*.meta.properties` text.
pub fn meta_package_filename(text: &str) -> Option<String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .find_map(|l| l.trim().strip_prefix("package.filename="))
        .map(|v| v.trim().to_string())
}

/// The installed buildstamp from `package/meta/mid-core.meta.properties`.
pub fn installed_version(agent_dir: &Path) -> Option<String> {
    let path = agent_dir.join("package/meta/mid-core.meta.properties");
    let text = String::from_utf8_lossy(&std::fs::read(path).ok()?).into_owned();
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
            let text = std::fs::read(e.path()).ok()?;
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
        let meta = "#Thu, 02 Jan 2020 17:48:12 -0800\r\npackage.filename=mid-core.orlando-12-11-2019__patch0-01-02-2020_01-02-2020_1701.universal.universal.zip\r\n";
        assert_eq!(
            meta_package_filename(meta)
                .and_then(|f| core_buildstamp(&f))
                .as_deref(),
            Some("orlando-12-11-2019__patch0-01-02-2020_01-02-2020_1701")
        );
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
