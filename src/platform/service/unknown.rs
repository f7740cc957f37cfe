//! A service control that knows nothing: used when the real one cannot be built (a lab whose
//! control failed, a host without systemd or sc.exe). Every answer is "unknown", with the reason.

use crate::platform::service::{ServiceControl, ServiceStatus, StartType};

#[derive(Debug, Clone)]
pub struct UnknownService {
    pub name: Option<String>,
    pub note: String,
}

impl UnknownService {
    pub fn new(name: Option<String>, note: impl Into<String>) -> Self {
        UnknownService {
            name,
            note: note.into(),
        }
    }
}

impl ServiceControl for UnknownService {
    fn query(&self) -> ServiceStatus {
        ServiceStatus::unknown(self.name.clone(), self.note.clone())
    }

    fn set_start_type(&self, _start: StartType) -> anyhow::Result<()> {
        anyhow::bail!("cannot change the service: {}", self.note)
    }

    fn upgrade_process_running(&self) -> bool {
        false
    }
}
