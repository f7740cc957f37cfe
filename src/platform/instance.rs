//! Read-only confirmation from the instance: one Table API GET of the MID's `ecc_agent` record
//! (mid-server.md §6). `Up` alone proves nothing (a stale record still says Up), so the judgement
//! also wants the target version and an update after our run began. The password comes from the
//! operator (environment or a no-echo prompt), lives only in memory, and never reaches a log.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;

/// The environment variable that may hold the instance password.
pub const PASSWORD_ENV: &str = "MIDRESCUE_INSTANCE_PASSWORD";

/// Operator credentials. `Debug` never shows the password.
#[derive(Clone)]
pub struct Credentials {
    pub user: String,
    password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"<hidden>")
            .finish()
    }
}

impl Credentials {
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials {
            user: user.into(),
            password: password.into(),
        }
    }

    fn basic_header(&self) -> String {
        format!(
            "Basic {}",
            base64(format!("{}:{}", self.user, self.password).as_bytes())
        )
    }
}

/// The password from [`PASSWORD_ENV`], else a prompt on the terminal without echo (or a plain
/// line from stdin when there is no terminal).
pub fn password_from_env_or_prompt(user: &str) -> anyhow::Result<String> {
    if let Ok(p) = std::env::var(PASSWORD_ENV)
        && !p.is_empty()
    {
        return Ok(p);
    }
    // rpassword turns echo off on Unix and Windows alike (and reads stdin without a terminal).
    let line = rpassword::prompt_password(format!(
        "Instance password for {user} (not shown, not stored): "
    ))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// The `ecc_agent` fields we read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize, Default)]
pub struct AgentRecord {
    #[serde(default)]
    pub sys_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub validated: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub last_refreshed: String,
    #[serde(default)]
    pub sys_updated_on: String,
}

#[derive(Deserialize)]
struct TableResponse {
    result: Vec<AgentRecord>,
}

/// The Table API URL for one MID by name.
pub fn query_url(instance_url: &str, mid_name: &str) -> String {
    format!(
        "{}/api/now/table/ecc_agent?sysparm_query=name={}&sysparm_fields=sys_id,name,status,validated,version,last_refreshed,sys_updated_on&sysparm_limit=1",
        instance_url.trim_end_matches('/'),
        percent_encode(mid_name)
    )
}

/// GET the MID's record. `Ok(None)` when the instance has no MID of that name.
pub fn fetch(
    instance_url: &str,
    mid_name: &str,
    creds: &Credentials,
    timeout: Duration,
) -> anyhow::Result<Option<AgentRecord>> {
    let url = query_url(instance_url, mid_name);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent
        .get(&url)
        .header("Accept", "application/json")
        .header("Authorization", &creds.basic_header())
        .call()
        .map_err(|e| anyhow::anyhow!("instance check: {e}"))?;
    let status = resp.status().as_u16();
    match status {
        200 => {}
        401 => anyhow::bail!(
            "instance check: the instance refused the user {} (401)",
            creds.user
        ),
        403 => anyhow::bail!(
            "instance check: {} may not read ecc_agent (403)",
            creds.user
        ),
        s => anyhow::bail!("instance check: HTTP {s}"),
    }
    let body: TableResponse = resp
        .body_mut()
        .with_config()
        .limit(1024 * 1024)
        .read_json()
        .map_err(|e| anyhow::anyhow!("instance check: unexpected answer: {e}"))?;
    Ok(body.result.into_iter().next())
}

/// Whether the record shows the MID Up on the target version, updated since `since`, and why not.
pub fn judge(rec: &AgentRecord, target: Option<&str>, since: DateTime<Utc>) -> (bool, String) {
    if !rec.status.eq_ignore_ascii_case("up") {
        return (false, format!("status is {:?}", rec.status));
    }
    if let Some(t) = target
        && !rec.version.contains(t)
    {
        return (false, format!("Up, but on version {:?}", rec.version));
    }
    match parse_glide_time(&rec.sys_updated_on) {
        Some(updated) if updated + chrono::Duration::seconds(60) >= since => (
            true,
            format!(
                "Up, version {}, updated {}",
                rec.version, rec.sys_updated_on
            ),
        ),
        Some(_) => (
            false,
            format!(
                "Up, but the record was last updated {} (before the recovery)",
                rec.sys_updated_on
            ),
        ),
        None => (
            false,
            format!("unreadable sys_updated_on {:?}", rec.sys_updated_on),
        ),
    }
}

/// Table API date-times: `2026-11-22 05:01:02` (UTC without display values).
fn parse_glide_time(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|n| n.and_utc())
        .or_else(|| {
            DateTime::parse_from_rfc3339(s.trim())
                .ok()
                .map(|d| d.with_timezone(&Utc))
        })
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn base64(input: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for c in input.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn base64_and_percent_encoding() {
        assert_eq!(base64(b"admin:p@ss"), "YWRtaW46cEBzcw==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
        assert_eq!(percent_encode("mid prod&1"), "mid%20prod%261");
        assert!(query_url("https://x.service-now.com/", "a b").starts_with(
            "https://x.service-now.com/api/now/table/ecc_agent?sysparm_query=name=a%20b&sysparm_fields="
        ));
    }

    #[test]
    fn credentials_debug_hides_password() {
        let c = Credentials::new("admin", "s3cret");
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    fn rec(status: &str, version: &str, updated: &str) -> AgentRecord {
        AgentRecord {
            status: status.into(),
            version: version.into(),
            sys_updated_on: updated.into(),
            ..AgentRecord::default()
        }
    }

    #[test]
    fn judge_wants_up_target_version_and_a_fresh_update() {
        let since = parse_glide_time("2026-11-22 05:00:00").unwrap();
        let t = Some("tokyo-07-08-2022__patch4");
        assert!(
            judge(
                &rec(
                    "Up",
                    "tokyo-07-08-2022__patch4-12-14-2022",
                    "2026-11-22 05:03:00"
                ),
                t,
                since
            )
            .0
        );
        assert!(
            !judge(
                &rec("Down", "tokyo-07-08-2022__patch4", "2026-11-22 05:03:00"),
                t,
                since
            )
            .0
        );
        assert!(!judge(&rec("Up", "sandiego-x", "2026-11-22 05:03:00"), t, since).0);
        let (ok, why) = judge(
            &rec("Up", "tokyo-07-08-2022__patch4", "2026-11-21 23:00:00"),
            t,
            since,
        );
        assert!(!ok && why.contains("before the recovery"));
    }

    #[test]
    fn fetch_talks_to_a_real_http_endpoint() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut req = Vec::new();
            let mut buf = [0u8; 4096];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = s.read(&mut buf).unwrap();
                req.extend_from_slice(&buf[..n]);
            }
            let body = r#"{"result":[{"sys_id":"abc","name":"mid 1","status":"Up","validated":"true","version":"tokyo-1","last_refreshed":"","sys_updated_on":"2026-11-22 05:03:00"}]}"#;
            write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
            String::from_utf8(req).unwrap()
        });
        let creds = Credentials::new("admin", "pw");
        let got = fetch(
            &format!("http://127.0.0.1:{port}"),
            "mid 1",
            &creds,
            Duration::from_secs(5),
        )
        .unwrap()
        .unwrap();
        assert_eq!(got.status, "Up");
        assert_eq!(got.name, "mid 1");
        let req = server.join().unwrap();
        assert!(req.starts_with("GET /api/now/table/ecc_agent?sysparm_query=name=mid%201&"));
        assert!(
            req.to_ascii_lowercase()
                .contains("authorization: basic ywrtaw46chc=")
        );
        assert!(
            req.to_ascii_lowercase()
                .contains("accept: application/json")
        );
    }
}
