#![no_main]
use std::sync::OnceLock;

use midrescue::redact::RuleSet;

static RULES: OnceLock<RuleSet> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let rules = RULES.get_or_init(|| RuleSet::builtin().expect("built-in rules compile"));
    midrescue::fuzzing::redact(rules, data);
});
