//! Read-only confirmation from the instance: one Table API GET of the MID's `ecc_agent` record
//! (mid-server.md §6). `Up` alone proves nothing (a stale record still says Up), so the judgement
//! also wants the target version and an update after our run began. The password comes from the
//! operator (environment or a no-echo prompt), lives only in memory, and never reaches a log,
//! a child's environment or a plain-HTTP connection.
//!
//! Rules (safety rule 8): only `https://` (TLS verified by rustls' defaults), except the
//! loopback stand-in of a lab midrescue made; the origin is pinned (a redirect to another
//! scheme, host or port is refused, with or without credentials).

use std::sync::OnceLock;
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
    /// The one plain-HTTP origin these credentials may go to: a lab's loopback stand-in.
    plain_http_origin: Option<Origin>,
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
            plain_http_origin: None,
        }
    }

    /// Allow plain `http://` to `url`'s origin, for the instance stand-in of a lab midrescue
    /// made. Ignored unless `url` is `http://` to a loopback address.
    pub fn allow_plain_http_to(mut self, url: &str) -> Self {
        self.plain_http_origin = Origin::parse(url)
            .ok()
            .filter(|o| o.scheme == "http" && o.is_loopback());
        self
    }

    fn basic_header(&self) -> String {
        format!(
            "Basic {}",
            base64(format!("{}:{}", self.user, self.password).as_bytes())
        )
    }
}

/// The password taken out of the environment at start-up (see [`take_password_from_env`]).
static ENV_PASSWORD: OnceLock<Option<String>> = OnceLock::new();

/// Read [`PASSWORD_ENV`] once and remove it from this process's environment, so that no child
/// (the upgrade, the MID processes that outlive midrescue, `systemctl`, `ps`) inherits it.
///
/// # Safety
///
/// Call it first thing in `main`, while no other thread exists: `remove_var` is only sound
/// when nothing reads or writes the environment concurrently (Rust 2024 makes it `unsafe`).
pub unsafe fn take_password_from_env() {
    let value = std::env::var(PASSWORD_ENV).ok().filter(|p| !p.is_empty());
    // SAFETY: the caller guarantees this process has a single thread at this point.
    unsafe { std::env::remove_var(PASSWORD_ENV) };
    let _ = ENV_PASSWORD.set(value);
}

/// Belt and braces for every spawned command: never pass the password on, even if it was put
/// back into the environment after start-up.
pub fn scrub_child_env(cmd: &mut std::process::Command) -> &mut std::process::Command {
    cmd.env_remove(PASSWORD_ENV)
}

/// The password from [`PASSWORD_ENV`] (as taken at start-up), else a prompt on the terminal
/// without echo (or a plain line from stdin when there is no terminal).
pub fn password_from_env_or_prompt(user: &str) -> anyhow::Result<String> {
    let from_env = match ENV_PASSWORD.get() {
        Some(p) => p.clone(),
        None => std::env::var(PASSWORD_ENV).ok().filter(|p| !p.is_empty()),
    };
    if let Some(p) = from_env {
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

/// Scheme, host and port of a URL: what a redirect may not change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

impl Origin {
    pub fn parse(url: &str) -> anyhow::Result<Origin> {
        let uri: ureq::http::Uri = url
            .parse()
            .map_err(|e| anyhow::anyhow!("instance URL {url:?} is not a URL: {e}"))?;
        let scheme = uri
            .scheme_str()
            .map(str::to_ascii_lowercase)
            .ok_or_else(|| anyhow::anyhow!("instance URL {url:?} has no scheme (https://...)"))?;
        let host = uri
            .host()
            .map(|h| h.trim_matches(['[', ']']).to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .ok_or_else(|| anyhow::anyhow!("instance URL {url:?} has no host"))?;
        let port = match (uri.port_u16(), scheme.as_str()) {
            (Some(p), _) => p,
            (None, "https") => 443,
            (None, "http") => 80,
            (None, other) => anyhow::bail!("instance URL {url:?}: unsupported scheme {other:?}"),
        };
        Ok(Origin { scheme, host, port })
    }

    pub fn is_loopback(&self) -> bool {
        self.host == "localhost"
            || self
                .host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// Whether `creds` may be sent to `url`: `https://`, or the one allowed loopback `http://`
/// origin. The error names the URL and the `--instance-url` option.
pub fn check_endpoint(url: &str, creds: &Credentials) -> anyhow::Result<Origin> {
    let origin = Origin::parse(url)?;
    match origin.scheme.as_str() {
        "https" => Ok(origin),
        "http" if creds.plain_http_origin.as_ref() == Some(&origin) => Ok(origin),
        "http" => anyhow::bail!(
            "refusing to send the instance password over plain http to {url:?}: give the              instance's https:// address with --instance-url"
        ),
        other => anyhow::bail!("instance URL {url:?}: unsupported scheme {other:?}"),
    }
}

/// How many same-origin redirects the check follows.
const MAX_REDIRECTS: usize = 3;

/// GET the MID's record. `Ok(None)` when the instance has no MID of that name.
///
/// Refuses plain HTTP (see [`check_endpoint`]) and any redirect that leaves the origin.
pub fn fetch(
    instance_url: &str,
    mid_name: &str,
    creds: &Credentials,
    timeout: Duration,
) -> anyhow::Result<Option<AgentRecord>> {
    let origin = check_endpoint(instance_url, creds)?;
    let mut url = query_url(instance_url, mid_name);
    // Redirects are handled here, not by ureq, so that the origin can be checked first.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let mut hops = 0;
    let mut resp = loop {
        let resp = agent
            .get(&url)
            .header("Accept", "application/json")
            .header("Authorization", &creds.basic_header())
            .call()
            .map_err(|e| anyhow::anyhow!("instance check: {e}"))?;
        if !resp.status().is_redirection() {
            break resp;
        }
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let next = resolve_location(&origin, &location);
        let next_origin = Origin::parse(&next).ok();
        if next_origin.as_ref() != Some(&origin) {
            anyhow::bail!(
                "instance check: {origin} redirected to {location:?}, another origin; not                  following it (give the instance's own https:// address with --instance-url)"
            );
        }
        hops += 1;
        if hops > MAX_REDIRECTS {
            anyhow::bail!("instance check: too many redirects from {origin}");
        }
        url = next;
    };
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
    let body = resp
        .body_mut()
        .with_config()
        .limit(ANSWER_LIMIT)
        .read_to_vec()
        .map_err(|e| anyhow::anyhow!("instance check: {e}"))?;
    parse_table_answer(&body)
}

/// Largest Table API answer read (one record is a few hundred bytes).
const ANSWER_LIMIT: u64 = 1024 * 1024;

/// The first record of a Table API answer (`{"result": [...]}`); `None` when it is empty.
pub fn parse_table_answer(body: &[u8]) -> anyhow::Result<Option<AgentRecord>> {
    let body: TableResponse = serde_json::from_slice(body)
        .map_err(|e| anyhow::anyhow!("instance check: unexpected answer: {e}"))?;
    Ok(body.result.into_iter().next())
}

/// An absolute URL for a `Location` header: absolute as given, else on `origin`.
fn resolve_location(origin: &Origin, location: &str) -> String {
    if location.contains("://") {
        location.to_string()
    } else if let Some(rest) = location.strip_prefix("//") {
        format!("{}://{rest}", origin.scheme)
    } else {
        let host = if origin.host.contains(':') {
            format!("[{}]", origin.host)
        } else {
            origin.host.clone()
        };
        let path = if location.starts_with('/') {
            location.to_string()
        } else {
            format!("/{location}")
        };
        format!("{}://{host}:{}{path}", origin.scheme, origin.port)
    }
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
        let url = format!("http://127.0.0.1:{port}");
        let creds = Credentials::new("admin", "pw").allow_plain_http_to(&url);
        let got = fetch(&url, "mid 1", &creds, Duration::from_secs(5))
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

    /// A one-shot HTTP server: answers each accepted request with `reply`, returns the requests.
    fn server(replies: Vec<String>) -> (u16, std::thread::JoinHandle<Vec<String>>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let h = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for reply in replies {
                let (mut s, _) = listener.accept().unwrap();
                let mut req = Vec::new();
                let mut buf = [0u8; 4096];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = s.read(&mut buf).unwrap();
                    if n == 0 {
                        break;
                    }
                    req.extend_from_slice(&buf[..n]);
                }
                s.write_all(reply.as_bytes()).unwrap();
                seen.push(String::from_utf8_lossy(&req).into_owned());
            }
            seen
        });
        (port, h)
    }

    /// Whether anything connects to `listener` within `ms`.
    fn connected_within(listener: &std::net::TcpListener, ms: u64) -> bool {
        listener.set_nonblocking(true).unwrap();
        let end = std::time::Instant::now() + Duration::from_millis(ms);
        while std::time::Instant::now() < end {
            if listener.accept().is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    #[test]
    fn plain_http_is_refused_before_connecting() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://127.0.0.1:{}/",
            listener.local_addr().unwrap().port()
        );
        let e = fetch(
            &url,
            "m",
            &Credentials::new("a", "pw"),
            Duration::from_secs(2),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains(&url) && e.contains("--instance-url"), "{e}");
        assert!(!connected_within(&listener, 200), "a connection was made");
        // A lab's exception covers loopback only, and only the origin it names.
        let creds = Credentials::new("a", "pw").allow_plain_http_to("http://10.0.0.5:8080/");
        assert!(check_endpoint("http://10.0.0.5:8080/", &creds).is_err());
        let creds = Credentials::new("a", "pw").allow_plain_http_to("http://127.0.0.1:9/");
        assert!(check_endpoint("http://127.0.0.1:9/", &creds).is_ok());
        assert!(check_endpoint("http://127.0.0.1:10/", &creds).is_err());
        assert!(check_endpoint("https://x.service-now.com", &Credentials::new("a", "b")).is_ok());
    }

    #[test]
    fn cross_origin_redirects_are_not_followed() {
        let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let other_port = other.local_addr().unwrap().port();
        let (port, h) = server(vec![format!(
            "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{other_port}/api\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )]);
        let url = format!("http://127.0.0.1:{port}");
        let creds = Credentials::new("admin", "pw").allow_plain_http_to(&url);
        let e = fetch(&url, "m", &creds, Duration::from_secs(5))
            .unwrap_err()
            .to_string();
        assert!(e.contains("another origin"), "{e}");
        assert!(!connected_within(&other, 300), "the redirect was followed");
        assert_eq!(h.join().unwrap().len(), 1);
    }

    #[test]
    fn same_origin_redirects_are_followed() {
        let body = r#"{"result":[{"name":"m","status":"Up"}]}"#;
        let (port, h) = server(vec![
            "HTTP/1.1 301 Moved\r\nLocation: /moved/api\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string(),
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        ]);
        let url = format!("http://127.0.0.1:{port}");
        let creds = Credentials::new("admin", "pw").allow_plain_http_to(&url);
        let got = fetch(&url, "m", &creds, Duration::from_secs(5))
            .unwrap()
            .unwrap();
        assert_eq!(got.status, "Up");
        let reqs = h.join().unwrap();
        assert!(reqs[1].starts_with("GET /moved/api "), "{}", reqs[1]);
    }
}
