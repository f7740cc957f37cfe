//! Every preflight check on a fixture that fails it and one that passes it, through the real
//! engine with a fixture host (`Facts`), in text and JSON.

use std::path::{Path, PathBuf};

use midrescue::commands::preflight::render_text;
use midrescue::platform::Platform;
use midrescue::platform::access::Account;
use midrescue::platform::holders::{Holder, HolderScan};
use midrescue::platform::mounts::parse_mountinfo;
use midrescue::platform::service::{
    ServiceControl, ServiceSetup, ServiceState, ServiceStatus, StartType,
};
use midrescue::preflight::{self, CheckId, Facts, Options, PreflightReport, Status};

const ROME: &str = "tokyo-07-08-2022__patch4-12-14-2022_12-21-2022_1048";
const NEWYORK: &str = "newyork-06-26-2019__patch2-09-18-2019_09-24-2019_1701";

struct Svc {
    state: ServiceState,
    start: Option<StartType>,
    setup: ServiceSetup,
    upgrading: bool,
}

impl ServiceControl for Svc {
    fn query(&self) -> ServiceStatus {
        ServiceStatus {
            name: Some("mid".into()),
            display_name: None,
            state: self.state,
            start_type: self.start,
            raw: String::new(),
            note: None,
        }
    }
    fn set_start_type(&self, _: StartType) -> anyhow::Result<()> {
        anyhow::bail!("fixture")
    }
    fn upgrade_process_running(&self) -> bool {
        self.upgrading
    }
    fn setup(&self) -> ServiceSetup {
        self.setup.clone()
    }
}

struct Fake {
    platform: Platform,
    svc: Svc,
    holders: HolderScan,
    own: Vec<u32>,
    mounts: String,
    free: Option<u64>,
    account: Option<Account>,
    others: Vec<PathBuf>,
    os_temp: PathBuf,
    admins: Option<Vec<String>>,
}

impl Facts for Fake {
    fn platform(&self) -> Platform {
        self.platform
    }
    fn service(&self) -> &dyn ServiceControl {
        &self.svc
    }
    fn open_files(&self, _: &[PathBuf]) -> HolderScan {
        self.holders.clone()
    }
    fn mid_processes(&self, _: &Path) -> Vec<u32> {
        self.own.clone()
    }
    fn parent_of(&self, pid: u32) -> Option<u32> {
        // The MID's JVM (pid 501) is a child of its wrapper (500).
        (pid == 501).then_some(500)
    }
    fn mounts(&self) -> Option<Vec<midrescue::platform::mounts::Mount>> {
        Some(parse_mountinfo(&self.mounts))
    }
    fn free_bytes(&self, _: &Path) -> Option<u64> {
        self.free
    }
    fn account(&self, _: &str) -> Option<Account> {
        self.account.clone()
    }
    fn owner_name(&self, _: &Path) -> Option<String> {
        Some("mid".into())
    }
    fn other_installs(&self, _: &Path) -> Vec<PathBuf> {
        self.others.clone()
    }
    fn os_temp_dir(&self) -> PathBuf {
        self.os_temp.clone()
    }
    fn administrators(&self) -> Option<Vec<String>> {
        self.admins.clone()
    }
}

fn me() -> Account {
    #[cfg(unix)]
    let (uid, gid) = (unsafe { libc_geteuid() }, 0);
    #[cfg(not(unix))]
    let (uid, gid) = (1000, 1000);
    Account {
        name: "mid".into(),
        uid,
        gids: vec![gid],
    }
}

#[cfg(unix)]
unsafe fn libc_geteuid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    // The owner of a file we just made is who we are.
    let f = tempfile::NamedTempFile::new().unwrap();
    f.as_file().metadata().unwrap().uid()
}

/// A minimal healthy Linux install at `version`, with config.xml parameters `params`.
fn install(dir: &Path, version: &str, params: &[(&str, &str)]) -> PathBuf {
    let a = dir.join("agent");
    for d in [
        "bin/scripts",
        "lib",
        "jre/bin",
        "conf",
        "package/meta",
        "package/incoming",
        "work",
        "logs",
    ] {
        std::fs::create_dir_all(a.join(d)).unwrap();
    }
    let mut xml = String::from(
        "<?xml version=\"1.0\"?>\n<parameters>\n  <parameter name=\"name\" value=\"mid-a\"/>\n  <parameter name=\"url\" value=\"https://acme.service-now.com/\"/>\n  <parameter name=\"mid.instance.password\" value=\"Sup3r-Secret-Pw\"/>\n",
    );
    for (k, v) in params {
        xml.push_str(&format!("  <parameter name=\"{k}\" value=\"{v}\"/>\n"));
    }
    xml.push_str("</parameters>\n");
    std::fs::write(a.join("config.xml"), xml).unwrap();
    std::fs::write(
        a.join("conf/wrapper-override.conf"),
        "wrapper.name=snc_mid_a\n",
    )
    .unwrap();
    std::fs::write(a.join("conf/wrapper.conf"), "wrapper.name=snc_mid\n").unwrap();
    std::fs::write(
        a.join("package/meta/mid-core.meta.properties"),
        format!("package.filename=mid-core.{version}.universal.universal.zip\n"),
    )
    .unwrap();
    std::fs::write(a.join("bin/mid.sh"), "#!/bin/sh\n").unwrap();
    std::fs::write(a.join("lib/mid.jar"), "jar").unwrap();
    set_mode(&a.join("bin/mid.sh"), 0o755);
    a
}

fn set_mode(p: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = (p, mode);
}

fn fake(dir: &Path) -> Fake {
    Fake {
        platform: Platform::Linux,
        svc: Svc {
            state: ServiceState::Running,
            start: Some(StartType::Auto),
            setup: ServiceSetup {
                account: Some("mid".into()),
                account_source: Some("fixture".into()),
                systemd: true,
                kill_mode: Some("process".into()),
                upgrade_services: Some(Vec::new()),
                raw: String::new(),
                note: None,
            },
            upgrading: false,
        },
        holders: HolderScan::default(),
        own: vec![500],
        mounts: "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n".into(),
        free: Some(10 << 30),
        account: Some(me()),
        others: Vec::new(),
        os_temp: dir.join("os-temp"),
        admins: None,
    }
}

fn run(agent: &Path, f: &Fake) -> PreflightReport {
    preflight::run(agent, f, &Options::default())
}

fn status(r: &PreflightReport, id: CheckId) -> Status {
    r.check(id).unwrap().status
}

/// The report says `want` for `id` in text and JSON alike, and no secret shows in either.
fn says(r: &PreflightReport, id: CheckId, want: Status) {
    assert_eq!(status(r, id), want, "{id}: {:#?}", r.check(id));
    let json = serde_json::to_value(r).unwrap();
    let c = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id.to_string())
        .unwrap();
    assert_eq!(c["status"], want.to_string());
    let text = render_text(r);
    let word = match want {
        Status::Pass => "[PASS]",
        Status::Warn => "[WARN]",
        Status::Fail => "[FAIL]",
        Status::Skip => "[SKIP]",
    };
    assert!(
        text.lines()
            .any(|l| l.starts_with(word) && l.contains(&format!("({id})"))),
        "{id} not {word} in:\n{text}"
    );
    let all = format!("{json}{text}");
    assert!(!all.contains("Sup3r-Secret-Pw"), "a secret leaked");
}

#[test]
fn a_healthy_install_passes_everything_and_exits_0() {
    let d = tempfile::tempdir().unwrap();
    let a = install(d.path(), ROME, &[]);
    let r = run(&a, &fake(d.path()));
    for id in CheckId::ALL {
        says(&r, id, Status::Pass);
    }
    assert_eq!((r.result, r.exit_code()), (Status::Pass, 0));
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["kind"], "preflight");
    assert_eq!(json["summary"]["pass"], 14);
    assert_eq!(json["mid_name"], "mid-a");
}

#[test]
fn files_held_open_by_a_stranger_fail_the_mids_own_do_not() {
    let d = tempfile::tempdir().unwrap();
    let a = install(d.path(), ROME, &[]);
    let mut f = fake(d.path());
    let held = |pid| Holder {
        pid,
        name: "av-scan".into(),
        command_line: "av-scan --realtime".into(),
        file: a.join("lib/mid.jar"),
    };
    f.holders.holders = vec![held(501)];
    says(&run(&a, &f), CheckId::FilesHeldOpen, Status::Pass);
    f.holders.holders = vec![held(501), held(777)];
    let r = run(&a, &f);
    says(&r, CheckId::FilesHeldOpen, Status::Fail);
    let c = r.check(CheckId::FilesHeldOpen).unwrap();
    assert!(c.evidence[0].text.contains("pid 777 (av-scan)"));
    assert_eq!(c.evidence[0].file, a.join("lib/mid.jar"));
    assert_eq!(r.exit_code(), 3);
    // Could not look: a warning that says so, never a pass.
    f.holders = HolderScan {
        unsupported: Some("no /proc".into()),
        ..HolderScan::default()
    };
    let r = run(&a, &f);
    says(&r, CheckId::FilesHeldOpen, Status::Warn);
    assert!(
        r.check(CheckId::FilesHeldOpen)
            .unwrap()
            .message
            .contains("could not check")
    );
    assert_eq!(r.exit_code(), 1);
    f.holders = HolderScan {
        uninspected: 3,
        ..HolderScan::default()
    };
    says(&run(&a, &f), CheckId::FilesHeldOpen, Status::Warn);
}

#[cfg(unix)]
#[test]
fn temp_folder_not_writable_by_the_service_user_fails() {
    let d = tempfile::tempdir().unwrap();
    let a = install(d.path(), ROME, &[]);
    let mut f = fake(d.path());
    // Another account (not root, not the owner, not in the group) may not write work/.
    f.account = Some(Account {
        name: "other".into(),
        uid: 4242,
        gids: vec![4242],
    });
    set_mode(&a.join("work"), 0o755);
    let r = run(&a, &f);
    says(&r, CheckId::TempFolderWritable, Status::Fail);
    assert!(
        r.check(CheckId::TempFolderWritable)
            .unwrap()
            .message
            .contains("does not exist yet")
    );
    set_mode(&a.join("work"), 0o777);
    says(&run(&a, &f), CheckId::TempFolderWritable, Status::Pass);
    // An unknown account is a warning, not a pass.
    f.account = None;
    says(&run(&a, &f), CheckId::TempFolderWritable, Status::Warn);
}

#[test]
fn pre_rome_extracts_in_the_os_temp_folder_and_noexec_fails() {
    let d = tempfile::tempdir().unwrap();
    let a = install(d.path(), NEWYORK, &[]);
    let mut f = fake(d.path());
    std::fs::create_dir_all(&f.os_temp).unwrap();
    let os_temp = std::fs::canonicalize(&f.os_temp).unwrap();
    f.mounts = format!(
        "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n30 22 0:26 / {} rw,nosuid,noexec - tmpfs tmpfs rw\n",
        os_temp.display()
    );
    let r = run(&a, &f);
    says(&r, CheckId::TempMountExec, Status::Fail);
    let c = r.check(CheckId::TempMountExec).unwrap();
    assert!(c.message.contains("before Rome"), "{}", c.message);
    assert!(c.evidence[0].text.contains("noexec"));
    assert!(c.fix.contains("remount,exec"));
    // From Rome the agent folder's own mount counts, which allows exec.
    let d2 = tempfile::tempdir().unwrap();
    let a2 = install(d2.path(), ROME, &[]);
    says(&run(&a2, &f), CheckId::TempMountExec, Status::Pass);
    // mid.upgrade.use_os_temp_folder brings the OS temp back on Rome+.
    let d3 = tempfile::tempdir().unwrap();
    let a3 = install(
        d3.path(),
        ROME,
        &[("mid.upgrade.use_os_temp_folder", "true")],
    );
    says(&run(&a3, &f), CheckId::TempMountExec, Status::Fail);
    f.platform = Platform::Windows;
    says(&run(&a, &f), CheckId::TempMountExec, Status::Skip);
}

#[test]
fn too_little_free_space_fails() {
    let d = tempfile::tempdir().unwrap();
    let a = install(d.path(), ROME, &[]);
    std::fs::write(a.join("lib/big.jar"), vec![0u8; 100_000]).unwrap();
    let mut f = fake(d.path());
    f.free = Some(200_000);
    let r = run(&a, &f);
    says(&r, CheckId::TempFreeSpace, Status::Fail);
    f.free = Some(400_000);
    says(&run(&a, &f), CheckId::TempFreeSpace, Status::Pass);
    f.free = None;
    says(&run(&a, &f), CheckId::TempFreeSpace, Status::Warn);
}

#[cfg(unix)]
#[test]
fn a_service_user_who_cannot_replace_lib_fails() {
    let d = tempfile::tempdir().unwrap();
    let a = install(d.path(), ROME, &[]);
    let mut f = fake(d.path());
    f.account = Some(Account {
        name: "other".into(),
        uid: 4242,
        gids: vec![4242],
    });
    f.svc.setup.account = Some("other".into());
    set_mode(&a.join("work"), 0o777);
    let r = run(&a, &f);
    says(&r, CheckId::ServiceUserRights, Status::Fail);
    let fix = &r.check(CheckId::ServiceUserRights).unwrap().fix;
    assert!(fix.contains("chown -R other"), "{fix}");
    f.account = Some(me());
    says(&run(&a, &f), CheckId::ServiceUserRights, Status::Pass);
}

#[test]
fn windows_before_orlando_needs_administrators() {
    let d = tempfile::tempdir().unwrap();
    let a = install(d.path(), NEWYORK, &[]);
    let mut f = fake(d.path());
    f.platform = Platform::Windows;
    f.svc.setup.account = Some("CORP\\svc-mid".into());
    f.svc.setup.systemd = false;
    f.admins = Some(vec!["Administrator".into(), "CORP\\Domain Admins".into()]);
    says(&run(&a, &f), CheckId::ServiceUserRights, Status::Fail);
    f.admins = Some(vec!["CORP\\svc-mid".into()]);
    says(&run(&a, &f), CheckId::ServiceUserRights, Status::Pass);
    f.admins = None;
    says(&run(&a, &f), CheckId::ServiceUserRights, Status::Warn);
    // From Orlando any account will do; LocalSystem always.
    let d2 = tempfile::tempdir().unwrap();
    let a2 = install(d2.path(), ROME, &[]);
    says(&run(&a2, &f), CheckId::ServiceUserRights, Status::Pass);
    f.svc.setup.account = Some("LocalSystem".into());
    says(&run(&a, &f), CheckId::ServiceUserRights, Status::Pass);
}

#[test]
fn start_type_disabled_fails_manual_warns() {
    let d = tempfile::tempdir().unwrap();
    let a = install(d.path(), ROME, &[]);
    let mut f = fake(d.path());
    f.svc.start = Some(StartType::Disabled);
    says(&run(&a, &f), CheckId::ServiceStartType, Status::Fail);
    f.svc.start = Some(StartType::Manual);
    says(&run(&a, &f), CheckId::ServiceStartType, Status::Warn);
    f.svc.start = Some(StartType::Auto);
    says(&run(&a, &f), CheckId::ServiceStartType, Status::Pass);
}

#[test]
fn killmode_control_group_fails() {
    let d = tempfile::tempdir().unwrap();
    let a = install(d.path(), ROME, &[]);
    let mut f = fake(d.path());
    f.svc.setup.kill_mode = Some("control-group".into());
    let r = run(&a, &f);
    says(&r, CheckId::SystemdKillMode, Status::Fail);
    assert_eq!(
        r.check(CheckId::SystemdKillMode).unwrap().reference,
        "KB0870356"
    );
    f.svc.setup.kill_mode = Some("process".into());
    says(&run(&a, &f), CheckId::SystemdKillMode, Status::Pass);
    f.svc.setup.systemd = false;
    says(&run(&a, &f), CheckId::SystemdKillMode, Status::Skip);
}

#[test]
fn wrapper_name_of_a_service_that_does_not_exist_fails() {
    let d = tempfile::tempdir().unwrap();
    let a = install(d.path(), ROME, &[]);
    let mut f = fake(d.path());
    f.platform = Platform::Windows;
    f.svc.state = ServiceState::NotInstalled;
    let r = run(&a, &f);
    says(&r, CheckId::WrapperServiceName, Status::Fail);
    assert!(
        r.check(CheckId::WrapperServiceName)
            .unwrap()
            .message
            .contains("snc_mid_a")
    );
    f.svc.state = ServiceState::Stopped;
    says(&run(&a, &f), CheckId::WrapperServiceName, Status::Pass);
}

#[test]
fn a_second_install_with_the_same_name_fails() {
    let d = tempfile::tempdir().unwrap();
    let a = install(d.path(), ROME, &[]);
    let other = tempfile::tempdir().unwrap();
    let b = install(other.path(), ROME, &[]);
    let mut f = fake(d.path());
    f.others = vec![b.clone()];
    says(&run(&a, &f), CheckId::MidNameUnique, Status::Fail);
    std::fs::write(
        b.join("config.xml"),
        "<parameters><parameter name=\"name\" value=\"mid-b\"/></parameters>",
    )
    .unwrap();
    says(&run(&a, &f), CheckId::MidNameUnique, Status::Pass);
}

#[test]
fn pinned_version_and_disabled_precheck_warn() {
    let d = tempfile::tempdir().unwrap();
    let a = install(
        d.path(),
        ROME,
        &[
            (
                "mid.pinned.version",
                "tokyo-07-08-2022__patch4-12-14-2022_12-21-2022_1048",
            ),
            ("mid.upgrade.run_precheck", "false"),
        ],
    );
    let r = run(&a, &fake(d.path()));
    says(&r, CheckId::PinnedVersion, Status::Warn);
    says(&r, CheckId::PrecheckDisabled, Status::Warn);
    assert_eq!(r.exit_code(), 1);
    let d2 = tempfile::tempdir().unwrap();
    let a2 = install(d2.path(), ROME, &[("mid.upgrade.run_precheck", "true")]);
    let r = run(&a2, &fake(d2.path()));
    says(&r, CheckId::PinnedVersion, Status::Pass);
    says(&r, CheckId::PrecheckDisabled, Status::Pass);
}

#[test]
fn broken_or_stale_packages_in_incoming() {
    let d = tempfile::tempdir().unwrap();
    let a = install(d.path(), ROME, &[]);
    let inc = a.join("package/incoming");
    let good = |v: &str| {
        let mut z = b"PK\x03\x04".to_vec();
        z.extend(vec![0u8; 64]);
        std::fs::write(inc.join(format!("mid-core.{v}.universal.universal.zip")), z).unwrap();
    };
    let target = "yokohama-12-18-2024__patch12-hotfix2b-05-18-2026_06-19-2026_0219";
    good(target);
    let f = fake(d.path());
    let opts = Options {
        target_version: Some(target.into()),
    };
    let r = preflight::run(&a, &f, &opts);
    says(&r, CheckId::IncomingPackages, Status::Pass);
    assert!(
        r.check(CheckId::IncomingPackages)
            .unwrap()
            .message
            .contains("already downloaded")
    );
    good("utah-06-20-2023__patch0-06-08-2023_06-21-2023_1900");
    says(
        &preflight::run(&a, &f, &opts),
        CheckId::IncomingPackages,
        Status::Warn,
    );
    std::fs::write(inc.join("mid-jre.x.linux.x86-64.zip"), b"").unwrap();
    says(
        &preflight::run(&a, &f, &opts),
        CheckId::IncomingPackages,
        Status::Fail,
    );
}

#[cfg(unix)]
#[test]
fn scripts_without_exec_or_writable_by_others_fail() {
    let d = tempfile::tempdir().unwrap();
    let a = install(d.path(), ROME, &[]);
    let f = fake(d.path());
    set_mode(&a.join("bin/mid.sh"), 0o644);
    let r = run(&a, &f);
    says(&r, CheckId::ScriptsTrusted, Status::Fail);
    assert!(
        r.check(CheckId::ScriptsTrusted).unwrap().evidence[0]
            .text
            .contains("not executable")
    );
    set_mode(&a.join("bin/mid.sh"), 0o777);
    says(&run(&a, &f), CheckId::ScriptsTrusted, Status::Fail);
    set_mode(&a.join("bin/mid.sh"), 0o755);
    // An earlier temp folder's upgrade script counts too, and a link is refused.
    let up = a.join("work/upgrade_temp/1650000000000123/upgrade-wrapper/bin");
    std::fs::create_dir_all(&up).unwrap();
    std::os::unix::fs::symlink("/bin/true", up.join("glide-dist-upgrade.sh")).unwrap();
    let r = run(&a, &f);
    says(&r, CheckId::ScriptsTrusted, Status::Fail);
    assert!(
        r.check(CheckId::ScriptsTrusted).unwrap().evidence[0]
            .text
            .contains("symbolic link")
    );
    std::fs::remove_file(up.join("glide-dist-upgrade.sh")).unwrap();
    says(&run(&a, &f), CheckId::ScriptsTrusted, Status::Pass);
}

#[test]
fn leftovers_of_an_earlier_upgrade() {
    let d = tempfile::tempdir().unwrap();
    let a = install(d.path(), ROME, &[]);
    let mut f = fake(d.path());
    says(&run(&a, &f), CheckId::LeftoverUpgrade, Status::Pass);
    std::fs::create_dir_all(a.join("work/upgrade_temp/1650000000000123")).unwrap();
    says(&run(&a, &f), CheckId::LeftoverUpgrade, Status::Warn);
    f.svc.setup.upgrade_services = Some(vec![
        "ServiceNow Platform Distribution Upgrade (mid-a) (snc_upgrade)".into(),
    ]);
    says(&run(&a, &f), CheckId::LeftoverUpgrade, Status::Fail);
    f.svc.setup.upgrade_services = Some(Vec::new());
    f.svc.upgrading = true;
    says(&run(&a, &f), CheckId::LeftoverUpgrade, Status::Fail);
}

#[test]
fn a_broken_config_xml_is_a_warning_not_a_crash() {
    let d = tempfile::tempdir().unwrap();
    let a = install(d.path(), ROME, &[]);
    std::fs::write(a.join("config.xml"), b"\xff\xfe<\x00p\x00a\x00").unwrap();
    let r = run(&a, &fake(d.path()));
    says(&r, CheckId::MidNameUnique, Status::Warn);
    says(&r, CheckId::PinnedVersion, Status::Warn);
    std::fs::remove_file(a.join("config.xml")).unwrap();
    let r = run(&a, &fake(d.path()));
    assert!(
        r.check(CheckId::PinnedVersion)
            .unwrap()
            .message
            .contains("could not be read")
    );
}
