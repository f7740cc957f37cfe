//! The one recovery engine (KB0779816) under both faces, `resume` and the wizard.
//!
//! - [`plan`]: exactly what would run (script or wrapper fallback), from where, as whom.
//! - [`policy`]: when the engine refuses, and the next step after a run.
//! - [`session`]: one recovery: start the run, follow the three logs and the captured output,
//!   probe the service and (optionally) the instance, feed `mid::milestones::Watch`, decide
//!   fallback, success, failure, stall and timeout, and emit typed [`RecoveryEvent`]s.
//! - [`support`]: the one way to build a support bundle (first, `collect`, and final).
//!
//! I/O comes in through injected interfaces ([`Install`]'s service control, [`Launcher`],
//! [`InstanceProbe`], [`Clock`]), so the whole session runs in tests without real waiting. The
//! faces only turn events into printed lines or wizard messages; they decide nothing.

pub mod clock;
pub mod fix;
pub mod instance;
pub mod plan;
pub mod policy;
pub mod session;
pub mod support;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::mid::report::DetectReport;
use crate::platform::service::ServiceControl;

pub use clock::{Clock, SystemClock};
pub use plan::{PlanError, RunKind, RunPlan, StandIn};
pub use session::{
    Decision, Face, InstanceAnswer, InstanceProbe, Launcher, RecoveryEvent, RunReport, Session,
    SystemLauncher, drive,
};

/// One install as the composition root (`host`) hands it to the engine.
#[derive(Clone)]
pub struct Install {
    pub report: DetectReport,
    pub service: Arc<dyn ServiceControl>,
    /// A training lab's simulator, when the install is a lab midrescue made.
    pub stand_in: Option<Arc<dyn StandIn>>,
    /// The lab's root folder, when the install is a lab.
    pub lab_root: Option<PathBuf>,
    /// Where an upgrade temp folder may lie (the install's `work/upgrade_temp`, the OS temp
    /// folders, a lab's folder): what runs must be inside one (`provenance`).
    pub temp_roots: Vec<PathBuf>,
}

impl Install {
    pub fn is_lab(&self) -> bool {
        self.lab_root.is_some()
    }
}

/// An install carries its surroundings, so it can be detected again (the final bundle).
impl crate::mid::detect::Surroundings for Install {
    fn platform(&self) -> crate::platform::Platform {
        self.report.platform
    }
    fn service(&self) -> &dyn ServiceControl {
        self.service.as_ref()
    }
    fn lab_root(&self) -> Option<&std::path::Path> {
        self.lab_root.as_deref()
    }
}

/// How often the engine looks, chosen once for both faces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cadence {
    /// Followed files and the started process.
    pub poll: Duration,
    /// The MID service's state (may spawn `systemctl` / `sc.exe`), the temp folder and the
    /// installed version.
    pub service_every: Duration,
    /// The instance, while other signals are still missing.
    pub instance_every: Duration,
    /// The instance, once its word is the only thing Up waits for.
    pub instance_soon: Duration,
    /// One instance query's time limit.
    pub instance_timeout: Duration,
}

impl Default for Cadence {
    fn default() -> Self {
        Cadence {
            poll: Duration::from_millis(250),
            service_every: Duration::from_secs(3),
            instance_every: Duration::from_secs(15),
            instance_soon: Duration::from_secs(5),
            instance_timeout: Duration::from_secs(15),
        }
    }
}

/// When to stop judging, for both faces (`--timeout`, `--stall`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Give up judging after this long (the upgrade itself keeps running).
    pub timeout: Duration,
    /// No log line for this long is a stall.
    pub stall: Duration,
}

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);
pub const DEFAULT_STALL: Duration = Duration::from_secs(5 * 60);

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: DEFAULT_TIMEOUT,
            stall: DEFAULT_STALL,
        }
    }
}
