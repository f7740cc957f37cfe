use super::*;

fn red(s: &str) -> (String, Counts) {
    let mut c = Counts::new();
    let out = RuleSet::builtin()
        .unwrap()
        .redact_text(s.as_bytes(), &mut c);
    (String::from_utf8(out).unwrap(), c)
}

#[test]
fn every_builtin_pattern_compiles() {
    for s in rules::specs() {
        assert!(re(&s.pattern).is_ok(), "{}: {}", s.name, s.pattern);
    }
    for p in [
        rules::pair_pattern(),
        rules::flag_pattern(),
        rules::pending_pattern(),
        rules::phrase_pattern(),
        rules::attribute_name_pattern(),
    ] {
        assert!(re(&p).is_ok(), "{p}");
    }
    assert!(RuleSet::builtin().is_ok());
    assert!(check_builtin().is_ok());
    // The lazily built default is the same set.
    assert_eq!(
        default_rules().rule_names(),
        RuleSet::builtin().unwrap().rule_names()
    );
}

#[test]
fn a_broken_pattern_is_a_clear_error() {
    let e = re("(unclosed").unwrap_err();
    assert!(format!("{e:#}").contains("does not compile"), "{e:#}");
}

/// Every shape of the security report, plus shapes beyond it: each (line, secret).
const SHAPES: &[(&str, &str)] = &[
    ("Cookie set JSESSIONID=S3SS10N1D; Path=/", "S3SS10N1D"),
    ("glide_session_store=GSS0123456789 next", "GSS0123456789"),
    ("glide_user_route=glide.abc123def", "glide.abc123def"),
    (
        "aws key AKIAIOSFODNN7EXAMPLE in use",
        "AKIAIOSFODNN7EXAMPLE",
    ),
    (
        "url jdbc:oracle:thin:scott/T1ger0ra@db01:1521:orcl",
        "T1ger0ra",
    ),
    ("run sqlplus scott/SqlPlusPw1@orcl", "SqlPlusPw1"),
    ("curl -u admin:CurlPw9 https://x", "CurlPw9"),
    ("curl --user 'admin:Curl Pw8' https://x", "Curl Pw8"),
    ("sending token Bearer BeArEr7Tok", "BeArEr7Tok"),
    ("password: Colon5ecret", "Colon5ecret"),
    ("db password=correct horse battery", "horse battery"),
    ("db password=semi;colon<angle>", "colon<angle"),
    (
        r#"db password="unterminated quote here"#,
        "unterminated quote",
    ),
    (r#"xml <password>ElemPw4</password> done"#, "ElemPw4"),
    (
        r#"read <parameter name="mid.proxy.password" value="ParamPw3"/> ok"#,
        "ParamPw3",
    ),
    (
        "GET /oauth?client_secret%3DUrlEnc0ded%26x%3D1",
        "UrlEnc0ded",
    ),
    ("login with password Wp4ssword now", "Wp4ssword"),
    ("snmpwalk -v2c -c Snmp0Comm 10.0.0.1", "Snmp0Comm"),
    ("snmp community=PrivComm1", "PrivComm1"),
    ("community string CommStr2 set", "CommStr2"),
    ("-Dcom.snc.proxy.pass=DPass1 -Xmx1g", "DPass1"),
    ("-Djavax.net.ssl.keyStore.pin=4242", "4242"),
    ("MID_PROXY_PASS=EnvPass9", "EnvPass9"),
    ("proc java --password ArgPw77 -jar x", "ArgPw77"),
    ("keytool -storepass StorePw1 -list", "StorePw1"),
    ("Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
    ("sent Basic YWRtaW46c2VjcmV0 header", "YWRtaW46c2VjcmV0"),
    ("sn_token=SnT0k3n", "SnT0k3n"),
    ("X-UserToken: UsrT0k", "UsrT0k"),
    ("apikey=ApiK3y1", "ApiK3y1"),
    ("api key is ApiK3y2", "ApiK3y2"),
    ("proxy http://puser:PrOxyPw@proxy:3128/", "PrOxyPw"),
    ("proxy=puser:PrOxyPw2@proxy.local:3128", "PrOxyPw2"),
    ("secret_key=SecretK3y", "SecretK3y"),
    (
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG",
        "wJalrXUtnFEMI",
    ),
    ("encryption key: QmFzZTY0S2V5QmxvYg==", "QmFzZTY0S2V5QmxvYg"),
    (
        "value=encrypted:7cHG3x8Ssx9m84qHaHlgKQ== x",
        "7cHG3x8Ssx9m84q",
    ),
    (
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig",
        "eyJhbGciOiJIUzI1NiJ9",
    ),
    (
        "gh ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "ghp_abcdefghij",
    ),
    ("slack xoxb-1234567890-abcdefghij", "xoxb-1234567890"),
    (
        "pat github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz used",
        "github_pat_11ABCDEFG",
    ),
    ("gitlab glpat-AbCdEf0123456789_x-YZ99 used", "glpat-AbCdEf"),
    ("key AIzaSyA1234567890abcdefghijklmnopqrstuv", "AIzaSyA123"),
    ("stripe sk_live_0123456789abcdefABCD", "sk_live_0123"),
    ("mysql -u root -pMyPw55 db", "MyPw55"),
    ("sshpass -p SshPw66 ssh host", "SshPw66"),
    ("redis-cli -a RedisPw1 ping", "RedisPw1"),
    (
        "SAS https://a.blob.core.windows.net/c?sv=1&sig=SaSSig0%3D&se=2",
        "SaSSig0",
    ),
    ("AccountKey=AzAcctK3y==;EndpointSuffix=core", "AzAcctK3y"),
    ("/password:WinPw1 /user:bob", "WinPw1"),
    (r#"{"passphrase": 'single q'}"#, "single q"),
    (
        "Proxy-Authorization: NTLM TlRMTVNTUAABAAAA",
        "TlRMTVNTUAABAAAA",
    ),
    ("private_key=MIIEvQIBADANBgkq", "MIIEvQIBADANBgkq"),
    (
        "glide.mid.autoupgrade.proxy_password = Spaced Pw",
        "Spaced Pw",
    ),
    ("<add key=\"DbPassword\" value=\"DotNetPw\"/>", "DotNetPw"),
    ("<SnmpCommunity>ElemComm</SnmpCommunity>", "ElemComm"),
    ("set PGPASSWORD=PgPw1", "PgPw1"),
    ("ldap://cn=admin:LdapPw1@ldap.example.com", "LdapPw1"),
    ("mid.instance.password: hunter2", "hunter2"),
    ("psexec \\\\host -u dom\\bob -p PsExecPw1 cmd", "PsExecPw1"),
    ("ldapsearch -D cn=admin -w LdapW1 -b dc=x", "LdapW1"),
    (
        "schtasks /create /RU bob /RP SchTaskPw1 /TN x",
        "SchTaskPw1",
    ),
    (
        "net use Z: \\\\srv\\share NetUsePw1 /user:dom\\bob",
        "NetUsePw1",
    ),
    (
        "post https://hooks.slack.com/services/T000/B000/SlackHook1",
        "SlackHook1",
    ),
    ("g_ck=CsrfTok1", "CsrfTok1"),
    ("sc config mid obj= .\\bob password= ScPw1", "ScPw1"),
    ("openssl pkcs12 -passin pass:OsslPw1 -in x.p12", "OsslPw1"),
    ("X-API-Key: ApiHdr1", "ApiHdr1"),
    ("Ocp-Apim-Subscription-Key: Apim1", "Apim1"),
    ("redis://:RedisUrlPw@cache:6379/0", "RedisUrlPw"),
    (
        "Server=db;Database=x;User Id=u;Password=ConnStr1;",
        "ConnStr1",
    ),
    ("refresh_token=Refresh1 expires_in=3600", "Refresh1"),
    ("enter pin code 4321 now", "4321"),
];

#[test]
fn every_shape_is_masked() {
    let set = RuleSet::builtin().unwrap();
    let mut failed = Vec::new();
    for (line, secret) in SHAPES {
        let mut c = Counts::new();
        let out = String::from_utf8(set.redact_text(line.as_bytes(), &mut c)).unwrap();
        if out.contains(secret) || c.is_empty() {
            failed.push(format!("{line:?} -> {out:?}"));
        }
        // The live per-line API masks the same.
        assert_eq!(redact_line(line), out.as_str());
    }
    assert!(failed.is_empty(), "leaked:\n{}", failed.join("\n"));
}

#[test]
fn values_on_the_next_line() {
    for (text, secret) in [
        (
            "{\n  \"password\":\n    \"NextLinePw\",\n  \"name\": \"x\"\n}\n",
            "NextLinePw",
        ),
        (
            "wrapper.app.parameter.3=--password\nwrapper.app.parameter.4=AppParamPw\nwrapper.app.parameter.5=-v\n",
            "AppParamPw",
        ),
        ("<password>\n   ElemNextPw\n</password>\n", "ElemNextPw"),
        ("mid.proxy.password=\\\n  ContinuedPw\n", "ContinuedPw"),
    ] {
        let (o, c) = red(text);
        assert!(!o.contains(secret), "{o}");
        assert!(c.contains_key(RULE_NEXT_LINE), "{c:?}");
    }
    let (o, _) = red(
        "wrapper.app.parameter.3=--password\nwrapper.app.parameter.4=AppParamPw\nwrapper.app.parameter.5=-v\n",
    );
    assert!(
        o.contains("wrapper.app.parameter.4=***REDACTED***\nwrapper.app.parameter.5=-v\n"),
        "{o}"
    );
    // The live redactor carries the state across calls.
    let mut live = LiveRedactor::new();
    assert_eq!(live.line("\"token\":"), "\"token\":");
    assert_eq!(live.line("  \"LiveNextTok\""), "  ***REDACTED***");
    assert_eq!(live.line("ordinary line"), "ordinary line");
    assert_eq!(
        live.line("-----BEGIN RSA PRIVATE KEY-----\n"),
        "-----BEGIN RSA PRIVATE KEY-----\n"
    );
    assert_eq!(live.line("MIIEpAIBAAKCAQEA\n"), "***REDACTED***\n");
    assert_eq!(
        live.line("-----END RSA PRIVATE KEY-----\n"),
        "-----END RSA PRIVATE KEY-----\n"
    );
    assert!(live.counts()[RULE_PEM] >= 1);
}

#[test]
fn keeps_what_support_needs() {
    for line in [
        "10/22/18 17:56:13 (898) MIDServer SEVERE *** ERROR *** Unexpected exception, terminating the MID server java.lang.RuntimeException: Unable to unsecure parameter mid.instance.password: Problem while decrypting",
        "10/22/18 17:56:12 (897) AutoUpgrade.3600 Stopping MID server. Bootstrapping upgrade.",
        "10/22/18 17:56:13 (898) AutoUpgrade.3600 Added marker `/opt/servicenow/mid/agent/work/upgrade_temp/1569035472492-0` to upgrade marker file.",
        "2022-10-21T13:08:58.330+0200 INFO (MIDServer) [Main:265] Initializing MID Server",
        "INFO   | jvm 1    | 2019/09/21 16:30:47.114 | INFO: Removing previous MID JRE at `/opt/servicenow/mid/agent/jre`.",
        "2019/12/15 00:37:34 | Startup failed: Timed out waiting for a signal from the JVM.",
        "url=https://acme.service-now.com/ name=mid-prod-01 mid_sys_id=0123456789abcdef0123456789abcdef",
        "Invalid username or password for user admin",
        "Using basic authentication for the proxy",
        "Password expired for user bob",
        "wrapper.java.maxmemory=1024",
        "wrapper.ping.interval=30",
        "mapping=default keystore.path=/opt/x",
    ] {
        let (o, c) = red(&format!("{line}\n"));
        assert_eq!(o.trim_end(), line, "changed by {c:?}");
    }
}

#[test]
fn masks_headers_userinfo_and_pairs() {
    let (o, c) = red("GET / Authorization: Basic dXNlcjpzM2NyZXQ= status=401\n\
         Authorization: Digest username=\"u\", response=\"abc123\"\n\
         x-sn-apikey: now_ABC123\n\
         proxy https://bob:p@ss@proxy.example.com:8080/x ok\n\
         -Djavax.net.ssl.trustStorePassword=hunter2 -Xmx1g\n\
         wrapper.ntservice.password=Sup3r\n\
         {\"client_secret\": \"abc\\\"def\", \"name\": \"keep\"}\n\
         url?user=a&password=xyz&x=1\n");
    assert!(o.contains("Basic ***REDACTED*** status=401"), "{o}");
    for s in [
        "dXNlcjpzM2NyZXQ",
        "abc123",
        "now_ABC123",
        "bob",
        "p@ss",
        "hunter2",
        "Sup3r",
        "abc",
        "xyz",
    ] {
        assert!(!o.contains(s), "{s} leaked in {o}");
    }
    assert!(o.contains("proxy.example.com:8080/x ok"));
    assert!(o.contains("-Xmx1g"));
    assert!(o.contains("\"name\": \"keep\""));
    assert!(o.contains("&x=1"));
    assert_eq!(c["url_userinfo"], 1);
    assert!(c[RULE_PAIR] >= 4, "{c:?}");
}

#[test]
fn triggers_cover_every_secret_word_in_any_case() {
    let set = RuleSet::builtin().unwrap();
    for w in [
        "PassWord=x",
        "PASSWD=x",
        "Pwd=x",
        "PassPhrase=x",
        "SECRET=x",
        "Token=x",
        "ApiKey=x",
        "API_KEY=x",
        "api-key=x",
        "Credential=x",
        "PRIVATE_KEY=x",
        "privateKey=x",
        "Access_Key=x",
        "accessKey=x",
        "AUTH_KEY=x",
        "authKey=x",
        "Community=x",
        "x.PIN=x",
        "Proxy.Pass=x",
    ] {
        let mut c = Counts::new();
        let out = set.redact_text(format!("a {w} b=1\n").as_bytes(), &mut c);
        assert!(
            out.ends_with(b"=***REDACTED*** b=1\n"),
            "{w}: {}",
            String::from_utf8_lossy(&out)
        );
    }
}

#[test]
fn prefilter_stays_on_the_literal_fast_path() {
    // A one-byte literal (like `@`) in the alternation makes the regex crate drop its fast
    // literal search; `@` is searched with memchr instead.
    assert!(
        rules::TRIGGERS
            .iter()
            .all(|t| t.len() >= 3 && *t == t.to_ascii_lowercase())
    );
    let (o, c) = red("see https://u:p@h/ x\n");
    assert_eq!(o, "see https://***REDACTED***@h/ x\n");
    assert_eq!(c["url_userinfo"], 1);
}

#[test]
fn json_stays_valid() {
    let set = RuleSet::builtin().unwrap();
    let mut v = serde_json::json!({"evidence": [{"text": "wrapper.ntservice.password=abc", "line": 3},
        {"text": "Authorization: xyz, more"}], "name": "mid-1"});
    let mut c = Counts::new();
    redact_json(&set, &mut v, &mut c);
    let text = serde_json::to_string(&v).unwrap();
    assert!(!text.contains("abc") && !text.contains("xyz"), "{text}");
    assert!(text.contains("mid-1"));
    assert_eq!(c.values().sum::<u64>(), 2);
}

#[test]
fn pem_blocks_across_lines_and_chunks() {
    let set = RuleSet::builtin().unwrap();
    let mut s = set.stream();
    let mut out = Vec::new();
    let mut c = Counts::new();
    s.push(
        b"before\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADAN\r\n",
        &mut out,
        &mut c,
    );
    s.push(
        b"QUJDREVG\n-----END PRIVATE KEY-----\nafter\n",
        &mut out,
        &mut c,
    );
    let o = String::from_utf8(out).unwrap();
    assert!(
        !o.contains("MIIEvQIBADAN") && !o.contains("QUJDREVG"),
        "{o}"
    );
    assert!(o.starts_with("before\n-----BEGIN PRIVATE KEY-----\n"));
    assert!(o.ends_with("-----END PRIVATE KEY-----\nafter\n"));
    assert!(o.contains("***REDACTED***\r\n"));
    assert_eq!(c[RULE_PEM], 1);
    let (o, _) =
        red("{\"k\":\"-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\"}\n");
    assert!(!o.contains("MIIB"));
}

#[test]
fn config_xml_any_attribute_order_case_and_quotes() {
    let xml = br#"<parameters>
 <parameter name="url" value="https://acme.service-now.com/"/>
 <parameter value="plain-secret" name="mid.instance.password" encrypt="true"/>
 <parameter name="mid.proxy.password" secure="true" value="encrypted:7cHG3x8Ssx9m84qHaHlgKQ=="/>
 <parameter name="ext.cred.azure.client_id" value="cid-123"/>
 <!-- <parameter name="glide.mid.autoupgrade.proxy_password" value="commented"/> -->
 <parameter description="a > b" name="mid.proxy.pass" value="gt-in-attr"/>
 <PARAMETER NAME="MID.SNMP.COMMUNITY" VALUE="upper-case"/>
 <parameter name="mid.x.token"
            value="multi-line"/>
 <parameter name="mid.y.password">element-text</parameter>
 <password>bare-element</password>
 <parameter name="name" value="mid-prod-01"/>
 <parameter name="mid_sys_id" value="0123abcd"/>
 <parameter name="threads.max" value="25"/>
 <parameter name="mid.ping.interval" value="30"/>
</parameters>"#;
    let mut c = Counts::new();
    let out =
        String::from_utf8(RuleSet::builtin().unwrap().redact_config_xml(xml, &mut c)).unwrap();
    for s in [
        "plain-secret",
        "7cHG3x8",
        "cid-123",
        "commented",
        "gt-in-attr",
        "upper-case",
        "multi-line",
        "element-text",
        "bare-element",
    ] {
        assert!(!out.contains(s), "{s} leaked: {out}");
    }
    for s in [
        "https://acme.service-now.com/",
        "mid-prod-01",
        "0123abcd",
        "\"25\"",
        "\"30\"",
    ] {
        assert!(out.contains(s), "{s} lost: {out}");
    }
    assert_eq!(c[RULE_CONFIG_XML], 8, "{c:?}");
}

#[test]
fn user_rules_and_bad_rule() {
    let set = RuleSet::with_user_rules("# comment\n\nACME-[0-9]{4}\nticket=(\\w+)\n").unwrap();
    let mut c = Counts::new();
    let o = set.redact_text(b"id ACME-1234 and ticket=XY9 done\n", &mut c);
    assert_eq!(o, b"id ***REDACTED*** and ticket=***REDACTED*** done\n");
    assert_eq!(c["user_rule_line_3"], 1);
    assert_eq!(c["user_rule_line_4"], 1);
    // Anchored user rules apply per line, also in the middle of a chunk.
    let set = RuleSet::with_user_rules("^SECRET:.*$\n").unwrap();
    let mut c = Counts::new();
    let o = set.redact_text(b"a\r\nMYRULE: x y\r\nb MYRULE: no\n", &mut c);
    assert_eq!(o, b"a\r\nMYRULE: x y\r\nb MYRULE: no\n");
    let set = RuleSet::with_user_rules("^MYRULE:.*$\n").unwrap();
    let o = set.redact_text(b"a\r\nMYRULE: x y\r\nb MYRULE: no\n", &mut c);
    assert_eq!(o, b"a\r\n***REDACTED***\r\nb MYRULE: no\n");
    let err = RuleSet::with_user_rules("ok\n(unclosed\n").unwrap_err();
    assert!(format!("{err:#}").contains("line 2"));
}

#[test]
fn invalid_utf8_and_no_newline() {
    let mut c = Counts::new();
    let o = RuleSet::builtin()
        .unwrap()
        .redact_text(b"\xff\xfe token=abc\xff", &mut c);
    assert_eq!(o, "\u{fffd}\u{fffd} token=***REDACTED***".as_bytes());
}

#[test]
fn live_line_borrows_when_clean() {
    assert!(matches!(
        redact_line("MID Server started"),
        Cow::Borrowed(_)
    ));
    assert_eq!(redact_line("token=abc"), "token=***REDACTED***");
}

/// The gate may only skip a rule whose own regex cannot match the line: on every shape, on
/// random mixes of secret words, punctuation and non-ASCII text, its answer (when it has one)
/// equals each rule's `is_match`.
#[test]
fn the_gate_agrees_with_every_rule_or_says_unknown() {
    let set = RuleSet::builtin().unwrap();
    let mut patterns: Vec<&Regex> = set.rules.iter().map(|r| &r.re).collect();
    patterns.extend([&set.pair, &set.flag.re, &set.phrase.re]);
    assert_eq!(patterns.len(), set.gate.len());
    let words = [
        "connect",
        "password",
        "token=",
        "key",
        "auth",
        "Basic",
        "Bearer",
        "session",
        "pin",
        "jdbc:",
        "--user",
        "-u ",
        "secret:",
        "://",
        "@host",
        "sig=",
        "AKIA",
        "eyJ",
        "pass",
        "Authorization:",
        "cookie:",
        "\"password\":",
        "<password>",
        "mysql -p",
        "-----BEGIN",
    ];
    let alpha: Vec<char> = "abcXYZ019_-.=:\"'@/ \t,;()[]<>{}%+\\éßдж中🙂"
        .chars()
        .collect();
    let mut lines: Vec<String> = SHAPES.iter().map(|(l, _)| l.to_string()).collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for _ in 0..3000 {
        let mut l = String::from("2026/11/21 00:00:01 ");
        for _ in 0..1 + next(12) {
            if next(3) == 0 {
                l.push_str(words[next(words.len())]);
            } else {
                for _ in 0..1 + next(10) {
                    l.push(alpha[next(alpha.len())]);
                }
            }
            if next(2) == 0 {
                l.push(' ');
            }
        }
        lines.push(l);
    }
    let mut session = set.gate.session();
    let (mut answered, mut ascii) = (0, 0);
    for line in &lines {
        ascii += line.is_ascii() as usize;
        let Some(found) = session.matches(line.as_bytes()) else {
            continue;
        };
        answered += 1;
        for (i, re) in patterns.iter().enumerate() {
            let said = found.contains(regex_automata::PatternID::new_unchecked(i));
            assert_eq!(said, re.is_match(line.as_bytes()), "rule {i} on {line:?}");
        }
    }
    // It must answer for plain ASCII lines, or it saves nothing.
    assert!(
        answered >= ascii,
        "answered {answered} of {ascii} ASCII lines"
    );
}
