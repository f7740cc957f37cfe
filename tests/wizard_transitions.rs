//! Pure transition tests of the wizard state machine: no tokio, no I/O, no clock.

use std::path::PathBuf;

use midrescue::mid::milestones::{Milestone, Source};
use midrescue::mid::outcome::RecoveryOutcome;
use midrescue::mid::report::Verdict;
use midrescue::platform::service::{ServiceState, StartType};
use midrescue::recovery::RunKind;
use midrescue::ui::fixtures::{self, Driver, at, bundle, plan, report};
use midrescue::wizard::model::{Ending, Focus, Job, Options, Overlay};
use midrescue::wizard::msg::{CollectProgress, MilestoneEvent, RunOutcome};
use midrescue::wizard::update::start;
use midrescue::wizard::{Effect, Key, Model, Msg, Step, update};

fn journal_texts(fx: &[Effect]) -> Vec<String> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::WriteJournal(j) => Some(j.text.clone()),
            _ => None,
        })
        .collect()
}

fn has<F: Fn(&Effect) -> bool>(fx: &[Effect], f: F) -> bool {
    fx.iter().any(f)
}

#[test]
fn start_detects_the_only_install_or_offers_a_picker_or_says_none() {
    let d = Driver::new(false);
    assert_eq!(d.model.step, Step::Detect);
    assert!(matches!(d.effects.as_slice(), [Effect::Detect { .. }]));

    let mut m = Model::new(Options::default(), fixtures::t0());
    let fx = start(
        &mut m,
        vec![PathBuf::from("/a/agent"), PathBuf::from("/b/agent")],
    );
    assert!(fx.is_empty(), "nothing runs before the operator picks");
    assert!(m.picker.is_some());
    update(&mut m, Msg::Key(Key::Down));
    let fx = update(&mut m, Msg::Key(Key::Enter));
    assert!(m.picker.is_none());
    assert!(has(
        &fx,
        |e| matches!(e, Effect::Detect { agent_dir, .. } if agent_dir == &PathBuf::from("/b/agent"))
    ));
    assert_eq!(journal_texts(&fx), ["picked install /b/agent"]);

    let mut m = Model::new(Options::default(), fixtures::t0());
    start(&mut m, vec![]);
    // Nothing found is said on the first screen, not on step 6; Enter and r cannot pretend.
    assert_eq!(m.step, Step::Detect);
    assert_eq!(m.ending, Some(Ending::NoInstall));
    assert!(update(&mut m, Msg::Key(Key::Enter)).is_empty());
    assert!(m.notice.as_deref().unwrap_or("").contains("--agent-dir"));
    assert!(update(&mut m, Msg::Key(Key::Char('r'))).is_empty());
    assert_eq!(m.step, Step::Detect);
    let fx = update(&mut m, Msg::Key(Key::Char('q')));
    assert!(has(&fx, |e| matches!(e, Effect::Quit)));
}

#[test]
fn stale_run_ids_are_ignored_everywhere() {
    let mut d = Driver::new(false);
    let run = d.last_run(|e| matches!(e, Effect::Detect { .. }));
    d.model.dirty = false;
    let before = d.model.clone();
    let stale = run + 100;
    let msgs = vec![
        Msg::DetectDone {
            run: stale,
            result: Ok(Box::new(report(Verdict::CrashedUpgrade))),
        },
        Msg::CollectProgress {
            run: stale,
            progress: CollectProgress::default(),
        },
        Msg::CollectDone {
            run: stale,
            result: Ok(bundle(false)),
        },
        Msg::RunPlanned {
            run: stale,
            result: Ok(plan(false)),
        },
        Msg::RunStarted {
            run: stale,
            pid: None,
        },
        Msg::RunOutput {
            run: stale,
            line: "x".into(),
        },
        Msg::RunExited {
            run: stale,
            outcome: RunOutcome::Exited { code: Some(0) },
        },
        Msg::FollowBatch {
            run: stale,
            source: Source::AgentLog,
            lines: vec!["x".into()],
            note: None,
        },
        Msg::Milestone {
            run: stale,
            event: MilestoneEvent::StallCleared,
        },
        Msg::RecoveryEnded {
            run: stale,
            report: Box::new(fixtures::run_report(
                RecoveryOutcome::Recovered,
                "up",
                9,
                vec![],
                None,
            )),
        },
        Msg::ProbeResult {
            run: stale,
            service: ServiceState::Running,
        },
        Msg::StartTypeSet {
            run: stale,
            result: Ok(StartType::Manual),
        },
    ];
    for msg in msgs {
        let fx = update(&mut d.model, msg.clone());
        assert!(fx.is_empty(), "{msg:?} produced effects");
        assert_eq!(d.model, before, "{msg:?} changed the model");
    }
}

#[test]
fn a_retried_detect_ignores_the_first_answer() {
    let mut d = Driver::new(false);
    let first = d.last_run(|e| matches!(e, Effect::Detect { .. }));
    d.send(Msg::DetectDone {
        run: first,
        result: Err("config.xml unreadable".into()),
    });
    d.key(Key::Char('r'));
    let second = d.last_run(|e| matches!(e, Effect::Detect { .. }));
    assert_ne!(first, second);
    d.send(Msg::DetectDone {
        run: first,
        result: Ok(Box::new(report(Verdict::Healthy))),
    });
    assert!(d.model.detect.is_running(), "old answer accepted");
    d.send(Msg::DetectDone {
        run: second,
        result: Ok(Box::new(report(Verdict::CrashedUpgrade))),
    });
    assert_eq!(d.model.verdict(), Some(Verdict::CrashedUpgrade));
}

#[test]
fn keys_not_bound_in_a_step_do_nothing() {
    let mut d = fixtures::warn();
    d.model.dirty = false;
    let before = d.model.clone();
    for k in [
        Key::Char('x'),
        Key::Char('c'),
        Key::PageUp,
        Key::Home,
        Key::Char('f'),
    ] {
        assert!(d.key(k).is_empty());
        assert_eq!(d.model, before, "{k:?}");
    }
}

#[test]
fn detect_legal_messages() {
    let mut d = Driver::new(false);
    // Enter while detecting is disabled, with a reason.
    assert!(d.key(Key::Enter).is_empty());
    assert_eq!(d.model.step, Step::Detect);
    assert!(
        d.model
            .notice
            .as_deref()
            .unwrap_or("")
            .contains("detecting")
    );
    let mut d = fixtures::detected(Verdict::CrashedUpgrade, false);
    let fx = d.key(Key::Enter);
    assert_eq!(d.model.step, Step::Warn);
    assert_eq!(journal_texts(&fx), ["continue to Warn"]);
}

#[test]
fn healthy_stopped_and_not_a_mid_end_honestly_with_the_steps_shown_skipped() {
    for v in [Verdict::Healthy, Verdict::Stopped, Verdict::NotAMidServer] {
        let mut d = fixtures::detected(v, false);
        let fx = d.key(Key::Enter);
        assert_eq!(d.model.step, Step::Done, "{v:?}");
        assert_eq!(d.model.ending, Some(Ending::NothingToRerun { verdict: v }));
        assert!(!has(&fx, |e| matches!(
            e,
            Effect::Run { .. } | Effect::PlanRun { .. }
        )));
        for s in [Step::Warn, Step::Collect, Step::Run, Step::Watch] {
            assert!(d.model.is_skipped(s), "{v:?}: {s:?} not marked skipped");
        }
        assert!(!d.model.is_skipped(Step::Detect));
        let fx = d.key(Key::Char('c'));
        assert!(
            has(&fx, |e| matches!(e, Effect::Collect { .. })),
            "{v:?}: collect not offered"
        );
    }
}

#[test]
fn temp_folder_lost_collects_the_bundle_before_done() {
    let mut d = fixtures::detected(Verdict::TempFolderLost, false);
    let fx = d.key(Key::Enter);
    assert_eq!(d.model.step, Step::Collect);
    assert!(has(&fx, |e| matches!(
        e,
        Effect::Collect {
            final_bundle: false,
            ..
        }
    )));
    assert!(d.model.is_skipped(Step::Warn));
    assert!(d.key(Key::Enter).is_empty(), "Done waits for the bundle");
    let run = d.last_run(|e| matches!(e, Effect::Collect { .. }));
    d.send(Msg::CollectDone {
        run,
        result: Ok(bundle(false)),
    });
    let fx = d.key(Key::Enter);
    assert!(!has(&fx, |e| matches!(
        e,
        Effect::Run { .. } | Effect::PlanRun { .. }
    )));
    assert_eq!(d.model.step, Step::Done);
    assert_eq!(
        d.model.ending,
        Some(Ending::NothingToRerun {
            verdict: Verdict::TempFolderLost
        })
    );
    assert!(d.model.is_skipped(Step::Run) && d.model.is_skipped(Step::Watch));
    assert!(!d.model.is_skipped(Step::Collect));
}

#[test]
fn dry_run_and_upgrade_in_progress_mark_what_they_skip() {
    let mut d = fixtures::run_screen(false);
    d.model.opts.dry_run = true;
    d.keys(&[Key::Tab, Key::Enter]);
    assert_eq!(d.model.ending, Some(Ending::DryRun));
    assert!(d.model.is_skipped(Step::Watch));
    assert!(!d.model.is_skipped(Step::Run));

    let mut d = fixtures::detected(Verdict::UpgradeInProgress, false);
    d.keys(&[Key::Enter, Key::Char('a'), Key::Enter]);
    let run = d.last_run(|e| matches!(e, Effect::Collect { .. }));
    d.send(Msg::CollectDone {
        run,
        result: Ok(bundle(false)),
    });
    d.key(Key::Enter);
    assert!(d.model.is_skipped(Step::Run));
    let follow = d.model.follow_run.unwrap();
    d.send(Msg::RecoveryEnded {
        run: follow,
        report: Box::new(fixtures::run_report(
            RecoveryOutcome::Recovered,
            "up",
            99,
            vec![],
            None,
        )),
    });
    // Up, but nothing was re-run: the ending says so.
    assert!(matches!(
        d.model.ending,
        Some(Ending::Recovered { rerun: false, .. })
    ));
}

#[test]
fn a_locked_file_failure_names_the_file_and_offers_a_rerun_that_plans_afresh() {
    let d = fixtures::watch_lock_retry();
    assert_eq!(d.model.lock_retries, Some((6, "mid.jar".to_string())));
    let mut d = fixtures::failed_locked();
    match &d.model.ending {
        Some(Ending::Failed {
            next_step: Some(n),
            rerun,
            ..
        }) => {
            assert!(
                n.contains("mid.jar") && n.contains("Resource Monitor"),
                "{n}"
            );
            assert!(n.contains("handle.exe") && n.contains("antivirus"), "{n}");
            assert_eq!(rerun, &Ok(()));
        }
        other => panic!("{other:?}"),
    }
    let first_follow = d.model.follow_run;
    let fx = d.key(Key::Char('r'));
    assert_eq!(d.model.step, Step::Run);
    assert_eq!(d.model.ending, None);
    assert_eq!(d.model.reruns, 1);
    assert!(journal_texts(&fx)[0].starts_with("re-run 1"));
    assert!(has(&fx, |e| matches!(
        e,
        Effect::PlanRun {
            fallback: false,
            ..
        }
    )));
    assert!(d.model.timeline.iter().all(|r| r.reached_at.is_none()));
    assert_eq!(d.model.lock_retries, None);
    // The confirmed run starts a new engine session (a new id), not the finished one.
    let run = d.last_run(|e| matches!(e, Effect::PlanRun { .. }));
    d.send(Msg::RunPlanned {
        run,
        result: Ok(plan(false)),
    });
    d.keys(&[Key::Tab]);
    let fx = d.key(Key::Enter);
    let started = d.last_run(|e| matches!(e, Effect::Run { .. }));
    assert!(has(&fx, |e| matches!(e, Effect::Run { .. })));
    assert_ne!(Some(started), first_follow);
    d.send(Msg::RunStarted {
        run: started,
        pid: Some(9),
    });
    assert_eq!(d.model.step, Step::Watch);
}

#[test]
fn no_rerun_where_it_cannot_help() {
    // Timed out: the upgrade may still run; r says why not, and never "nothing failed".
    let mut d = fixtures::watching(1);
    let follow = d.model.follow_run.unwrap();
    d.send(Msg::RecoveryEnded {
        run: follow,
        report: Box::new(fixtures::run_report(
            RecoveryOutcome::TimedOut,
            "not Up within 30:00",
            1900,
            vec![],
            None,
        )),
    });
    assert!(d.key(Key::Char('r')).is_empty());
    let notice = d.model.notice.clone().unwrap_or_default();
    assert!(notice.contains("still be running"), "{notice}");
    let mut d = fixtures::recovered(false);
    assert!(d.key(Key::Char('r')).is_empty());
    assert!(
        !d.model
            .notice
            .clone()
            .unwrap_or_default()
            .contains("nothing failed")
    );
    // Retry on a step whose work succeeded says what is true.
    let mut d = fixtures::collected();
    d.key(Key::Char('r'));
    assert_eq!(
        d.model.notice.as_deref(),
        Some("Not now: the bundle is saved")
    );
}

#[test]
fn a_script_without_exec_bit_gets_a_confirmed_chmod_then_a_fresh_plan() {
    let mut d = fixtures::script_not_executable();
    assert!(matches!(d.model.run.plan, Job::Failed(_)));
    // x opens a confirmation on Cancel; Enter there changes nothing.
    d.key(Key::Char('x'));
    assert!(matches!(
        d.model.overlay,
        Some(Overlay::Confirm {
            kind: midrescue::wizard::model::ConfirmKind::MakeExecutable,
            focus: Focus::Cancel
        })
    ));
    let fx = d.key(Key::Enter);
    assert!(!has(&fx, |e| matches!(e, Effect::MakeExecutable { .. })));
    d.keys(&[Key::Char('x'), Key::Tab]);
    let fx = d.key(Key::Enter);
    assert!(has(&fx, |e| matches!(e, Effect::MakeExecutable { .. })));
    assert!(journal_texts(&fx)[0].starts_with("confirmed: chmod +x "));
    let run = d.last_run(|e| matches!(e, Effect::MakeExecutable { .. }));
    let fx = d.send(Msg::ChmodDone {
        run,
        result: Ok("rwxr-xr-x".into()),
    });
    assert!(journal_texts(&fx)[0].contains("rwxr-xr-x"));
    assert!(has(&fx, |e| matches!(
        e,
        Effect::PlanRun {
            fallback: false,
            ..
        }
    )));
    assert!(d.key(Key::Char('x')).is_empty(), "no second chmod");
}

#[test]
fn warn_needs_acknowledgement_and_start_type_has_its_own_confirmation() {
    let mut d = fixtures::warn();
    assert!(d.key(Key::Enter).is_empty());
    assert_eq!(d.model.step, Step::Warn);

    // m opens a confirmation whose focus starts on Cancel; Enter there changes nothing.
    d.key(Key::Char('m'));
    assert_eq!(
        d.model.overlay,
        Some(Overlay::Confirm {
            kind: midrescue::wizard::model::ConfirmKind::SetManual,
            focus: Focus::Cancel
        })
    );
    let fx = d.key(Key::Enter);
    assert!(!has(&fx, |e| matches!(e, Effect::SetStartType { .. })));
    assert!(journal_texts(&fx)[0].starts_with("declined"));
    // Deliberately: m, Tab, Enter.
    d.keys(&[Key::Char('m'), Key::Tab]);
    let fx = d.key(Key::Enter);
    assert!(has(&fx, |e| matches!(
        e,
        Effect::SetStartType {
            start_type: StartType::Manual,
            ..
        }
    )));
    let run = d.last_run(|e| matches!(e, Effect::SetStartType { .. }));
    d.send(Msg::StartTypeSet {
        run,
        result: Ok(StartType::Manual),
    });
    assert_eq!(d.model.start_type, Job::Done(StartType::Manual));
    assert!(d.key(Key::Char('m')).is_empty(), "m again is disabled");

    let fx = d.key(Key::Char('a'));
    assert!(journal_texts(&fx)[0].starts_with("acknowledged"));
    let fx = d.key(Key::Enter);
    assert_eq!(d.model.step, Step::Collect);
    assert!(has(&fx, |e| matches!(
        e,
        Effect::Collect {
            final_bundle: false,
            ..
        }
    )));
}

#[test]
fn collect_is_never_skipped_before_run() {
    let mut d = fixtures::collecting();
    assert!(d.key(Key::Enter).is_empty());
    assert_eq!(d.model.step, Step::Collect);
    let run = d.last_run(|e| matches!(e, Effect::Collect { .. }));
    d.send(Msg::CollectDone {
        run,
        result: Err("disk full".into()),
    });
    assert!(
        d.key(Key::Enter).is_empty(),
        "a failed bundle must not open Run"
    );
    assert_eq!(d.model.step, Step::Collect);
    let fx = d.key(Key::Char('r'));
    assert!(has(&fx, |e| matches!(e, Effect::Collect { .. })));
    let run2 = d.last_run(|e| matches!(e, Effect::Collect { .. }));
    d.send(Msg::CollectDone {
        run: run2,
        result: Ok(bundle(false)),
    });
    let fx = d.key(Key::Enter);
    assert_eq!(d.model.step, Step::Run);
    assert!(has(&fx, |e| matches!(
        e,
        Effect::PlanRun {
            fallback: false,
            ..
        }
    )));
}

#[test]
fn run_focus_starts_on_cancel_and_cancel_runs_nothing() {
    let mut d = fixtures::run_screen(false);
    assert_eq!(d.model.run.focus, Focus::Cancel);
    let fx = d.key(Key::Enter);
    assert!(!has(&fx, |e| matches!(e, Effect::Run { .. })));
    assert!(d.model.run.cancelled);
    assert!(journal_texts(&fx)[0].starts_with("declined to run"));
    d.key(Key::Tab);
    let fx = d.key(Key::Enter);
    assert!(has(&fx, |e| matches!(
        e,
        Effect::Run {
            fallback: false,
            ..
        }
    )));
    assert!(
        journal_texts(&fx)[0].starts_with("confirmed: run `sudo ./glide-dist-upgrade.sh start`")
    );
    // A second Enter while it starts does not run it twice.
    assert!(!has(&d.key(Key::Enter), |e| matches!(
        e,
        Effect::Run { .. }
    )));
}

#[test]
fn dry_run_is_respected() {
    let mut d = fixtures::run_screen(false);
    d.model.opts.dry_run = true;
    d.key(Key::Tab);
    let fx = d.key(Key::Enter);
    assert!(!has(&fx, |e| matches!(e, Effect::Run { .. })));
    assert_eq!(d.model.ending, Some(Ending::DryRun));
    assert!(journal_texts(&fx)[0].starts_with("dry run: would run"));
}

#[test]
fn run_started_moves_to_watch_and_starts_following() {
    let mut d = fixtures::run_screen(false);
    d.keys(&[Key::Tab, Key::Enter]);
    let run = d.last_run(|e| matches!(e, Effect::Run { .. }));
    let fx = d.send(Msg::RunStarted { run, pid: Some(7) });
    assert_eq!(d.model.step, Step::Watch);
    // The engine attached to the logs when it was asked to run: its events carry that id.
    assert_eq!(d.model.follow_run, Some(run));
    assert!(!has(&fx, |e| matches!(e, Effect::StartFollow { .. })));
}

#[test]
fn fallback_is_offered_when_the_script_needs_it() {
    let d = fixtures::run_screen(true);
    assert_eq!(d.model.step, Step::Run);
    assert!(d.model.run.fallback);
    assert!(
        d.model
            .run
            .fallback_reason
            .as_deref()
            .unwrap_or("")
            .contains("not installed")
    );
    assert_eq!(d.model.run.focus, Focus::Cancel);
    assert_eq!(
        d.model.run.plan.done().map(|p| p.kind),
        Some(RunKind::WrapperFallback),
        "the engine's offered plan is shown"
    );
    let mut d = d;
    d.key(Key::Right);
    let fx = d.key(Key::Enter);
    assert!(has(&fx, |e| matches!(
        e,
        Effect::Run { fallback: true, .. }
    )));
    // The follower started by the first attempt keeps going: no second StartFollow.
    let run = d.last_run(|e| matches!(e, Effect::Run { .. }));
    let fx = d.send(Msg::RunStarted { run, pid: None });
    assert!(!has(&fx, |e| matches!(e, Effect::StartFollow { .. })));
    assert_eq!(d.model.step, Step::Watch);
}

#[test]
fn a_spawn_failure_returns_to_run_with_the_error() {
    let mut d = fixtures::run_screen(false);
    d.keys(&[Key::Tab, Key::Enter]);
    let run = d.last_run(|e| matches!(e, Effect::Run { .. }));
    d.send(Msg::RunExited {
        run,
        outcome: RunOutcome::SpawnFailed {
            error: "sudo: a password is required".into(),
        },
    });
    assert_eq!(d.model.step, Step::Run);
    assert!(!d.model.upgrade_started());
    assert_eq!(d.model.run.focus, Focus::Cancel);
}

#[test]
fn quitting_while_the_upgrade_runs_asks_first() {
    let mut d = fixtures::watching(1);
    let fx = d.key(Key::Char('q'));
    assert!(!has(&fx, |e| matches!(e, Effect::Quit)));
    assert_eq!(
        d.model.overlay,
        Some(Overlay::QuitConfirm {
            focus: Focus::Cancel
        })
    );
    // Enter on the default (Stay) keeps watching.
    assert!(!has(&d.key(Key::Enter), |e| matches!(e, Effect::Quit)));
    assert_eq!(d.model.overlay, None);
    // Ctrl-C asks too; a second Ctrl-C leaves.
    d.key(Key::CtrlC);
    assert!(matches!(d.model.overlay, Some(Overlay::QuitConfirm { .. })));
    let fx = d.key(Key::CtrlC);
    assert!(has(&fx, |e| matches!(e, Effect::Quit)));
    assert_eq!(
        journal_texts(&fx),
        ["quit while the upgrade runs (it keeps running)"]
    );
}

#[test]
fn quitting_when_nothing_runs_needs_no_question() {
    let mut d = fixtures::warn();
    assert!(has(&d.key(Key::Char('q')), |e| matches!(e, Effect::Quit)));
    let mut d = fixtures::recovered(false);
    assert!(has(&d.key(Key::Char('q')), |e| matches!(e, Effect::Quit)));
}

#[test]
fn terminate_quits_at_once_and_journals_it() {
    let mut d = fixtures::watching(1);
    let fx = d.send(Msg::Terminate);
    assert!(has(&fx, |e| matches!(e, Effect::Quit)));
    assert!(journal_texts(&fx)[0].starts_with("terminated"));
}

#[test]
fn watch_reaches_up_and_done_offers_the_final_bundle() {
    let mut d = fixtures::recovered(false);
    assert_eq!(d.model.step, Step::Done);
    assert!(matches!(d.model.ending, Some(Ending::Recovered { .. })));
    let fx = d.key(Key::Char('c'));
    assert!(has(&fx, |e| matches!(
        e,
        Effect::Collect {
            final_bundle: true,
            ..
        }
    )));
    let run = d.last_run(|e| matches!(e, Effect::Collect { .. }));
    d.send(Msg::CollectDone {
        run,
        result: Ok(bundle(true)),
    });
    assert!(d.model.final_collect.job.done().is_some());
    assert_eq!(d.model.latest_bundle(), Some(&bundle(true)));
    assert!(d.key(Key::Char('c')).is_empty(), "built once");
}

#[test]
fn a_failed_upgrade_ends_failed_with_evidence() {
    let d = fixtures::failed();
    match &d.model.ending {
        Some(Ending::Failed { evidence, .. }) => assert!(!evidence.is_empty()),
        other => panic!("{other:?}"),
    }
    // Later milestones cannot overturn the ending.
    let mut d = d;
    let follow = d.model.follow_run.unwrap();
    d.send(Msg::RecoveryEnded {
        run: follow,
        report: Box::new(fixtures::run_report(
            RecoveryOutcome::Recovered,
            "up",
            999,
            vec![],
            None,
        )),
    });
    assert!(matches!(d.model.ending, Some(Ending::Failed { .. })));
}

#[test]
fn stall_is_shown_and_cleared() {
    let mut d = fixtures::watching(3);
    assert!(d.model.stall.is_some());
    let follow = d.model.follow_run.unwrap();
    d.send(Msg::Milestone {
        run: follow,
        event: MilestoneEvent::StallCleared,
    });
    assert!(d.model.stall.is_none());
}

#[test]
fn ticks_only_tell_the_time_the_engine_probes() {
    let mut d = fixtures::watching(0);
    let t = d.model.now;
    for secs in [2, 6, 20, 600] {
        let fx = update(&mut d.model, Msg::Tick(t + chrono::Duration::seconds(secs)));
        assert!(fx.is_empty(), "a tick asked for work: {fx:?}");
    }
    // The engine's probe results are shown as they come.
    let follow = d.model.follow_run.unwrap();
    d.send(Msg::ProbeResult {
        run: follow,
        service: ServiceState::Running,
    });
    assert_eq!(d.model.service, Some(ServiceState::Running));
}

#[test]
fn watch_keys_scroll_switch_and_follow() {
    let mut d = fixtures::watching(2);
    assert_eq!(d.model.focused_pane, 0);
    d.key(Key::Tab);
    assert_eq!(d.model.focused_pane, 1);
    d.key(Key::Left);
    d.key(Key::Left);
    assert_eq!(d.model.focused_pane, 2);
    d.key(Key::Up);
    assert!(!d.model.panes[2].follow);
    d.key(Key::End);
    assert!(d.model.panes[2].follow);
    d.key(Key::Char('f'));
    assert!(!d.model.panes[2].follow);
}

#[test]
fn help_and_why_toggle_on_every_step() {
    for (name, model) in fixtures::screens() {
        if model.overlay.is_some() {
            continue;
        }
        let mut m = model.clone();
        let was = m.why_open;
        update(&mut m, Msg::Key(Key::Char('w')));
        assert_eq!(m.why_open, !was, "{name}");
        update(&mut m, Msg::Key(Key::Char('?')));
        assert_eq!(m.overlay, Some(Overlay::Help), "{name}");
        update(&mut m, Msg::Key(Key::Esc));
        assert_eq!(m.overlay, None, "{name}");
    }
}

#[test]
fn every_operator_action_is_journaled_with_a_time() {
    let d = fixtures::recovered(false);
    let texts: Vec<&str> = d.model.journal.iter().map(|j| j.text.as_str()).collect();
    for expected in [
        "continue to Warn",
        "acknowledged: the MID service must not be started during recovery",
        "continue to Collect",
        "continue to Run",
        "the MID is Up",
    ] {
        assert!(
            texts.contains(&expected),
            "{expected} missing from {texts:?}"
        );
    }
    assert!(texts.iter().any(|t| t.starts_with("confirmed: run")));
    // Times come from the ticks, in order.
    let times: Vec<_> = d.model.journal.iter().map(|j| j.at).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    assert!(
        d.model.journal[0]
            .to_line()
            .starts_with("2026-11-22T03:04:07Z [Detect]")
    );
}

#[test]
fn upgrade_in_progress_skips_run_and_watches() {
    let mut d = fixtures::detected(Verdict::UpgradeInProgress, false);
    d.keys(&[Key::Enter, Key::Char('a'), Key::Enter]);
    let run = d.last_run(|e| matches!(e, Effect::Collect { .. }));
    d.send(Msg::CollectDone {
        run,
        result: Ok(bundle(false)),
    });
    let fx = d.key(Key::Enter);
    assert_eq!(d.model.step, Step::Watch);
    assert!(has(&fx, |e| matches!(e, Effect::StartFollow { .. })));
    assert!(!has(&fx, |e| matches!(
        e,
        Effect::Run { .. } | Effect::PlanRun { .. }
    )));
}

#[test]
fn milestones_keep_their_first_time() {
    let mut d = fixtures::watching(2);
    let follow = d.model.follow_run.unwrap();
    let row = |m: &Model| {
        m.timeline
            .iter()
            .find(|r| r.id == Milestone::MidStarted)
            .and_then(|r| r.reached_at)
    };
    let first = row(&d.model);
    d.send(Msg::Milestone {
        run: follow,
        event: MilestoneEvent::Reached {
            id: Milestone::MidStarted,
            at: at(5000),
            evidence: None,
        },
    });
    assert_eq!(row(&d.model), first);
}

#[test]
fn resize_is_accepted_at_any_time() {
    for (_, model) in fixtures::screens() {
        let mut m = model.clone();
        assert!(
            update(
                &mut m,
                Msg::Resize {
                    width: 50,
                    height: 10
                }
            )
            .is_empty()
        );
        assert_eq!((m.width, m.height), (50, 10));
    }
}

#[test]
fn quitting_while_a_bundle_is_built_asks_first() {
    let mut d = fixtures::collecting();
    assert!(!has(&d.key(Key::Char('q')), |e| matches!(e, Effect::Quit)));
    assert!(matches!(d.model.overlay, Some(Overlay::QuitConfirm { .. })));
    d.key(Key::Esc);
    assert_eq!(d.model.overlay, None);
    assert_eq!(d.model.step, Step::Collect);
}

#[test]
fn y_copies_the_exact_planned_command_and_says_how() {
    let mut d = fixtures::run_screen(false);
    let fx = d.key(Key::Char('y'));
    assert_eq!(fx, vec![Effect::Copy(plan(false).command)]);
    assert!(d.model.notice.as_deref().unwrap_or("").contains("OSC 52"));
    // Nothing planned: nothing to copy, and the key says why.
    let mut d = fixtures::script_not_executable();
    assert!(d.key(Key::Char('y')).is_empty());
    assert_eq!(
        d.model.notice.as_deref(),
        Some("Not now: no command planned")
    );
}

#[test]
fn detect_scrolls_and_help_or_dialogs_keep_their_own_keys() {
    let mut d = fixtures::detected(Verdict::CrashedUpgrade, false);
    d.keys(&[Key::Down, Key::Down, Key::PageDown]);
    assert!(d.model.detect_scroll >= 3);
    d.key(Key::Up);
    let before = d.model.detect_scroll;
    d.key(Key::PageUp);
    assert!(d.model.detect_scroll < before);
    // Ctrl-C in the help leaves (nothing runs), as the help says.
    d.key(Key::Char('?'));
    let fx = d.key(Key::CtrlC);
    assert!(has(&fx, |e| matches!(e, Effect::Quit)));
}

#[test]
fn demo_quit_during_watch_says_the_lab_stops_with_it() {
    let mut d = fixtures::watching(1);
    d.model.opts.training = true;
    d.key(Key::Char('q'));
    let fx = d.key(Key::CtrlC);
    assert!(has(&fx, |e| matches!(e, Effect::Quit)));
    assert!(journal_texts(&fx)[0].contains("the lab stops with it"));
}

#[test]
fn the_exit_summary_says_what_changed_on_the_host_in_plain_words() {
    use midrescue::app::summary::{Paths, build};
    let paths = Paths {
        journal: PathBuf::from("/tmp/j.txt"),
        log_file: None,
        outputs: vec![],
    };
    // Start type set to Manual, then quit while the upgrade runs.
    let mut d = fixtures::warn();
    d.keys(&[Key::Char('m'), Key::Tab, Key::Enter]);
    let run = d.last_run(|e| matches!(e, Effect::SetStartType { .. }));
    d.send(Msg::StartTypeSet {
        run,
        result: Ok(StartType::Manual),
    });
    let mut w = fixtures::watching(1);
    w.model.start_type = d.model.start_type.clone();
    w.model.original_start_type = Some(StartType::Auto);
    let s = build(&w.model, &paths);
    assert!(!s.text.contains("left_running"), "{}", s.text);
    assert!(
        s.text.contains("start type was set to Manual"),
        "{}",
        s.text
    );
    assert!(
        s.text.contains("set it back to Automatic: systemctl"),
        "{}",
        s.text
    );
    assert!(s.text.contains("The upgrade keeps running"), "{}", s.text);
    assert!(
        s.text
            .contains("check again:    midrescue --agent-dir /opt/servicenow/mid/agent detect"),
        "{}",
        s.text
    );
    assert!(
        s.text
            .contains("command:        sudo ./glide-dist-upgrade.sh start")
    );
    // A failure names its next step; the words are the engine's.
    let s = build(&fixtures::failed_locked().model, &paths);
    assert!(s.text.starts_with("midrescue: failed:"), "{}", s.text);
    assert!(s.text.contains("next step:") && s.text.contains("Resource Monitor"));
}

#[test]
fn preflight_opens_only_on_a_healthy_mid_and_esc_goes_back() {
    // Crashed: the key says why not, and nothing runs.
    let mut d = fixtures::detected(Verdict::CrashedUpgrade, false);
    let fx = d.key(Key::Char('p'));
    assert!(fx.is_empty());
    assert!(d.model.preflight.is_none());
    assert!(
        d.model
            .notice
            .as_deref()
            .unwrap_or("")
            .contains("healthy MID")
    );
    // Healthy: the checks run (read-only effect), the report shows, a stale answer is ignored.
    let mut d = fixtures::detected(Verdict::Healthy, false);
    let fx = d.key(Key::Char('p'));
    assert!(fx.iter().any(|e| matches!(e, Effect::Preflight { .. })));
    let run = d.last_run(|e| matches!(e, Effect::Preflight { .. }));
    let d2 = fixtures::preflight(true);
    let report = d2
        .model
        .preflight
        .as_ref()
        .unwrap()
        .job
        .done()
        .unwrap()
        .clone();
    d.send(Msg::PreflightDone {
        run: run + 100,
        result: Ok(report.clone()),
    });
    assert!(d.model.preflight.as_ref().unwrap().job.is_running());
    d.send(Msg::PreflightDone {
        run,
        result: Ok(report),
    });
    assert!(matches!(
        d.model.preflight.as_ref().unwrap().job,
        Job::Done(_)
    ));
    assert!(
        d.model
            .journal
            .iter()
            .any(|j| j.text.contains("preflight: fail"))
    );
    // r checks again; scrolling moves the view; Esc is back on Detect, still healthy.
    let fx = d.key(Key::Char('r'));
    assert!(fx.iter().any(|e| matches!(e, Effect::Preflight { .. })));
    d.key(Key::Down);
    assert_eq!(d.model.preflight.as_ref().unwrap().scroll, 1);
    d.key(Key::Esc);
    assert!(d.model.preflight.is_none());
    assert_eq!(d.model.step, midrescue::wizard::Step::Detect);
    assert_eq!(d.model.verdict(), Some(Verdict::Healthy));
}

#[test]
fn the_acts_a_course_scores_are_recorded_in_order() {
    use midrescue::course::score::Act;
    let mut d = fixtures::watching(1);
    let acts: Vec<Act> = d.model.acts.iter().map(|(_, a)| *a).collect();
    assert_eq!(acts, [Act::BundleSaved, Act::RunStarted], "{acts:?}");
    let was_open = d.model.why_open;
    d.key(Key::Char('w'));
    if was_open {
        d.key(Key::Char('w'));
    }
    d.key(Key::CtrlC);
    assert!(has(&d.key(Key::CtrlC), |e| matches!(e, Effect::Quit)));
    let acts: Vec<Act> = d.model.acts.iter().map(|(_, a)| *a).collect();
    assert_eq!(
        acts,
        [
            Act::BundleSaved,
            Act::RunStarted,
            Act::HintOpened,
            Act::QuitDuringRun
        ],
        "{acts:?}"
    );
}

#[test]
fn the_lab_only_service_start_is_offered_in_a_course_only_and_asks_first() {
    use midrescue::course::score::Act;
    use midrescue::wizard::keymap;
    // A real install (no course): no such key, in the hint bar or the help.
    let mut d = fixtures::warn();
    assert!(d.key(Key::Char('S')).is_empty());
    assert_eq!(d.model.overlay, None);
    assert!(keymap::bindings(&d.model).iter().all(|b| {
        b.binding
            .keys
            .iter()
            .all(|(_, a)| *a != keymap::Action::LabStartService)
    }));

    let mut d = fixtures::warn();
    d.model.opts.lab_start = true;
    assert!(d.key(Key::Char('S')).is_empty(), "asks first");
    assert!(matches!(
        d.model.overlay,
        Some(Overlay::Confirm {
            focus: Focus::Cancel,
            ..
        })
    ));
    // Enter on the default (Cancel) starts nothing.
    assert!(!has(&d.key(Key::Enter), |e| matches!(
        e,
        Effect::LabStartService { .. }
    )));
    d.key(Key::Char('S'));
    d.key(Key::Tab);
    let fx = d.key(Key::Enter);
    assert!(has(&fx, |e| matches!(e, Effect::LabStartService { .. })));
    let run = d.last_run(|e| matches!(e, Effect::LabStartService { .. }));
    let fx = d.send(Msg::LabServiceStarted {
        run,
        result: Ok("it deleted the upgrade temp folder".into()),
    });
    // What it destroyed is detected afresh.
    assert!(has(&fx, |e| matches!(e, Effect::Detect { .. })));
    assert_eq!(d.model.step, Step::Detect);
    assert!(!d.model.acknowledged);
    assert!(d.model.acts.iter().any(|(_, a)| *a == Act::ServiceStarted));
    assert!(
        d.model
            .journal
            .iter()
            .any(|j| j.text.starts_with("lab: started the MID service"))
    );
}

#[test]
fn demo_detect_leads_to_the_course_and_a_real_wizard_does_not() {
    use midrescue::mid::report::Verdict;
    let mut d = fixtures::detected(Verdict::CrashedUpgrade, false);
    assert!(d.key(Key::Char('C')).is_empty());
    assert!(!d.model.start_course);
    let mut d = fixtures::detected(Verdict::CrashedUpgrade, false);
    d.model.opts.course_entry = true;
    let fx = d.key(Key::Char('C'));
    assert!(has(&fx, |e| matches!(e, Effect::Quit)));
    assert!(d.model.start_course);
}
