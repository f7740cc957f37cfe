//! The failure signatures of mid-server.md §4.5 and §8 in one table: which log text means which
//! finding, and what each finding means in plain words. Used by detect on files and by the
//! follow step on live lines.

use crate::mid::report::{FindingCode, Severity};

/// How a signature matches: every needle (lower case) must occur in the lower-cased line.
struct Signature {
    code: FindingCode,
    all_of: &'static [&'static str],
}

/// Ordered: the first match wins, so specific signatures come before general ones.
const SIGNATURES: &[Signature] = &[
    // KB0784389: two MIDs with one name on a host; the second cannot install its upgrade
    // service. Before `ServiceNotInstalled` and the generic failures.
    Signature {
        code: FindingCode::UpgradeServiceConflict,
        all_of: &[
            "platform distribution upgrade (",
            "service is already started with status",
        ],
    },
    Signature {
        code: FindingCode::UpgradeServiceConflict,
        all_of: &[
            "platform distribution upgrade (",
            "service is already running",
        ],
    },
    // KB0647664: wrong-platform ZIP or broken JRE; the JVM never starts.
    Signature {
        code: FindingCode::JavaNotRunnable,
        all_of: &["wrapper.java.command does not appear to be a java binary"],
    },
    Signature {
        code: FindingCode::JavaNotRunnable,
        all_of: &["unable to execute java command"],
    },
    Signature {
        code: FindingCode::JavaNotRunnable,
        all_of: &["critical error: wait for jvm process failed"],
    },
    // KB0745202: the keystore cannot decrypt config.xml's secret.
    Signature {
        code: FindingCode::ConfigDecryptFailed,
        all_of: &["unable to unsecure parameter", "problem while decrypting"],
    },
    Signature {
        code: FindingCode::ConfigDecryptFailed,
        all_of: &["unable to unsecure parameter"],
    },
    // The upgrade/downgrade loop: the assigned build cannot be reached from the installed one.
    Signature {
        code: FindingCode::UpgradeScenarioUnknown,
        all_of: &["unable to determine upgrade scenario"],
    },
    // Application Experience disabled: mid.bat "Access is Denied" (KB0597552).
    Signature {
        code: FindingCode::ApplicationExperience,
        all_of: &["mid.bat (access is denied)"],
    },
    Signature {
        code: FindingCode::ApplicationExperience,
        all_of: &["application experience is disabled"],
    },
    // Wrong wrapper.name: pre-upgrade check names a service that does not exist (KB0715632).
    Signature {
        code: FindingCode::WrapperNameMismatch,
        all_of: &["pre-upgrade check failure: service ", " does not exist"],
    },
    Signature {
        code: FindingCode::DiskSpace,
        all_of: &["not enough free disk space"],
    },
    // The OS's own words for a full disk during extraction or copy (Linux ENOSPC, Windows).
    Signature {
        code: FindingCode::DiskSpace,
        all_of: &["no space left on device"],
    },
    Signature {
        code: FindingCode::DiskSpace,
        all_of: &["not enough space on the disk"],
    },
    Signature {
        code: FindingCode::JreDeleteFailed,
        all_of: &["unable to delete directory", "jre"],
    },
    Signature {
        code: FindingCode::FileLocked,
        all_of: &["being used by another process"],
    },
    Signature {
        code: FindingCode::FileLocked,
        all_of: &["cannot be deleted"],
    },
    // Any other folder the upgrade could not delete (the JRE's is matched above).
    Signature {
        code: FindingCode::FileLocked,
        all_of: &["unable to delete directory"],
    },
    // Linux: a running binary cannot be replaced in place (ETXTBSY, EBUSY).
    Signature {
        code: FindingCode::FileLocked,
        all_of: &["text file busy"],
    },
    Signature {
        code: FindingCode::FileLocked,
        all_of: &["device or resource busy"],
    },
    Signature {
        code: FindingCode::FileLocked,
        all_of: &["java.nio.file.filesystemexception"],
    },
    // /tmp noexec or missing exec bit (KB0690910).
    Signature {
        code: FindingCode::ScriptNotExecutable,
        all_of: &["glide-dist-upgrade", "permission denied"],
    },
    Signature {
        code: FindingCode::AccessDenied,
        all_of: &["access is denied"],
    },
    // java.nio's form: `java.nio.file.AccessDeniedException: <path>`.
    Signature {
        code: FindingCode::AccessDenied,
        all_of: &["accessdeniedexception"],
    },
    // Java's Unix form of the same refusal: `FileNotFoundException: <file> (Permission
    // denied)`; the shell's `glide-dist-upgrade.sh: Permission denied` is matched above.
    Signature {
        code: FindingCode::AccessDenied,
        all_of: &["(permission denied)"],
    },
    Signature {
        code: FindingCode::AccessDenied,
        all_of: &["unable to verify file permissions"],
    },
    Signature {
        code: FindingCode::AccessDenied,
        all_of: &["unable to create folder"],
    },
    Signature {
        code: FindingCode::AccessDenied,
        all_of: &["unable to extract contents of pre upgrade check zip"],
    },
    Signature {
        code: FindingCode::PrecheckFailed,
        all_of: &["pre-upgrade check failure"],
    },
    Signature {
        code: FindingCode::PrecheckFailed,
        all_of: &["identified as a mid server upgrade blocker"],
    },
    Signature {
        code: FindingCode::PrecheckFailed,
        all_of: &["does not meet the minimum system requirements"],
    },
    Signature {
        code: FindingCode::MachineShutdown,
        all_of: &["machine is shutting down"],
    },
    Signature {
        code: FindingCode::JvmStartTimeout,
        all_of: &["timed out waiting for a signal from the jvm"],
    },
    Signature {
        code: FindingCode::JvmStartTimeout,
        all_of: &["has not received any cpu time"],
    },
    // The re-run script's one-line answer when the upgrade service is gone (KB0779816).
    Signature {
        code: FindingCode::ServiceNotInstalled,
        all_of: &["distribution upgrade", "service is not installed"],
    },
    Signature {
        code: FindingCode::UpgradeFailed,
        all_of: &["*** error *** upgrade failed"],
    },
    Signature {
        code: FindingCode::UpgradeFailed,
        all_of: &["setting mid status to upgrade failed"],
    },
    Signature {
        code: FindingCode::UpgradeFailed,
        all_of: &["operationalstate=upgrade_failed"],
    },
    Signature {
        code: FindingCode::UpgradeFailed,
        all_of: &["mid_upgrade.upgradeexception"],
    },
];

/// Cheap first test: every signature contains one of these (lower case) words, so most lines
/// are rejected without lower-casing them.
const PREFILTER: &[&[u8]] = &[
    b"already started",
    b"already running",
    b"java binary",
    b"Java command",
    b"JVM process",
    b"unsecure",
    b"upgrade scenario",
    b"denied",
    b"Denied",
    b"DENIED",
    b"xperience",
    b"exist",
    b"disk space",
    b"space left",
    b"enough space",
    b"busy",
    b"irectory",
    b"another process",
    b"deleted",
    b"FileSystemException",
    b"ermission",
    b"folder",
    b"pre upgrade",
    b"re-upgrade",
    b"blocker",
    b"requirements",
    b"shutting down",
    b"JVM",
    b"CPU time",
    b"not installed",
    b"pgrade failed",
    b"pgrade Failed",
    b"UPGRADE_FAILED",
    b"UpgradeException",
];

/// The finding a log line proves, if any.
pub fn classify(text: &str) -> Option<FindingCode> {
    let bytes = text.as_bytes();
    if !PREFILTER
        .iter()
        .any(|w| memchr::memmem::find(bytes, w).is_some())
    {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    SIGNATURES
        .iter()
        .find(|s| s.all_of.iter().all(|n| lower.contains(n)))
        .map(|s| s.code)
}

/// Severity and plain-words explanation (what it means, what to do) of a finding.
pub fn describe(code: FindingCode) -> (Severity, &'static str) {
    use FindingCode::*;
    use Severity::*;
    match code {
        FileLocked => (
            Error,
            "A file in the MID folder could not be replaced because another process held it open \
             (often the MID service still shutting down, or antivirus). Re-running the upgrade \
             script usually works now that the lock is gone (KB0779816); if it fails again, find \
             the locking process (Resource Monitor on Windows, lsof on Linux).",
        ),
        AccessDenied => (
            Error,
            "The upgrade was refused access to a file or folder (antivirus/EDR blocking new \
             binaries, or the service user lacks rights on the agent folder). Add antivirus \
             exclusions for the MID folder, give the service user full control of `agent`, then \
             re-run the upgrade script; a second run often works once the scanner trusts the files.",
        ),
        ApplicationExperience => (
            Error,
            "Windows refused to run mid.bat: the Application Experience service is disabled on this \
             host (KB0597552). Enable it (services.msc or msconfig), then re-run the upgrade script.",
        ),
        ScriptNotExecutable => (
            Error,
            "The upgrade script could not be executed (no executable bit, or its folder is on a \
             `noexec` mount such as /tmp). Run `chmod +x` on it and, if needed, \
             `mount -o remount,exec /tmp`, then re-run it (KB0690910).",
        ),
        PrecheckFailed => (
            Warning,
            "The pre-upgrade check stopped the upgrade before anything was replaced; the MID stays \
             on its old version (the instance shows it as \"Upgrade Failed\": the same event). \
             Fix the reason named in the first line, then let the MID retry (KB0565184).",
        ),
        UpgradeFailed => (
            Error,
            "The MID Server reported that the upgrade failed. The lines around it in the logs name \
             the cause; keep the logs (midrescue collect) before changing anything.",
        ),
        DiskSpace => (
            Error,
            "Not enough free disk space for the upgrade. Free space on the MID volume (at least the \
             2-4 GB the pre-upgrade check asks for), then retry.",
        ),
        MachineShutdown => (
            Warning,
            "The host was shutting down or rebooting while the wrapper ran. If this happened during \
             the upgrade it explains the crash; re-run the upgrade script.",
        ),
        JvmStartTimeout => (
            Warning,
            "The Java process started too slowly and the wrapper gave up waiting for it (overloaded \
             host, antivirus scanning the JRE). Check CPU/memory load and antivirus exclusions.",
        ),
        LibIncomplete => (
            Error,
            "agent/lib is missing files: the upgrade stopped halfway through replacing them. The \
             MID cannot run like this. Do NOT start the MID service; re-run the upgrade script \
             from the temp folder (KB0779816), or restore manually (KB0713557) if it is gone.",
        ),
        KillmodeControlGroup => (
            Warning,
            "The systemd unit uses KillMode=control-group: stopping the MID service also kills the \
             upgrade it launched (KB0870356). Set `KillMode=process` in the unit and run \
             `systemctl daemon-reload` before the next upgrade.",
        ),
        ServiceAutoStart => (
            Error,
            "The MID service starts automatically at boot. After a crashed upgrade a reboot would \
             start it, and that deletes the upgrade temp folder this recovery needs (KB0792621). \
             Set the service to manual start until the recovery is done.",
        ),
        WrapperNameMismatch => (
            Error,
            "wrapper.name in conf/wrapper-override.conf does not match the installed service, so \
             the upgrade cannot control the service (KB0715632). Make wrapper.name and \
             wrapper.displayname match the service (sc.exe qc / services.msc), then retry.",
        ),
        JreDeleteFailed => (
            Warning,
            "The upgrade could not delete the old JRE folder (a file in it was in use). Re-running \
             the upgrade script usually completes it.",
        ),
        ServiceNotInstalled => (
            Warning,
            "The service named in the MID's configuration is not installed on this host. If the \
             upgrade script says its own service is not installed, use the wrapper fallback \
             (`wrapper-windows-x86-64.exe -c ..\\conf\\wrapper.conf`, KB0779816).",
        ),
        TempFolderMissing => (
            Error,
            "The upgrade temp folder (or its upgrade script) is gone, so the upgrade cannot be \
             re-run from it. Restore the install manually from a fresh MID zip (KB0713557), keeping \
             config.xml, wrapper-override.conf and cacerts.",
        ),
        ServiceStartedMidUpgrade => (
            Error,
            "The MID service was started after the upgrade had bootstrapped but before it finished \
             (the installed version is still the old one). Starting it cleans up the upgrade temp \
             folder and its service, so the re-run path is usually closed (KB0792621): stop the \
             service, keep it stopped, and restore the install from a fresh MID zip (KB0713557).",
        ),
        UpgradeProcessRunning => (
            Info,
            "A Distribution Upgrade process is running right now. Let it finish and watch the logs; \
             do not start or stop the MID service meanwhile.",
        ),
        RootOwnedFiles => (
            Warning,
            "Files in the MID folder belong to root while the service runs as another user (often \
             after running the upgrade script with sudo). chown them back to the service user.",
        ),
        UpgradeServiceConflict => (
            Error,
            "This MID's upgrade could not install its upgrade service: another MID Server on this \
             host has the same name, and the upgrade service of that name is already taken \
             (KB0784389). The upgrade never touched this install's files, so it is NOT a crash and \
             needs no reinstall: give each MID Server on the host a unique name (`name` in \
             config.xml), then start this MID.",
        ),
        JavaNotRunnable => (
            Error,
            "The wrapper cannot run Java: wrapper.java.command does not point at a working java \
             binary for this host (a Linux ZIP on Windows or the reverse, or a broken or missing \
             agent/jre; KB0647664). Install the MID ZIP built for this OS and architecture, or \
             repair agent/jre, then start the MID.",
        ),
        ConfigDecryptFailed => (
            Error,
            "The MID cannot decrypt the instance password in config.xml (its keystore does not \
             match the encrypted value; KB0745202). Re-enter the password in plain text in \
             config.xml (`mid.instance.password`, remove the `encrypted:` prefix); the MID \
             encrypts it again when it starts.",
        ),
        UpgradeScenarioUnknown => (
            Warning,
            "The MID cannot work out how to go from its installed build to the build the instance \
             assigns (`current=` vs `assigned=`): an upgrade/downgrade loop, often after a clone \
             or a pinned or future version (KB0697389). Check `mid.pinned.version` and the \
             instance's `mid.version`, so the assigned build is one this MID can upgrade to.",
        ),
        UpgradeProcessUnattributed => (
            Info,
            "An upgrade process runs on this host (not attributed): its command line names neither \
             this install nor its temp folder, so it may belong to another MID Server. It does not \
             make this install's upgrade \"in progress\".",
        ),
    }
}

/// The buildstamps of an `Unable to determine upgrade scenario with current=<a> assigned=<b>`
/// line: (current, assigned).
pub fn scenario_buildstamps(line: &str) -> Option<(Option<&str>, Option<&str>)> {
    let rest = &line[line.find("upgrade scenario")?..];
    let value = |key: &str| {
        let v = &rest[rest.find(key)? + key.len()..];
        let end = v
            .find(|c: char| c.is_whitespace() || c == ',')
            .unwrap_or(v.len());
        let v = v[..end].trim_end_matches(['.', ';']);
        (!v.is_empty() && v != "...").then_some(v)
    };
    Some((value("current="), value("assigned=")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use FindingCode::*;

    #[test]
    fn real_lines_from_the_reference() {
        let cases: &[(&str, FindingCode)] = &[
            (
                "INFO   | jvm 1    | 2019/09/21 16:30:47.500 | C:\\ServiceNow\\agent\\lib\\a.jar cannot be deleted: C:\\ServiceNow\\agent\\lib\\a.jar (The process cannot access the file because it is being used by another process)",
                FileLocked,
            ),
            (
                "SEVERE: com.snc.dist.mid_upgrade.UpgradeException: java.io.FileNotFoundException: E:\\x\\agent\\bin\\wrapper-windows-x86-64.exe (Access is denied)",
                AccessDenied,
            ),
            (
                "com.snc.dist.mid_upgrade.UpgradeException: java.io.FileNotFoundException: D:\\ServiceNow\\agent\\bin\\mid.bat (Access is Denied)",
                ApplicationExperience,
            ),
            (
                "WARNING: java.io.IOException: Unable to delete directory C:\\ServiceNow\\agent\\jre\\bin.",
                JreDeleteFailed,
            ),
            (
                "06/04/18 10:15:01 (123) AutoUpgrade.3600 Gobbling stderr: /bin/sh -c bin/glide-dist-upgrade.sh start Gobbled: /bin/sh: bin/glide-dist-upgrade.sh: Permission denied",
                ScriptNotExecutable,
            ),
            (
                "06/04/18 10:15:02 (123) AutoUpgrade.3600 SEVERE *** ERROR *** Upgrade failed.",
                UpgradeFailed,
            ),
            (
                "10/22/18 17:56:13 (898) AutoUpgrade.3600 SEVERE *** ERROR *** Aborting MID Server upgrade due to pre-upgrade check failure: Service snc_mid_kingston1 does not exist",
                WrapperNameMismatch,
            ),
            (
                "SEVERE *** ERROR *** Aborting MID Server upgrade due to pre-upgrade check failure: Unable to download updates from install server",
                PrecheckFailed,
            ),
            (
                "SEVERE: com.snc.dist.mid_upgrade.UpgradeException: java.io.FileNotFoundException: /opt/servicenow/mid/agent/lib/mid.jar (Permission denied)",
                AccessDenied,
            ),
            (
                "SEVERE: java.io.IOException: No space left on device",
                DiskSpace,
            ),
            (
                "java.io.IOException: There is not enough space on the disk",
                DiskSpace,
            ),
            (
                "WARNING: java.io.IOException: Unable to delete directory C:\\ServiceNow\\agent\\lib.",
                FileLocked,
            ),
            (
                "java.io.FileNotFoundException: /opt/servicenow/mid/agent/bin/wrapper-linux-x86-64 (Text file busy)",
                FileLocked,
            ),
            (
                "SEVERE: java.nio.file.AccessDeniedException: C:\\ServiceNow\\agent\\lib\\mid.jar",
                AccessDenied,
            ),
            (
                "Not enough free disk space. The system reports 1024 bytes free",
                DiskSpace,
            ),
            (
                "2019/12/15 00:33:17 | Machine is shutting down.",
                MachineShutdown,
            ),
            (
                "2019/12/15 00:37:34 | Startup failed: Timed out waiting for a signal from the JVM.",
                JvmStartTimeout,
            ),
            (
                "2019/12/15 00:37:34 | Wrapper Process has not received any CPU time for 21 seconds. Extending timeouts.",
                JvmStartTimeout,
            ),
            (
                "The ServiceNow Platform Distribution Upgrade (mid1) service is not installed.",
                ServiceNotInstalled,
            ),
            (
                "AutoUpgrade.3600 Setting mid status to Upgrade Failed",
                UpgradeFailed,
            ),
            (
                "Service CiscoAMP running on the MID Server host machine is identified as a MID Server upgrade blocker",
                PrecheckFailed,
            ),
            (
                "The Application Experience is disabled on the MID Server host, upgrade will fail",
                ApplicationExperience,
            ),
        ];
        for (line, code) in cases {
            assert_eq!(classify(line), Some(*code), "{line}");
        }
    }

    #[test]
    fn kb_lines_of_the_new_codes() {
        let cases: &[(&str, FindingCode)] = &[
            // KB0784389, legacy line without a thread column, as the KB prints it.
            (
                "11/02/19 19:07:59 (301) Gobbling stderr: cmd.exe /C bin\\glide-dist-upgrade.bat start Gobbled: ERROR | wrapperm | 2019/11/02 19:07:59 | The ServiceNow Platform Distribution Upgrade (midserver-lab) service is already started with status: START_PENDING",
                UpgradeServiceConflict,
            ),
            (
                "2019/11/02 19:07:59 | The value of wrapper.java.command does not appear to be a java binary.",
                JavaNotRunnable,
            ),
            (
                "2019/11/02 19:07:59 | Unable to execute Java command.  The system cannot find the file specified. (0x2)",
                JavaNotRunnable,
            ),
            (
                "2019/11/02 19:07:59 | Critical error: wait for JVM process failed",
                JavaNotRunnable,
            ),
            (
                "05/15/19 10:38:22 (564) MIDServer SEVERE *** ERROR *** Unexpected exception, terminating the MID server java.lang.RuntimeException: Unable to unsecure parameter mid.instance.password: Problem while decrypting",
                ConfigDecryptFailed,
            ),
            (
                "java.lang.RuntimeException: Unable to unsecure parameter mid.instance.password: Problem while decrypting",
                ConfigDecryptFailed,
            ),
            (
                "05/02/20 10:11:12 (123) AutoUpgrade.3600 WARNING *** WARNING *** Unable to determine upgrade scenario with current=orlando-12-11-2019__patch4-05-06-2020_05-13-2020_2215 assigned=paris-06-24-2020__patch0-07-23-2020_07-30-2020_1931",
                UpgradeScenarioUnknown,
            ),
        ];
        for (line, code) in cases {
            assert_eq!(classify(line), Some(*code), "{line}");
            assert_eq!(classify(&format!("{line}\r")), Some(*code), "CR: {line}");
        }
        assert_eq!(
            scenario_buildstamps(cases[6].0),
            Some((
                Some("orlando-12-11-2019__patch4-05-06-2020_05-13-2020_2215"),
                Some("paris-06-24-2020__patch0-07-23-2020_07-30-2020_1931")
            ))
        );
        assert_eq!(
            scenario_buildstamps(
                "Unable to determine upgrade scenario with current=... assigned=..."
            ),
            Some((None, None))
        );
    }

    #[test]
    fn ordinary_lines_are_not_findings() {
        for l in [
            "2022-10-21T13:08:58.330+0200 INFO (MIDServer) [Main:265] Initializing MID Server",
            "03/02/23 09:25:24 (742) MIDServer MID Server stopped",
            "2019/12/15 00:35:58 | Launching a JVM...",
        ] {
            assert_eq!(classify(l), None, "{l}");
        }
    }

    #[test]
    fn every_code_has_words() {
        let (sev, msg) = describe(FindingCode::ServiceAutoStart);
        assert_eq!(sev, Severity::Error);
        assert!(msg.contains("reboot"));
    }
}
