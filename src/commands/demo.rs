//! `midrescue demo`: build a lab scenario in a fresh folder under the temp dir, then run the
//! wizard on it in training mode (why panel open, Done tells what the scenario taught).

use std::path::Path;

use crate::cli::{DemoArgs, EXIT_FAILED};
use crate::lab::{self, CreateOptions};
use crate::ui::Theme;
use crate::wizard::model::Options;

use super::wizard::{host_name, launch, require_tty};

pub fn run(args: &DemoArgs, log_path: Option<&Path>) -> anyhow::Result<u8> {
    if let Err(code) = require_tty() {
        return Ok(code);
    }
    let Some(scenario) = lab::scenario(&args.scenario) else {
        let names: Vec<&str> = lab::scenarios().iter().map(|s| s.name).collect();
        eprintln!(
            "midrescue demo: no scenario `{}`. Choose one of: {}",
            args.scenario,
            names.join(", ")
        );
        return Ok(EXIT_FAILED);
    };
    let dir = lab::demo_dir(scenario.name);
    let made = lab::create(
        scenario.name,
        &dir,
        &CreateOptions {
            speed: args.speed,
            ..CreateOptions::default()
        },
    )?;
    println!(
        "midrescue demo: lab `{}` built in {}\n  ({})",
        scenario.name,
        made.root.display(),
        scenario.summary
    );
    let opts = Options {
        training: true,
        scenario: Some(scenario.name.to_string()),
        training_text: Some(teaching(scenario.name, scenario.summary)),
        host: host_name(),
        ..Options::default()
    };
    // Bundles go beside the lab, outside its install and temp folder.
    let out = made.root.join("midrescue-out");
    let code = launch(
        opts,
        vec![made.agent_dir.clone()],
        out,
        Theme::from_env(args.no_color),
        log_path,
        // The lab's instance stand-in answers the read-only Up check with practice credentials.
        made.instance.as_ref().and_then(|i| {
            let url = i.url.clone()?;
            Some((
                Some(url),
                crate::platform::instance::Credentials::new(&i.user, &i.password),
            ))
        }),
    );
    // The demo's simulated processes end with the demo; a real upgrade would run on.
    match lab::stop(&made.root) {
        Ok(r) if !(r.ended.is_empty() && r.killed.is_empty()) => {
            println!(
                "  lab processes stopped; the lab stays in {}",
                made.root.display()
            )
        }
        Ok(_) => println!("  the lab stays in {}", made.root.display()),
        Err(e) => println!(
            "  could not stop the lab's processes ({e:#}): run `midrescue lab stop {}`",
            made.root.display()
        ),
    }
    code
}

/// The scenario's training text without its markdown title; its summary when the text is empty.
pub fn teaching(name: &str, summary: &str) -> String {
    let body: Vec<&str> = lab::training_text(name)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    if body.is_empty() {
        summary.to_string()
    } else {
        body.join(" ")
    }
}
