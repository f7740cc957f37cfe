//! Service control: the state of the MID's OS service, as a trait with host and lab
//! implementations. Implementations are command specs plus pure output parsers.

use serde::{Deserialize, Serialize};

/// Whether the service runs. `Unknown` when the query failed or was ambiguous.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceState {
    Running,
    /// Start or stop pending (Windows `START_PENDING`/`STOP_PENDING`, systemd `activating`).
    Pending,
    Stopped,
    NotInstalled,
    Unknown,
}

/// How the service starts at boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartType {
    Auto,
    Manual,
    Disabled,
}

/// One query's answer about the MID service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceStatus {
    /// Service (unit) name, e.g. `snc_mid_prod1` or `mid`.
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub state: ServiceState,
    pub start_type: Option<StartType>,
    /// The raw output of the status commands, for the support bundle's `system.txt`.
    #[serde(skip)]
    pub raw: String,
    /// Why the state is unknown, when it is.
    #[serde(skip)]
    pub note: Option<String>,
}

impl ServiceStatus {
    pub fn unknown(name: Option<String>, note: impl Into<String>) -> Self {
        ServiceStatus {
            name,
            display_name: None,
            state: ServiceState::Unknown,
            start_type: None,
            raw: String::new(),
            note: Some(note.into()),
        }
    }
}

/// How the MID service is set up, for the preflight: its account, systemd's `KillMode`, and
/// any Distribution Upgrade service left from an earlier run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceSetup {
    /// The account the service runs as (`User=` or `RUN_AS_USER`; `SERVICE_START_NAME`).
    pub account: Option<String>,
    /// Where the account was read (`systemd unit mid`, `bin/mid.shconf_override`, `sc.exe qc`).
    pub account_source: Option<String>,
    /// Linux: whether the service is a systemd unit.
    pub systemd: bool,
    /// systemd's `KillMode` of the unit.
    pub kill_mode: Option<String>,
    /// Windows: services named like the Distribution Upgrade's ("ServiceNow Platform
    /// Distribution Upgrade (<MID name>)"), `None` when they could not be listed.
    pub upgrade_services: Option<Vec<String>>,
    /// The raw answers, for the evidence.
    pub raw: String,
    /// Why something is unknown.
    pub note: Option<String>,
}

/// Display names the Distribution Upgrade's own service has had (pre-Orlando, and the newer
/// "AI Platform" wording, mid-server.md §2.1).
pub fn is_upgrade_service_name(display_name: &str) -> bool {
    let d = display_name.trim();
    d.starts_with("ServiceNow Platform Distribution Upgrade")
        || d.starts_with("ServiceNow AI Platform Distribution Upgrade")
}

/// Queries and (only when the operator confirmed) changes the MID service.
///
/// There is deliberately no `start` here: midrescue never starts the main MID service. (The
/// training course's "start the service" mistake lives on the lab's own control only.)
///
/// ```compile_fail
/// fn start(s: &dyn midrescue::platform::service::ServiceControl) {
///     let _ = s.start();
/// }
/// ```
pub trait ServiceControl: Send + Sync {
    /// The service's state now. Never fails: problems become `ServiceState::Unknown` with a note.
    fn query(&self) -> ServiceStatus;

    /// Set the start type (the optional "manual during recovery" action). Errors say why.
    fn set_start_type(&self, start: StartType) -> anyhow::Result<()>;

    /// Whether a Distribution Upgrade process for this install runs right now.
    fn upgrade_process_running(&self) -> bool;

    /// The Distribution Upgrade processes running on this host (any install's), for detect to
    /// attribute (`mid::tempdir::process_attributed`). `None` when this control cannot list processes; then
    /// `upgrade_process_running` answers for its own install.
    fn upgrade_processes(&self) -> Option<Vec<processes::ProcessInfo>> {
        None
    }

    /// How the service is set up (read-only). The default says it cannot tell.
    fn setup(&self) -> ServiceSetup {
        ServiceSetup {
            note: Some("this service control cannot tell how the service is set up".into()),
            ..ServiceSetup::default()
        }
    }
}

pub mod hostctl;
pub mod midsh;
pub mod processes;
pub mod procfs;
pub mod sc;
pub mod systemd;
pub mod unknown;

pub use unknown::UnknownService;

crate::platform::display_as_json_name!(ServiceState, StartType);
