//! The built-in patterns: the words that make a key secret, the shapes of credentials that
//! carry no key, and the literals that let a line skip every rule.
//!
//! Over-masking a non-secret is acceptable; leaking is not. When a shape is ambiguous, the
//! pattern masks.

/// Words that make a key (`KEY=v`, `"KEY": v`, `--KEY v`, `<KEY>v</KEY>`) secret wherever
/// they appear in it: `mid.proxy.password`, `MID_PROXY_PASS`, `client_secret`, `sn_token`.
pub const WORDS: &str = r"pass(?:word|wd|phrase|code)?|pwd|secret|token|credential|community|cookie|jsessionid|session[_\-.]?(?:id|key|store|token)|glide_user|bigipserver|api[_\-.]?key|private[_\-.]?key|access[_\-.]?key|auth[_\-.]?key|signing[_\-.]?key|encryption[_\-.]?key|master[_\-.]?key|account[_\-.]?key|shared[_\-.]?key|(?-i:[a-z0-9]Key)|ksm_config|g_ck";

/// Short words that make a key secret only as a whole component (`keystore.pin`,
/// `ssl.key`, `sas.sig`), so that `mapping`, `ping` or `keystore.path` stay readable.
pub const COMPONENTS: &str = r"key|pin|sig|psk|auth|sas";

/// A key that names a secret (no case flag: callers set `(?i)`).
pub fn key_pattern() -> String {
    format!(
        r"(?:[\w.\-]*(?:{WORDS})[\w.\-]*|(?:[\w.\-]*[._\-])?(?:{COMPONENTS})(?:[._\-][\w.\-]*)?)"
    )
}

/// A config.xml (or any XML tag's) `name`/`key` attribute that names a secret.
pub fn attribute_name_pattern() -> String {
    format!(r"(?i)(?:{WORDS}|client_id|tenant_id|(?:^|[._\-])(?:{COMPONENTS})(?:$|[._\-])|key)")
}

/// Names whose values support needs and which are never secrets, even when flagged.
pub const KEEP_NAMES: &[&str] = &["name", "url", "mid_sys_id"];

/// A line rule: the capture groups (or the whole match) are masked.
pub struct Spec {
    pub name: &'static str,
    pub pattern: String,
    /// Lower-case literal the line must hold for the rule to run (cheap scoping of rules
    /// whose pattern alone would be too broad, like `-c X` only on an `snmp` line).
    pub requires: Option<&'static str>,
    /// A captured value this returns true for is kept (not a credential after all).
    pub keep: Option<fn(&[u8]) -> bool>,
}

fn spec(name: &'static str, pattern: impl Into<String>) -> Spec {
    Spec {
        name,
        pattern: pattern.into(),
        requires: None,
        keep: None,
    }
}

/// The regex line rules, in the order they run. `secret_key_value` (value extent decided in
/// code, see `value.rs`) runs after these, then `secret_flag` and `secret_phrase`.
pub fn specs() -> Vec<Spec> {
    let key = key_pattern();
    vec![
        spec(
            "authorization_header",
            r#"(?i)\b(?:proxy-)?authorization["']?\s*[:=]\s*["']?(?:(?:basic|bearer|negotiate|ntlm|token|hmac|sn_hmac)\s+([^\s"',;]+)|([^\s"',;][^\r\n]*))"#,
        ),
        spec(
            "cookie_header",
            r#"(?i)\b(?:set-)?cookie["']?\s*:\s*["']?([^\r\n"']+)"#,
        ),
        spec("bearer_token", r#"(?i)\bbearer\s+([^\s"',;<>]+)"#),
        Spec {
            keep: Some(not_a_credential),
            ..spec(
                "auth_scheme_token",
                r"(?i)\b(?:basic|negotiate|ntlm|digest|hmac|sn_hmac)\s+([A-Za-z0-9+/=._~\-]{6,})",
            )
        },
        spec(
            "url_userinfo",
            r#"(?i)\b[a-z][a-z0-9+.\-]*://([^\s/?#'"<>]+)@"#,
        ),
        spec(
            "bare_userinfo",
            r#"(?:^|[\s=,;"'(\[<])([^\s:@/"'<>=,;()\[]+:[^\s@/"'<>]+)@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*"#,
        ),
        spec(
            "db_connect_password",
            r#"(?i)(?:\bjdbc:oracle:\w+:@?|\bsqlplus\s+(?:-\w+\s+)*|\bconnect\s+)(?:[^\s/@:"'<>]+)/([^\s@"'<>]+)"#,
        ),
        spec(
            "cli_user_password",
            r#"(?i)(?:^|\s)(?:-u|-U|--user|--proxy-user|--proxy-auth)(?:\s+|=)(?:"([^"\s]*:[^"]*)"|'([^'\s]*:[^']*)'|([^\s"':]+:[^\s"']+))"#,
        ),
        Spec {
            requires: Some("mysql"),
            ..spec("cli_password_flag", r"(?:^|\s)-p([^\s\-]\S*)")
        },
        Spec {
            requires: Some("sshpass"),
            ..spec("cli_password_flag", r"(?:^|\s)-p\s*(\S+)")
        },
        Spec {
            requires: Some("redis-cli"),
            ..spec("cli_password_flag", r"(?:^|\s)-a\s*(\S+)")
        },
        Spec {
            requires: Some("psexec"),
            ..spec("cli_password_flag", r"(?i)(?:^|\s)-p\s+(\S+)")
        },
        Spec {
            requires: Some("ldap"),
            ..spec("cli_password_flag", r"(?:^|\s)-w\s*(\S+)")
        },
        Spec {
            requires: Some("schtasks"),
            ..spec("cli_password_flag", r"(?i)(?:^|\s)/rp\s+(\S+)")
        },
        Spec {
            requires: Some("net use"),
            ..spec(
                "cli_password_flag",
                r#"(?i)\bnet\s+use\s+(?:[a-z]:\s+)?\\\\\S+\s+([^/\s"]\S*|"[^"]*")"#,
            )
        },
        Spec {
            requires: Some("snmp"),
            ..spec("snmp_community_flag", r#"(?:^|\s)-[cAX]\s*["']?([^\s"']+)"#)
        },
        spec(
            "aws_access_key_id",
            r"\b(?:A3T[A-Z0-9]|AKIA|ASIA)[A-Z0-9]{16}\b",
        ),
        // The formats are ASCII: a Unicode `\w` repeated 30 times made this one pattern a
        // third of the start-up time (16 ms).
        spec(
            "known_token_format",
            r"\beyJ[A-Za-z0-9_\-]{6,}\.[A-Za-z0-9_\-]{6,}\.[A-Za-z0-9_\-]*|\bgh[pousr]_[A-Za-z0-9]{30,}|\bgithub_pat_[A-Za-z0-9_]{30,}|\bxox[abposr]-[A-Za-z0-9\-]{10,}|\bAIza[0-9A-Za-z_\-]{35}|\b[sr]k_(?:live|test)_[0-9A-Za-z]{16,}|\bglpat-[A-Za-z0-9_\-]{20,}|hooks\.slack\.com/services/[A-Za-z0-9/_\-]+",
        ),
        spec("encrypted_value", r"encrypted:([A-Za-z0-9+/=_\-]+)"),
        spec(
            "xml_secret_element",
            format!(r#"(?i)<(?:[\w\-]+:)?(?:{key})(?:\s(?:[^>"']|"[^"]*"|'[^']*')*)?>([^<]+)"#),
        ),
    ]
}

/// `secret_key_value`: a secret key and its separator; the value's extent is decided in code.
pub fn pair_pattern() -> String {
    format!(
        r#"(?i)(?:^|[^\w.\-])({key})(?:\\?["']|&quot;|%22)?\s*(=>|:=|=|:|%3[dDaA])"#,
        key = key_pattern()
    )
}

/// `secret_flag`: `--password X`, `-storepass X`, `/password:X`.
pub fn flag_pattern() -> String {
    format!(
        r#"(?i)(?:^|[\s"'=(\[,])(?:--?|/)(?:{key})(?:\s+|:)("[^"]*"|'[^']*'|[^\s"']+)"#,
        key = key_pattern()
    )
}

/// A line that ends with a secret flag, key or element whose value is on the next line
/// (`wrapper.app.parameter.3=--password`, `"password":`, `<password>`, `key=\`).
pub fn pending_pattern() -> String {
    format!(
        r#"(?i)(?:(?:^|[\s"'=(\[,])(?:--?|/)(?:{key})|(?:^|[^\w.\-])(?:{key})(?:\\?["'])?\s*(?::|=\s*\\)|<(?:[\w\-]+:)?(?:{key})(?:\s(?:[^>"']|"[^"]*"|'[^']*')*)?>)\s*$"#,
        key = key_pattern()
    )
}

/// `secret_phrase`: `with password X`, `the token is X`, `community string X`.
pub fn phrase_pattern() -> String {
    r#"(?i)\b(?:pass(?:word|wd|phrase|code)|pwd|secret|token|api[ _\-]?key|pin(?:\s+code)?|community(?:\s+string)?)\s+(?:(?:is|was|of|to|as|set\s+to|changed\s+to)\s+)?("[^"]*"|'[^']*'|[^\s"'<>]+)"#.to_string()
}

/// Lower-case literals of which every built-in rule needs one on its line (URL user info
/// is found by `@`, searched apart with memchr). Checked by a test against sample lines.
pub const TRIGGERS: &[&str] = &[
    "pass",
    "pwd",
    "secret",
    "token",
    "credential",
    "community",
    "cookie",
    "session",
    "glide_user",
    "bigip",
    "key",
    "pin",
    "sig=",
    "sig:",
    "sig\"",
    "sig ",
    "psk",
    "auth",
    "sas",
    "ksm_config",
    "client_id",
    "tenant_id",
    "secure",
    "encrypt",
    "bearer",
    "basic",
    "negotiate",
    "ntlm",
    "digest",
    "hmac",
    "jdbc:",
    "sqlplus",
    "connect",
    "-u ",
    "--user",
    "--proxy-",
    "mysql",
    "sshpass",
    "redis-cli",
    "snmp",
    "psexec",
    "ldap",
    "schtasks",
    "net use",
    "hooks.slack",
    "g_ck",
    "-----begin",
    "-----end",
    // AWS access key ids (long-term, temporary); other `A...` ids name users and roles.
    "a3t",
    "akia",
    "asia",
    "eyj",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "xox",
    "aiza",
    "k_live_",
    "k_test_",
    "glpat-",
];

/// `Basic configuration` is prose; `Basic dXNlcjpwYXNz` is a credential. A token that is one
/// capitalised or lower-case word is kept.
fn not_a_credential(v: &[u8]) -> bool {
    let rest = v.get(1..).unwrap_or_default();
    v.iter().all(u8::is_ascii_alphabetic) && !rest.iter().any(u8::is_ascii_uppercase)
}

/// Words after `password`/`token` that start ordinary prose, not a value.
const PROSE: &[&str] = &[
    "a",
    "an",
    "and",
    "are",
    "as",
    "at",
    "authentication",
    "be",
    "been",
    "by",
    "can",
    "cannot",
    "change",
    "changed",
    "could",
    "did",
    "does",
    "encryption",
    "error",
    "expired",
    "expires",
    "expiry",
    "failed",
    "failure",
    "field",
    "file",
    "for",
    "from",
    "has",
    "have",
    "in",
    "invalid",
    "is",
    "length",
    "manager",
    "may",
    "mismatch",
    "missing",
    "must",
    "not",
    "of",
    "on",
    "or",
    "policy",
    "prompt",
    "provided",
    "refresh",
    "required",
    "reset",
    "rotation",
    "should",
    "store",
    "string",
    "the",
    "to",
    "type",
    "used",
    "validation",
    "was",
    "will",
    "with",
];

/// Whether a `secret_phrase` value is prose rather than a secret.
pub fn is_prose(v: &[u8]) -> bool {
    let w = v.to_ascii_lowercase();
    let w = w.strip_suffix(b".").unwrap_or(&w);
    let w = w.strip_suffix(b",").unwrap_or(w);
    PROSE.iter().any(|p| p.as_bytes() == w)
}

/// Values after `KEY:` that are MID's own messages, not secrets
/// (`Unable to unsecure parameter mid.instance.password: Problem while decrypting`).
pub const KNOWN_MESSAGES: &[&str] = &["Problem while decrypting", "Problem while encrypting"];
