//! Looking at the install during the watch (service state, temp folder, installed version), and
//! the small parsers `resume` needs.

use std::time::Duration;

use crate::mid::milestones::Probe;
use crate::mid::report::DetectReport;
use crate::platform::service::{ServiceControl, ServiceState};

/// The probes of one round: service running (when `service` is given), temp folder gone,
/// installed version.
pub fn local(report: &DetectReport, service: Option<&dyn ServiceControl>) -> Vec<Probe> {
    let mut out = Vec::new();
    if let Some(service) = service {
        out.push(Probe::ServiceRunning(
            service.query().state == ServiceState::Running,
        ));
    }
    if let Some(temp) = report.upgrade.as_ref().and_then(|u| u.temp_dir.as_ref())
        && !temp.exists()
    {
        out.push(Probe::TempFolderGone);
    }
    // Re-read each round: the upgrade rewrites it.
    if let Some(v) = crate::mid::versions::installed_version(&report.agent_dir) {
        out.push(Probe::InstalledVersion(v));
    }
    out
}

/// The buildstamp of a `mid-core.meta.properties` text (`package.filename=mid-core.<stamp>...`).
pub fn parse_meta_buildstamp(text: &str) -> Option<String> {
    use crate::mid::versions;
    versions::meta_package_filename(text).and_then(|f| versions::core_buildstamp(&f))
}

/// `90`, `90s`, `20m`, `1h`, `1h30m` → a duration.
pub fn parse_duration(s: &str) -> anyhow::Result<Duration> {
    let s = s.trim();
    if let Ok(n) = s.parse::<u64>() {
        return Ok(Duration::from_secs(n));
    }
    let mut total = 0u64;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num
            .parse()
            .map_err(|_| anyhow::anyhow!("{s:?} is not a duration like 90s, 20m or 1h"))?;
        num.clear();
        total += n * match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => anyhow::bail!("{s:?} is not a duration like 90s, 20m or 1h"),
        };
    }
    if !num.is_empty() || total == 0 {
        anyhow::bail!("{s:?} is not a duration like 90s, 20m or 1h");
    }
    Ok(Duration::from_secs(total))
}

/// Log lines and script output are untrusted: no control characters (escape sequences could
/// rewrite the operator's terminal) reach the screen.
pub fn sanitize(line: &str) -> String {
    line.chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("20m").unwrap(), Duration::from_secs(1200));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert!(parse_duration("20x").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn meta_buildstamp() {
        let text = "#Thu, 02 Jan 2020 17:48:12 -0800\r\npackage.filename=mid-core.orlando-12-11-2019__patch0-01-02-2020_01-02-2020_1701.universal.universal.zip\r\n";
        assert_eq!(
            parse_meta_buildstamp(text).as_deref(),
            Some("orlando-12-11-2019__patch0-01-02-2020_01-02-2020_1701")
        );
        assert_eq!(parse_meta_buildstamp("nothing=here"), None);
    }

    #[test]
    fn control_characters_are_neutralised() {
        assert_eq!(sanitize("a\u{1b}[2Jb\tc"), "a\u{fffd}[2Jb\tc");
    }
}
