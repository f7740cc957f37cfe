//! A small builder of MID installs in temp folders, from the real lines of mid-server.md,
//! shared by the tests/detect_*.rs binaries.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use midrescue::host::Host;
use midrescue::mid::detect::DetectOptions;
use midrescue::platform::Platform;
use midrescue::platform::service::{ServiceControl, ServiceState, ServiceStatus, StartType};

pub struct MidFixture {
    pub root: tempfile::TempDir,
    pub agent: PathBuf,
    pub platform: Platform,
}

/// Real buildstamps (mid-server.md §5.5).
pub const OLD: &str = "tokyo-07-08-2022__patch4-12-14-2022_12-21-2022_1048";
pub const NEW: &str = "yokohama-12-18-2024__patch12-hotfix2b-05-18-2026_06-19-2026_0219";

impl MidFixture {
    /// A healthy-looking install laid out like `platform`.
    pub fn new(platform: Platform) -> Self {
        let root = tempfile::tempdir().expect("tempdir");
        let agent = root.path().join("mid").join("agent");
        let f = MidFixture {
            root,
            agent,
            platform,
        };
        f.write(
            "config.xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<parameters>\n    \
             <parameter name=\"url\" value=\"https://acme.service-now.com/\"/>\n    \
             <parameter name=\"mid.instance.username\" value=\"mid_user\"/>\n    \
             <parameter name=\"mid.instance.password\" secure=\"true\" value=\"encrypted:7cHG3x8Ssx9m84qHaHlgKQ==\"/>\n    \
             <parameter value=\"mid-prod-1\" name=\"name\"/>\n    \
             <parameter name=\"mid_sys_id\" value=\"0123456789abcdef0123456789abcdef\"/>\n</parameters>\n",
        );
        f.write(
            "conf/wrapper.conf",
            "wrapper.name=snc_mid\nwrapper.displayname=ServiceNow MID Server\n",
        );
        f.write(
            "conf/wrapper-override.conf",
            "wrapper.name=snc_mid_prod1\nwrapper.displayname=ServiceNow MID Server_prod1\n",
        );
        match platform {
            Platform::Windows => {
                f.write("bin/mid.bat", "@echo off\r\n");
                f.write("bin/wrapper-windows-x86-64.exe", "MZ");
            }
            Platform::Linux => {
                // Not executable: detect on a test host must not run it.
                f.write("bin/mid.sh", "#!/bin/sh\n");
                f.write("bin/wrapper-linux-x86-64", "\x7fELF");
                f.write(
                    "bin/mid.shconf_override",
                    "APP_NAME=mid\nAPP_LONG_NAME=ServiceNow MID Server\nRUN_AS_USER=midserver\n",
                );
            }
        }
        for j in [
            "mid.jar",
            "commons-io.jar",
            "glide-util.jar",
            "log4j.jar",
            "snc-ssl.jar",
            "wrapper.jar",
        ] {
            f.write(&format!("lib/{j}"), "PK");
        }
        f.write(
            "package/meta/mid-core.meta.properties",
            &format!("#Thu, 02 Jan 2020 17:48:12 -0800\npackage.filename=mid-core.{OLD}.universal.universal.zip\n"),
        );
        f
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.agent.join(rel)
    }

    pub fn write(&self, rel: &str, content: &str) -> PathBuf {
        self.write_bytes(rel, content.as_bytes())
    }

    pub fn write_bytes(&self, rel: &str, content: &[u8]) -> PathBuf {
        let p = self.agent.join(rel);
        write_file(&p, content);
        p
    }

    /// Write `logs/agent0.log.<generation>` with these lines (LF endings).
    pub fn agent_log(&self, generation: u32, lines: &[String]) -> PathBuf {
        let mut text = lines.join("\n");
        text.push('\n');
        self.write(&format!("logs/agent0.log.{generation}"), &text)
    }

    /// An upgrade temp folder at `dir` with script, conf, wrapper and upgrade log lines.
    pub fn temp_folder_at(&self, dir: &Path, upgrade_log: &[&str]) -> PathBuf {
        let uw = dir.join("upgrade-wrapper");
        let script = match self.platform {
            Platform::Windows => "glide-dist-upgrade.bat",
            Platform::Linux => "glide-dist-upgrade.sh",
        };
        write_file(&uw.join("bin").join(script), b"#!/bin/sh\necho upgrade\n");
        set_executable(&uw.join("bin").join(script), true);
        let exe = match self.platform {
            Platform::Windows => "wrapper-windows-x86-64.exe",
            Platform::Linux => "wrapper-linux-x86-64",
        };
        write_file(&uw.join("bin").join(exe), b"bin");
        write_file(
            &uw.join("conf/wrapper.conf"),
            format!("wrapper.app.parameter.2={}\n", self.agent.display()).as_bytes(),
        );
        let mut log = upgrade_log.join("\n");
        log.push('\n');
        write_file(&uw.join("logs/glide-dist-upgrade.log"), log.as_bytes());
        write_file(
            &dir.join("agent/package/meta/mid-core.meta.properties"),
            format!("package.filename=mid-core.{NEW}.universal.universal.zip\n").as_bytes(),
        );
        dir.to_path_buf()
    }

    /// A Rome+ temp folder `agent/work/upgrade_temp/<name>`.
    pub fn temp_folder(&self, name: &str, upgrade_log: &[&str]) -> PathBuf {
        self.temp_folder_at(
            &self.path(&format!("work/upgrade_temp/{name}")),
            upgrade_log,
        )
    }

    /// The marker path as the MID would write it for this platform.
    pub fn marker_text(&self, dir: &Path) -> String {
        match self.platform {
            Platform::Windows => dir.display().to_string().replace('/', "\\"),
            Platform::Linux => dir.display().to_string(),
        }
    }

    /// Scan places that stay inside the fixture.
    pub fn options(&self) -> DetectOptions {
        DetectOptions {
            os_temp_dirs: vec![self.root.path().join("ostmp")],
            systemd_root: Some(self.root.path().join("sysroot")),
            passwd_file: Some(self.root.path().join("sysroot/etc/passwd")),
        }
    }
}

pub fn write_file(p: &Path, content: &[u8]) {
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, content).expect("write");
}

/// A symbolic link at `link` to `target`. On Windows, a directory or file link by what `target`
/// is (needs Developer Mode or an elevated run, as on CI's Windows runners).
pub fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    return std::os::unix::fs::symlink(target, link);
    #[cfg(windows)]
    return if target.is_dir() {
        std::os::windows::fs::symlink_dir(target, link)
    } else {
        std::os::windows::fs::symlink_file(target, link)
    };
}

/// Set or clear the execute bits. Windows has no execute bit: nothing to do there (so the
/// "script not executable" fact exists only on a Unix host).
pub fn set_executable(p: &Path, exec: bool) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if exec { 0o755 } else { 0o644 };
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    #[cfg(not(unix))]
    let _ = (p, exec);
}

/// Legacy agent line `MM/dd/yy HH:mm:ss (mmm) Thread msg` at minute `m` of 2019-09-21 16:xx.
pub fn legacy(m: u32, thread: &str, msg: &str) -> String {
    format!("09/21/19 16:{m:02}:12 (551) {thread} {msg}")
}

/// ISO agent line at minute `m` of 2022-10-24 09:xx +0200.
pub fn iso(m: u32, thread: &str, msg: &str) -> String {
    format!("2022-10-24T09:{m:02}:35.193+0200 INFO ({thread}) [Cls:1] {msg}")
}

/// The crashed-upgrade sequence of mid-server.md §4.4 in the legacy format.
pub fn legacy_upgrade_lines(marker: &str) -> Vec<String> {
    vec![
        legacy(0, "MIDServer", "MID Server started"),
        legacy(
            1,
            "StartupSequencer",
            "Successfully connected to instance: https://acme.service-now.com/",
        ),
        legacy(
            20,
            "AutoUpgrade.3600",
            "Checking to see if MID server needs to upgrade.",
        ),
        legacy(20, "AutoUpgrade.3600", "Current packages:"),
        legacy(
            20,
            "AutoUpgrade.3600",
            &format!("Installed: [mid-core.{OLD}.universal.universal.zip]"),
        ),
        legacy(
            20,
            "AutoUpgrade.3600",
            &format!(
                "Assigned: [mid-upgrade.{NEW}.universal.universal.zip, mid-core.{NEW}.universal.universal.zip, mid-jre.{NEW}.windows.x86-64.zip]"
            ),
        ),
        legacy(21, "AutoUpgrade.3600", "Setting mid status to Upgrading"),
        legacy(
            22,
            "AutoUpgrade.3600",
            "Stopping MID server. Bootstrapping upgrade.",
        ),
        legacy(
            22,
            "AutoUpgrade.3600",
            "Gobbling stderr: cmd.exe /C bin\\glide-dist-upgrade.bat start Gobbled: ",
        ),
        legacy(
            22,
            "AutoUpgrade.3600",
            &format!("Added marker `{marker}` to upgrade marker file."),
        ),
        legacy(23, "WrapperListener_stop_runner", "Stopping MID server"),
        legacy(23, "MIDServer", "MID Server stopping"),
        legacy(23, "MIDServer", "MID Server stopped"),
    ]
}

/// The same sequence in the ISO format.
pub fn iso_upgrade_lines(marker: &str) -> Vec<String> {
    vec![
        iso(0, "MIDServer", "Initializing MID Server"),
        iso(
            20,
            "AutoUpgrade.3600",
            &format!("Assigned: [mid-core.{NEW}.universal.universal.zip]"),
        ),
        iso(
            22,
            "AutoUpgrade.3600",
            "Stopping MID server. Bootstrapping upgrade.",
        ),
        iso(
            22,
            "AutoUpgrade.3600",
            "Gobbling stderr: /bin/sh -c bin/glide-dist-upgrade.sh start Gobbled: ",
        ),
        iso(
            22,
            "AutoUpgrade.3600",
            &format!("Added marker `{marker}` to upgrade marker file."),
        ),
        iso(29, "MIDServer", "MID Server stopping"),
    ]
}

/// A service control with a fixed answer.
pub struct FixedService {
    pub state: ServiceState,
    pub start_type: Option<StartType>,
    pub upgrade_running: bool,
}

impl ServiceControl for FixedService {
    fn query(&self) -> ServiceStatus {
        ServiceStatus {
            name: Some("snc_mid_prod1".into()),
            display_name: None,
            state: self.state,
            start_type: self.start_type,
            raw: String::new(),
            note: None,
        }
    }
    fn set_start_type(&self, _s: StartType) -> anyhow::Result<()> {
        anyhow::bail!("fixture")
    }
    fn upgrade_process_running(&self) -> bool {
        self.upgrade_running
    }
}

pub fn host(platform: Platform, state: ServiceState, start_type: Option<StartType>) -> Host {
    Host {
        platform,
        service: std::sync::Arc::new(FixedService {
            state,
            start_type,
            upgrade_running: false,
        }),
        lab_root: None,
    }
}

pub fn unknown_host(platform: Platform) -> Host {
    host(platform, ServiceState::Unknown, None)
}
