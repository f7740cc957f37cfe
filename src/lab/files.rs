//! The files of a MID build (`bin`, `lib`, `jre`) and the static configuration files of an
//! install (mid-server.md §1.2, §3, §5.4), as data plus small writers.

use std::path::Path;

use anyhow::Context;

use crate::platform::Platform;

/// Files of `agent/lib`, in the order the upgrade walks them (the scenarios' locked files sit
/// where their story needs them: `snc-discovery.jar` about 70% down the list).
const LIB_COMMON: &[&str] = &[
    "bcpkix-jdk18on.jar",
    "bcprov-jdk18on.jar",
    "commons-codec.jar",
    "commons-io.jar",
    "commons-lang3.jar",
    "commons-logging.jar",
    "glide-mid-common.jar",
    "groovy.jar",
    "guava.jar",
    "httpclient.jar",
    "httpcore.jar",
    "jackson-annotations.jar",
    "jackson-core.jar",
    "jackson-databind.jar",
    "joda-time.jar",
    "jsch.jar",
    "json.jar",
    "log4j-api.jar",
    "log4j-core.jar",
    "mail.jar",
    "mid.jar",
    "rhino.jar",
    "slf4j-api.jar",
    "snc-discovery.jar",
    "snc-orchestration.jar",
    "snmp4j.jar",
    "wrapper.jar",
    "xercesImpl.jar",
    "xml-apis.jar",
];

/// `rel` paths (relative to `agent/`) of one directory of the build, in upgrade order.
pub fn build_files(platform: Platform, dir: &str) -> Vec<String> {
    let list: Vec<&str> = match (dir, platform) {
        ("bin", Platform::Linux) => vec![
            "mid.sh",
            "mid.shconf",
            "wrapper-linux-x86-64",
            "scripts/install-certificate.sh",
        ],
        ("bin", Platform::Windows) => vec![
            "InstallMID-NT.bat",
            "UninstallMID-NT.bat",
            "mid.bat",
            "wrapper-windows-x86-64.exe",
            "scripts/install-certificate.bat",
            "scripts/manage-certificates.bat",
        ],
        ("lib", p) => {
            let mut v = LIB_COMMON.to_vec();
            v.push(match p {
                Platform::Linux => "libwrapper-linux-x86-64.so",
                Platform::Windows => "wrapper-windows-x86-64.dll",
            });
            if p == Platform::Windows {
                v.push("sigar-amd64-winnt.dll");
            }
            v
        }
        ("jre", Platform::Linux) => vec![
            "release",
            "lib/modules",
            "lib/security/cacerts",
            "bin/java",
            "bin/keytool",
        ],
        ("jre", Platform::Windows) => vec![
            "release",
            "lib/modules",
            "lib/security/cacerts",
            "bin/java.exe",
            "bin/javaw.exe",
            "bin/keytool.exe",
        ],
        _ => vec![],
    };
    list.into_iter().map(|f| format!("{dir}/{f}")).collect()
}

/// Files the upgrade never deletes (user configuration living in `bin`).
pub fn preserved(rel: &str) -> bool {
    rel == "bin/mid.shconf_override"
}

/// Stand-in content of one build file: small, and naming its build so a test can tell old
/// from new.
pub fn build_content(rel: &str, version: &str, jre: &str) -> String {
    if rel == "jre/release" {
        return format!(
            "IMPLEMENTOR=\"Eclipse Adoptium\"\nJAVA_VERSION=\"{jre}\"\nJAVA_RUNTIME_VERSION=\"{jre}+7\"\n"
        );
    }
    if rel.ends_with(".sh") || rel == "bin/wrapper-linux-x86-64" {
        return format!(
            "#!/bin/sh\n# {rel} of MID build {version}: midrescue training-lab stand-in.\n\
             echo 'midrescue lab: this MID Server is simulated; {rel} does nothing here.' >&2\nexit 1\n"
        );
    }
    if rel.ends_with(".bat") {
        return format!(
            "@echo off\r\nrem {rel} of MID build {version}: midrescue training-lab stand-in.\r\nexit /b 1\r\n"
        );
    }
    format!("midrescue training-lab stand-in for agent/{rel}\nbuild={version}\njre={jre}\n")
}

/// Write one build (the files of `bin`, `lib`, `jre`) under `agent_like` (an `agent` folder).
pub fn write_build(
    agent_like: &Path,
    platform: Platform,
    version: &str,
    jre: &str,
) -> anyhow::Result<()> {
    for dir in ["bin", "lib", "jre"] {
        for rel in build_files(platform, dir) {
            let exec = rel.ends_with(".sh")
                || rel.starts_with("jre/bin/")
                || rel == "bin/wrapper-linux-x86-64";
            write(
                &agent_like.join(&rel),
                &build_content(&rel, version, jre),
                exec,
            )?;
        }
    }
    Ok(())
}

/// Write `text` to `path`, creating parents; `exec` sets mode 0755 on unix.
pub fn write(path: &Path, text: &str, exec: bool) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    set_exec(path, exec)
}

pub fn set_exec(path: &Path, exec: bool) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if exec { 0o755 } else { 0o644 };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("chmod {}", path.display()))?;
    }
    #[cfg(not(unix))]
    {
        let _ = (path, exec);
    }
    Ok(())
}

/// Package file names of a build (§5.5): (mid-core, mid-jre, mid-upgrade).
pub fn package_names(platform: Platform, version: &str) -> [String; 3] {
    [
        format!("mid-core.{version}.universal.universal.zip"),
        format!("mid-jre.{version}.{}.x86-64.zip", platform.as_str()),
        format!("mid-upgrade.{version}.universal.universal.zip"),
    ]
}

/// `package/meta/*.meta.properties` for `version` (KB0812239 shape).
pub fn write_meta(agent: &Path, platform: Platform, version: &str) -> anyhow::Result<()> {
    let [core, jre, _] = package_names(platform, version);
    let stamp = chrono::Local::now().format("%a, %d %b %Y %H:%M:%S %z");
    let meta = agent.join("package/meta");
    write(
        &meta.join("mid-core.meta.properties"),
        &format!("#{stamp}\npackage.filename={core}\n"),
        false,
    )?;
    write(
        &meta.join("mid-jre.meta.properties"),
        &format!("#{stamp}\npackage.filename={jre}\n"),
        false,
    )
}

/// The buildstamp recorded in `package/meta/mid-core.meta.properties`.
pub fn read_meta_version(agent: &Path) -> Option<String> {
    let text = std::fs::read_to_string(agent.join("package/meta/mid-core.meta.properties")).ok()?;
    text.lines()
        .find_map(|l| l.trim().strip_prefix("package.filename="))
        .and_then(|f| f.strip_prefix("mid-core."))
        .and_then(|f| f.strip_suffix(".universal.universal.zip"))
        .map(str::to_string)
}

/// A small real zip (one stored entry) standing in for a downloaded package.
pub fn write_package_zip(path: &Path, name: &str) -> anyhow::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file =
        std::fs::File::create(path).with_context(|| format!("writing {}", path.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("README.txt", opts)?;
    zip.write_all(format!("midrescue training-lab stand-in for {name}\n").as_bytes())?;
    zip.finish()?;
    Ok(())
}

/// Everything that identifies the lab MID in its configuration files.
pub struct Identity<'a> {
    pub platform: Platform,
    pub name: &'a str,
    pub url: &'a str,
    pub sys_id: &'a str,
}

/// `config.xml` (§3.1), secrets already encrypted as the MID rewrites them on first read.
pub fn config_xml(id: &Identity<'_>) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<parameters>
    <!-- Instance: the url of the instance the MID Server talks to -->
    <parameter name="url" value="{url}"/>
    <parameter name="mid.instance.username" value="svc_mid_{name_us}"/>
    <parameter name="mid.instance.password" secure="true" value="encrypted:7cHG3x8Ssx9m84qHaHlgKQ=="/>
    <!-- MID Server identification -->
    <parameter name="name" value="{name}"/>
    <parameter name="mid_sys_id" value="{sys_id}"/>
    <!-- Proxy to the instance -->
    <parameter name="mid.proxy.use_proxy" value="true"/>
    <parameter name="mid.proxy.host" value="proxy.corp.example"/>
    <parameter name="mid.proxy.port" value="3128"/>
    <parameter name="mid.proxy.username" value="proxy_mid"/>
    <parameter name="mid.proxy.password" secure="true" value="encrypted:Qm9ndXNQcm94eVNlY3JldDE="/>
    <!-- External credential vault -->
    <parameter name="mid.ext.cred.hashicorp.vault.token" secure="true" value="encrypted:aHZzLkxBQlRPS0VOLWZha2U="/>
    <parameter name="threads.max" value="25"/>
    <parameter name="instance.date.format" value="yyyy-MM-dd"/>
    <parameter name="mid.upgrade.run_precheck" value="true"/>
</parameters>
"#,
        url = id.url,
        name = id.name,
        name_us = id.name.replace('-', "_"),
        sys_id = id.sys_id,
    )
}

/// `conf/wrapper.conf` of the MID (the shipped defaults; §1.2).
pub fn wrapper_conf(platform: Platform) -> String {
    let java = match platform {
        Platform::Windows => "jre\\bin\\java",
        Platform::Linux => "jre/bin/java",
    };
    format!(
        "#encoding=UTF-8\n\
         # Java Service Wrapper configuration of the ServiceNow MID Server.\n\
         # Put your changes in wrapper-override.conf, not here.\n\
         wrapper.java.command={java}\n\
         wrapper.java.mainclass=org.tanukisoftware.wrapper.WrapperStartStopApp\n\
         wrapper.java.classpath.1=lib/*.jar\n\
         wrapper.java.library.path.1=lib\n\
         wrapper.java.additional.1=-Djava.util.logging.config.file=properties/glide.properties\n\
         wrapper.app.parameter.1=com.service_now.mid.Main\n\
         wrapper.java.maxmemory=1024\n\
         wrapper.logfile=logs/wrapper.log\n\
         wrapper.logfile.format=TM\n\
         wrapper.logfile.maxsize=10m\n\
         wrapper.logfile.maxfiles=10\n\
         wrapper.name=snc_mid\n\
         wrapper.displayname=ServiceNow MID Server\n\
         #include ../conf/wrapper-jvm.conf\n\
         #include ../conf/wrapper-override.conf\n"
    )
}

/// `conf/wrapper-override.conf` (Unix line ends, as the docs require).
pub fn wrapper_override_conf(id: &Identity<'_>) -> String {
    let mut s = format!(
        "# Overrides of wrapper.conf for this MID Server.\n\
         wrapper.name=snc_mid_{name}\n\
         wrapper.displayname=ServiceNow MID Server_{name}\n\
         wrapper.java.maxmemory=2048\n",
        name = id.name
    );
    if id.platform == Platform::Windows {
        s.push_str(
            "wrapper.ntservice.account=CORP\\svc-mid\n\
             wrapper.ntservice.password=Lab-NtService-Secret-42\n\
             wrapper.ntservice.permissions.1.account=CORP\\mid-operators\n\
             wrapper.ntservice.permissions.1.allow=START_STOP_QUERY\n",
        );
    }
    s
}

/// `bin/mid.shconf_override` (Linux; §2.2). The lab MID "runs as" the user who built the lab
/// (its processes do), so ownership checks see a consistent install.
pub fn shconf_override(name: &str) -> String {
    let user = current_user().unwrap_or_else(|| "mid".to_string());
    format!(
        "# Overrides of mid.shconf for this MID Server.\n\
         APP_NAME=mid\n\
         APP_LONG_NAME=ServiceNow_MID_Server_{name}\n\
         RUN_AS_USER={user}\n\
         GROUP_NAME={user}\n\
         SYSTEMD_KILLMODE=process\n\
         PROMPT_BEFORE_OWNERSHIP_CHANGE=false\n"
    )
}

/// The name of the user this process runs as (from `/etc/passwd`).
fn current_user() -> Option<String> {
    #[cfg(unix)]
    {
        // SAFETY: getuid has no preconditions and cannot fail.
        let uid = unsafe { libc::getuid() };
        let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
        passwd.lines().find_map(|l| {
            let mut it = l.split(':');
            let name = it.next()?;
            it.next()?;
            (it.next()?.trim().parse::<u32>().ok()? == uid).then(|| name.to_string())
        })
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// `upgrade-wrapper/conf/wrapper.conf` of the Distribution Upgrade.
pub fn upgrade_wrapper_conf(platform: Platform, agent: &Path, name: &str) -> String {
    let sep = if platform == Platform::Windows {
        "\\"
    } else {
        "/"
    };
    format!(
        "#encoding=UTF-8\n\
         # ServiceNow Platform Distribution Upgrade\n\
         wrapper.java.command={java}\n\
         wrapper.java.mainclass=org.tanukisoftware.wrapper.WrapperSimpleApp\n\
         wrapper.java.classpath.1=..{sep}lib{sep}*.jar\n\
         wrapper.app.parameter.1=com.snc.dist.mid_upgrade.UpgradeMain\n\
         wrapper.app.parameter.2={agent}\n\
         wrapper.logfile=..{sep}logs{sep}glide-dist-upgrade.log\n\
         wrapper.logfile.format=LPTM\n\
         wrapper.console.format=PM\n\
         wrapper.name=snc-platform-dist-upgrade-{name}\n\
         wrapper.displayname=ServiceNow Platform Distribution Upgrade ({name})\n\
         wrapper.ntservice.starttype=DEMAND_START\n",
        java = agent.join("jre").join("bin").join("java").display(),
        agent = agent.display(),
    )
}

/// `properties/glide.properties` (logging settings up to Washington DC; §4.1).
pub const GLIDE_PROPERTIES: &str = "handlers=java.util.logging.FileHandler\n\
java.util.logging.FileHandler.pattern=logs/agent%u.log\n\
java.util.logging.FileHandler.limit=10000000\n\
java.util.logging.FileHandler.count=10\n\
java.util.logging.FileHandler.append=true\n\
java.util.logging.FileHandler.formatter=com.service_now.mid.logging.MidLogFormatter\n";
