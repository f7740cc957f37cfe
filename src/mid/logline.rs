//! MID Server log line formats (mid-server.md §4.2, §4.3), parsed without regexes:
//!
//! - agent legacy: `10/22/18 17:56:13 (898) AutoUpgrade.3600 SEVERE *** ERROR *** ...`
//! - agent ISO:    `2022-10-21T13:08:58.330+0200 INFO (MIDServer) [Main:265] Initializing MID Server`
//! - wrapper:      `2019/12/15 00:35:29 | Machine is shutting down.`
//! - LPTM:         `INFO   | jvm 1    | 2019/09/21 16:30:47.114 | INFO: ...` (padding may be collapsed)
//!
//! Times are the wall-clock times the line shows (the MID writes local time); the ISO format
//! also carries its UTC offset. Zone-less lines (legacy agent lines, `wrapper.log`) are in the
//! host's local time: `instant` reads them so, and what shows them says "host local time".

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Which of the known formats a line is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFormat {
    AgentLegacy,
    AgentIso,
    Wrapper,
    Lptm,
}

/// A parsed log line. `message` is the text after the prefix (the whole line when unparsed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine<'a> {
    pub format: LineFormat,
    pub time: NaiveDateTime,
    /// UTC offset, when the line states it (ISO agent format).
    pub offset: Option<FixedOffset>,
    /// `INFO`, `SEVERE`, `WARN`, `STATUS`... when the format has a level column.
    pub level: Option<&'a str>,
    /// Thread (agent formats) or source column (`jvm 1`, `wrapper`, `wrapperm`) for LPTM.
    pub thread: Option<&'a str>,
    /// `[Class:line]` of the ISO agent format.
    pub class: Option<&'a str>,
    pub message: &'a str,
}

impl LogLine<'_> {
    /// The line's time as RFC 3339: with its own offset when it has one, else in the local zone
    /// of this host (the MID writes local time).
    pub fn rfc3339(&self) -> String {
        to_rfc3339(self.time, self.offset)
    }

    /// The instant the line shows: with its own offset, else read in the host's zone. Lines
    /// of different formats compare only this way (an ISO agent line at +0200 against a
    /// zone-less wrapper line).
    pub fn instant(&self) -> Option<DateTime<Utc>> {
        to_instant(self.time, self.offset)
    }
}

/// A wall-clock time as an instant: in `offset` when given, else in the host's zone (the
/// earlier reading when a DST change makes it ambiguous).
pub fn to_instant(time: NaiveDateTime, offset: Option<FixedOffset>) -> Option<DateTime<Utc>> {
    match offset {
        Some(o) => o
            .from_local_datetime(&time)
            .single()
            .map(|t| t.with_timezone(&Utc)),
        None => chrono::Local
            .from_local_datetime(&time)
            .earliest()
            .map(|t| t.with_timezone(&Utc)),
    }
}

/// Words for a line's time as shown to a person: `2019-09-21 16:22:12 (host local time)` for
/// zone-less lines, the RFC 3339 text with its offset otherwise.
pub fn time_words(line: &str) -> Option<String> {
    let l = parse(line)?;
    Some(match l.offset {
        Some(_) => l.rfc3339(),
        None => format!("{} (host local time)", l.time.format("%Y-%m-%d %H:%M:%S")),
    })
}

/// Whether a line is the continuation of the one above (stack-trace `at ...` lines, `Caused
/// by:`, exception text, indented sub-lines): it has no time of its own.
pub fn is_continuation(line: &str) -> bool {
    !line.trim().is_empty() && parse(line).is_none()
}

/// RFC 3339 text for a wall-clock time and an optional offset (local zone when absent).
pub fn to_rfc3339(time: NaiveDateTime, offset: Option<FixedOffset>) -> String {
    match offset {
        Some(o) => match o.from_local_datetime(&time).single() {
            Some(t) => t.to_rfc3339(),
            None => time.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
        },
        None => match chrono::Local.from_local_datetime(&time).earliest() {
            Some(t) => t.to_rfc3339(),
            None => time.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
        },
    }
}

/// Parse a line in any known format; `None` when it is none of them (continuation lines,
/// stack traces, the inner lines of `Gobbled:` output).
pub fn parse(line: &str) -> Option<LogLine<'_>> {
    let b = line.as_bytes();
    if b.len() < 8 {
        return None;
    }
    if b[0].is_ascii_digit() {
        match (b.get(2), b.get(4)) {
            (Some(b'/'), _) => parse_agent_legacy(line),
            (_, Some(b'-')) => parse_agent_iso(line),
            (_, Some(b'/')) => parse_wrapper(line),
            _ => None,
        }
    } else {
        parse_lptm(line)
    }
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn date_time(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> Option<NaiveDateTime> {
    Some(NaiveDateTime::new(
        NaiveDate::from_ymd_opt(y, mo, d)?,
        NaiveTime::from_hms_milli_opt(h, mi, s, ms)?,
    ))
}

/// `HH:mm:ss` or `HH:mm:ss.SSS`.
fn parse_hms(s: &str) -> Option<(u32, u32, u32, u32)> {
    let (hms, ms) = match s.split_once('.') {
        Some((a, b)) => (a, num(b)?),
        None => (s, 0),
    };
    let mut it = hms.split(':');
    let h = num(it.next()?)?;
    let m = num(it.next()?)?;
    let sec = num(it.next()?)?;
    if it.next().is_some() {
        return None;
    }
    Some((h, m, sec, ms))
}

/// `MM/dd/yy HH:mm:ss (mmm) Thread message`
pub fn parse_agent_legacy(line: &str) -> Option<LogLine<'_>> {
    let date = line.get(..8)?;
    let mut d = date.split('/');
    let (mo, dd, yy) = (num(d.next()?)?, num(d.next()?)?, num(d.next()?)?);
    let rest = line.get(8..)?.strip_prefix(' ')?;
    let (hms, rest) = rest.split_once(' ')?;
    let (h, mi, s, _) = parse_hms(hms)?;
    let rest = rest.strip_prefix('(')?;
    let (ms, rest) = rest.split_once(") ")?;
    let ms = num(ms)?;
    let (thread, message) = rest.split_once(' ').unwrap_or((rest, ""));
    let level = message.split_once(' ').map(|(l, _)| l).filter(|l| {
        matches!(
            *l,
            "SEVERE" | "WARNING" | "INFO" | "FINE" | "DEBUG" | "CONFIG"
        )
    });
    Some(LogLine {
        format: LineFormat::AgentLegacy,
        time: date_time(2000 + yy as i32, mo, dd, h, mi, s, ms)?,
        offset: None,
        level,
        thread: Some(thread),
        class: None,
        message,
    })
}

/// `2022-10-21T13:08:58.330+0200 INFO (Thread) [Class:line] message`
pub fn parse_agent_iso(line: &str) -> Option<LogLine<'_>> {
    let (stamp, rest) = line.split_once(' ')?;
    let (date, time_zone) = stamp.split_once('T')?;
    let mut d = date.split('-');
    let (y, mo, dd) = (num(d.next()?)?, num(d.next()?)?, num(d.next()?)?);
    let zpos = time_zone.find(['+', '-', 'Z']);
    let (time, zone) = match zpos {
        Some(p) => time_zone.split_at(p),
        None => (time_zone, ""),
    };
    let (h, mi, s, ms) = parse_hms(time)?;
    let offset = parse_offset(zone);
    let (level, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let (thread, rest) = match rest.strip_prefix('(') {
        Some(r) => match r.split_once(')') {
            Some((t, r)) => (Some(t), r.trim_start()),
            None => (None, rest),
        },
        None => (None, rest),
    };
    let (class, message) = match rest.strip_prefix('[') {
        Some(r) => match r.split_once(']') {
            Some((c, m)) => (Some(c), m.strip_prefix(' ').unwrap_or(m)),
            None => (None, rest),
        },
        None => (None, rest),
    };
    Some(LogLine {
        format: LineFormat::AgentIso,
        time: date_time(y as i32, mo, dd, h, mi, s, ms)?,
        offset,
        level: Some(level),
        thread,
        class,
        message,
    })
}

fn parse_offset(zone: &str) -> Option<FixedOffset> {
    if zone == "Z" {
        return FixedOffset::east_opt(0);
    }
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 {
        return None;
    }
    let h = num(&digits[..2])? as i32;
    let m = num(&digits[2..])? as i32;
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// `yyyy/MM/dd HH:mm:ss[.SSS]`
fn parse_slash_stamp(s: &str) -> Option<NaiveDateTime> {
    let (date, time) = s.trim().split_once(' ')?;
    let mut d = date.split('/');
    let (y, mo, dd) = (num(d.next()?)?, num(d.next()?)?, num(d.next()?)?);
    let (h, mi, sec, ms) = parse_hms(time.trim())?;
    date_time(y as i32, mo, dd, h, mi, sec, ms)
}

/// `yyyy/MM/dd HH:mm:ss | message`
pub fn parse_wrapper(line: &str) -> Option<LogLine<'_>> {
    let (stamp, message) = line.split_once('|')?;
    Some(LogLine {
        format: LineFormat::Wrapper,
        time: parse_slash_stamp(stamp)?,
        offset: None,
        level: None,
        thread: None,
        class: None,
        message: message.strip_prefix(' ').unwrap_or(message),
    })
}

/// `LEVEL | source | yyyy/MM/dd HH:mm:ss.SSS | message`, columns padded or not. Tanuki's
/// other column sets (`wrapper.logfile.format`: `PTM`, `LTM`, `LPTM`) parse too: the time is
/// whichever of the first three columns reads as one; an upper-case first column is the level.
pub fn parse_lptm(line: &str) -> Option<LogLine<'_>> {
    let mut cols: Vec<&str> = Vec::with_capacity(4);
    let mut rest = line;
    for _ in 0..3 {
        let (col, r) = rest.split_once('|')?;
        cols.push(col);
        rest = r;
        if let Some(time) = parse_slash_stamp(col) {
            let before = &cols[..cols.len() - 1];
            let (level, source) = match before {
                [l, s] => (Some(l.trim()), Some(s.trim())),
                [one] if is_level(one.trim()) => (Some(one.trim()), None),
                [one] => (None, Some(one.trim())),
                _ => return None,
            };
            if level.is_some_and(|l| !is_level(l)) {
                return None;
            }
            return Some(LogLine {
                format: LineFormat::Lptm,
                time,
                offset: None,
                level,
                thread: source,
                class: None,
                message: rest.strip_prefix(' ').unwrap_or(rest),
            });
        }
    }
    None
}

fn is_level(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_agent_line() {
        let l = parse("10/22/18 17:56:13 (898) AutoUpgrade.3600 SEVERE *** ERROR *** Aborting MID Server upgrade due to pre-upgrade check failure: Service snc_mid_kingston1 does not exist").unwrap();
        assert_eq!(l.format, LineFormat::AgentLegacy);
        assert_eq!(l.thread, Some("AutoUpgrade.3600"));
        assert_eq!(l.level, Some("SEVERE"));
        assert_eq!(l.time.to_string(), "2018-10-22 17:56:13.898");
        assert!(l.message.starts_with("SEVERE *** ERROR *** Aborting"));
        let l = parse("03/02/23 09:25:24 (742) MIDServer MID Server stopped").unwrap();
        assert_eq!(l.message, "MID Server stopped");
        assert_eq!(l.level, None);
    }

    #[test]
    fn iso_agent_line() {
        let l = parse(
            "2022-10-21T13:08:58.330+0200 INFO (MIDServer) [Main:265] Initializing MID Server",
        )
        .unwrap();
        assert_eq!(l.format, LineFormat::AgentIso);
        assert_eq!(l.level, Some("INFO"));
        assert_eq!(l.thread, Some("MIDServer"));
        assert_eq!(l.class, Some("Main:265"));
        assert_eq!(l.message, "Initializing MID Server");
        assert_eq!(l.rfc3339(), "2022-10-21T13:08:58.330+02:00");
        let l = parse("2026-06-03T09:46:18.163-0400 INFO (MIDServer) [Main:292] Initializing MID Server 20...").unwrap();
        assert_eq!(l.offset, FixedOffset::west_opt(4 * 3600));
    }

    #[test]
    fn wrapper_and_lptm_lines() {
        let l = parse("2019/12/15 00:33:17 | Machine is shutting down.").unwrap();
        assert_eq!(l.format, LineFormat::Wrapper);
        assert_eq!(l.message, "Machine is shutting down.");
        let l = parse("INFO   | jvm 1    | 2019/09/21 16:30:47.130 | INFO: Removing previous MID JRE at `C:\\ServiceNow\\agent\\jre`.").unwrap();
        assert_eq!(l.format, LineFormat::Lptm);
        assert_eq!(l.thread, Some("jvm 1"));
        assert_eq!(l.time.to_string(), "2019-09-21 16:30:47.130");
        assert!(l.message.starts_with("INFO: Removing"));
        let l = parse("ERROR | wrapperm | 2019/11/02 19:07:59 | The ServiceNow Platform Distribution Upgrade (midserver-lab) service is already started with status: START_PENDING").unwrap();
        assert_eq!(l.level, Some("ERROR"));
        assert_eq!(l.thread, Some("wrapperm"));
    }

    #[test]
    fn other_tanuki_column_sets() {
        let l = parse("jvm 1    | 2019/09/21 16:30:47.817 | WARNING: x").unwrap();
        assert_eq!(
            (l.level, l.thread, l.message),
            (None, Some("jvm 1"), "WARNING: x")
        );
        let l = parse("STATUS | 2019/12/15 00:33:17 | Machine is shutting down.").unwrap();
        assert_eq!(l.level, Some("STATUS"));
        assert_eq!(l.time.to_string(), "2019-12-15 00:33:17");
        assert!(parse("wrapper | not a time | x").is_none());
        assert!(parse("Gobbled: a | b | c | d").is_none());
    }

    #[test]
    fn garbage_is_none() {
        assert!(parse("\tat com.snc.Foo.bar(Foo.java:12)").is_none());
        assert!(parse("").is_none());
        assert!(parse("99/99/99 99:99:99 (999) X y").is_none());
        assert!(parse("AutoUpgrade.3600 WARNING *** WARNING *** Unable").is_none());
    }
}
