//! The real instance probe: one read-only `ecc_agent` query, judged against the target version
//! and the time the run began.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::session::{InstanceAnswer, InstanceProbe};
use crate::platform::instance::{self, Credentials};

/// Where and as whom to ask, and what Up means.
#[derive(Debug, Clone)]
pub struct InstanceCheck {
    pub url: String,
    pub mid_name: String,
    pub credentials: Credentials,
    pub target_version: Option<String>,
    pub timeout: Duration,
}

impl InstanceCheck {
    /// The check for `report`'s MID as `user` (password from the environment or a prompt),
    /// asking `url` or else the install's own `url` from config.xml.
    pub fn for_report(
        user: &str,
        url: Option<&str>,
        report: &crate::mid::report::DetectReport,
        lab_url: Option<&str>,
    ) -> anyhow::Result<InstanceCheck> {
        use anyhow::Context;
        let url = url
            .map(str::to_string)
            .or_else(|| report.instance_url.clone())
            .context(
                "--instance-user needs the instance URL: config.xml has none, give --instance-url",
            )?;
        let mid_name = report
            .mid_name
            .clone()
            .context("the MID's name is unknown (config.xml), so the instance cannot be asked")?;
        // Plain HTTP only to a lab's own loopback stand-in: refused before any prompt or run.
        let allow = |c: Credentials| match lab_url {
            Some(u) => c.allow_plain_http_to(u),
            None => c,
        };
        instance::check_endpoint(&url, &allow(Credentials::new(user, String::new())))?;
        let password = instance::password_from_env_or_prompt(user)?;
        if password.is_empty() {
            anyhow::bail!(
                "no instance password: set {} or type it at the prompt",
                instance::PASSWORD_ENV
            );
        }
        Ok(InstanceCheck {
            url,
            mid_name,
            credentials: allow(Credentials::new(user, password)),
            target_version: report.target_version.clone(),
            timeout: super::Cadence::default().instance_timeout,
        })
    }
}

impl InstanceProbe for InstanceCheck {
    fn ask(&self, since: DateTime<Utc>) -> Result<InstanceAnswer, String> {
        match instance::fetch(&self.url, &self.mid_name, &self.credentials, self.timeout) {
            Ok(Some(rec)) => {
                let (up, detail) = instance::judge(&rec, self.target_version.as_deref(), since);
                Ok(InstanceAnswer {
                    version: Some(rec.version.clone()).filter(|v| !v.is_empty()),
                    validated: match rec.validated.as_str() {
                        "true" => Some(true),
                        "false" => Some(false),
                        _ => None,
                    },
                    status: rec.status,
                    up,
                    detail,
                })
            }
            Ok(None) => Err(format!(
                "the instance has no MID Server named {:?}",
                self.mid_name
            )),
            Err(e) => Err(format!("{e:#}")),
        }
    }
}
