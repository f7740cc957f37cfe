//! The instance stand-in: a loopback-only HTTP/1.1 endpoint answering the Table API query for
//! `ecc_agent` (mid-server.md §6.3) with the lab MID's status, behind Basic auth with the lab
//! credentials. Ends with the lab.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use super::{LabInfo, MidStatus, files, state};

/// `midrescue lab instance`.
pub fn run(root: &Path) -> anyhow::Result<u8> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    let port = listener.local_addr()?.port();
    let me = std::process::id();
    state::update_info(root, |i| {
        i.instance_pid = Some(me);
        if let Some(inst) = i.instance.as_mut() {
            inst.url = Some(format!("http://127.0.0.1:{port}/"));
        }
    })?;
    listener.set_nonblocking(true)?;
    let mut checked = Instant::now();
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                if let Err(e) = serve(stream, root) {
                    tracing::debug!("instance stand-in: {e}");
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => tracing::warn!("instance stand-in accept: {e}"),
        }
        if checked.elapsed() > Duration::from_millis(300) {
            if state::lab_gone_or_stopped(root) {
                break;
            }
            checked = Instant::now();
        }
    }
    let _ = state::update_info(root, |i| {
        if i.instance_pid == Some(me) {
            i.instance_pid = None;
        }
    });
    Ok(0)
}

fn serve(mut stream: TcpStream, root: &Path) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let request = String::from_utf8_lossy(&buf);
    let (code, body) = match super::read_lab_info(root) {
        Ok(info) => respond(&request, &info, root),
        Err(_) => (
            503,
            r#"{"error":{"message":"lab is gone"},"status":"failure"}"#.to_string(),
        ),
    };
    let reason = match code {
        200 => "OK",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Service Unavailable",
    };
    let auth = if code == 401 {
        "WWW-Authenticate: Basic realm=\"Service-now\"\r\n"
    } else {
        ""
    };
    let head = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: application/json;charset=UTF-8\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}

/// (status code, JSON body) for one request. Pure apart from reading the lab's state.
pub fn respond(request: &str, info: &LabInfo, root: &Path) -> (u16, String) {
    let mut lines = request.lines();
    let first = lines.next().unwrap_or_default();
    let mut parts = first.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let auth = lines.take_while(|l| !l.is_empty()).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("authorization")
            .then(|| v.trim().to_string())
    });
    let Some(creds) = &info.instance else {
        return (404, not_found());
    };
    let expected = format!(
        "Basic {}",
        base64(format!("{}:{}", creds.user, creds.password).as_bytes())
    );
    if auth.as_deref() != Some(expected.as_str()) {
        return (
            401,
            r#"{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}"#
                .to_string(),
        );
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path.trim_end_matches('/') != "/api/now/table/ecc_agent" {
        return (404, not_found());
    }
    if method != "GET" {
        return (
            405,
            r#"{"error":{"message":"Method not Supported"},"status":"failure"}"#.to_string(),
        );
    }
    let params: Vec<(String, String)> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (percent_decode(k), percent_decode(v)))
        .collect();
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let wanted_name = param("sysparm_query")
        .into_iter()
        .flat_map(|q| q.split('^'))
        .find_map(|c| c.strip_prefix("name="));
    if wanted_name.is_some_and(|n| n != info.mid_name) {
        return (200, r#"{"result":[]}"#.to_string());
    }
    let record = record(info, root);
    let record = match param("sysparm_fields") {
        Some(fields) => {
            let keep: Vec<&str> = fields.split(',').map(str::trim).collect();
            record
                .into_iter()
                .filter(|(k, _)| keep.contains(k))
                .collect()
        }
        None => record,
    };
    let obj: serde_json::Map<String, serde_json::Value> = record
        .into_iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::String(v)))
        .collect();
    (200, serde_json::json!({ "result": [obj] }).to_string())
}

fn not_found() -> String {
    r#"{"error":{"message":"Invalid table","detail":null},"status":"failure"}"#.to_string()
}

/// The lab MID as an `ecc_agent` record, status derived from the live processes.
fn record(info: &LabInfo, root: &Path) -> Vec<(&'static str, String)> {
    let agent = root.join("agent");
    let mid_alive = info.mid_pid.is_some_and(|p| state::is_lab_process(p, root));
    let sim_alive = info
        .simulator_pid
        .is_some_and(|p| state::is_lab_process(p, root));
    let now = chrono::Utc::now();
    let changed = chrono::DateTime::parse_from_rfc3339(&info.status_changed_at)
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or(now);
    let (status, updated) = if mid_alive && info.mid_status == MidStatus::Up {
        (MidStatus::Up, now)
    } else if sim_alive || (mid_alive && info.mid_status == MidStatus::Upgrading) {
        (MidStatus::Upgrading, changed)
    } else {
        (MidStatus::Down, changed)
    };
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S").to_string();
    vec![
        ("sys_id", sys_id(&agent)),
        ("name", info.mid_name.clone()),
        ("status", status.as_str().to_string()),
        ("validated", "true".to_string()),
        (
            "version",
            files::read_meta_version(&agent).unwrap_or_default(),
        ),
        ("last_refreshed", fmt(updated)),
        ("sys_updated_on", fmt(updated)),
        ("host_name", "lab-host".to_string()),
        ("ip_address", "127.0.0.1".to_string()),
        ("home_dir", agent.display().to_string()),
    ]
}

fn sys_id(agent: &Path) -> String {
    std::fs::read_to_string(agent.join("config.xml"))
        .ok()
        .and_then(|t| {
            let re = regex::Regex::new(r#"name="mid_sys_id"\s+value="([0-9a-f]*)""#).ok()?;
            re.captures(&t).map(|c| c[1].to_string())
        })
        .unwrap_or_default()
}

/// Standard base64 with padding (RFC 4648).
pub fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= c.len() {
                out.push(A[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(
            percent_decode("name%3Dlab-mid-01%5Estatus!%3DUp+x"),
            "name=lab-mid-01^status!=Up x"
        );
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
