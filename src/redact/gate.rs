//! Which line rules can match a line at all, in one pass: most lines that trip the cheap
//! trigger (`connect timed out` holds `connect`) match no rule, and running two dozen capture
//! searches on each cost more than compressing it.
//!
//! A lazy DFA over every rule at once (match kind "all", so each pattern is reported exactly
//! when its own regex would match somewhere in the line). It is built with ASCII classes and
//! stops at the first non-ASCII byte: Unicode classes of two dozen rules at once make too
//! many states (the cache thrashed on mixed text), MID logs are nearly all ASCII, and on an
//! ASCII line the ASCII and Unicode classes match the same. It may also give up when its cache
//! thrashes. The answer is then
//! "unknown" and every rule runs, as without the gate; a stream whose lines keep giving up
//! stops asking. The gate only ever skips a rule that cannot match, so it cannot cause a leak.

use std::sync::Mutex;

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::util::syntax;
use regex_automata::{Input, MatchErrorKind, MatchKind, PatternSet};

/// Cache room per stream; the DFA clears it when full (and gives up if that keeps happening).
const CACHE: usize = 1 << 20;
/// After the cache thrashed this many times in one stream, the stream stops asking.
const GIVE_UPS: u32 = 64;
/// Caches kept for reuse, so that 100,000 small files do not rebuild the same states.
const POOL: usize = 16;

#[derive(Debug)]
pub struct Gate {
    dfa: DFA,
    pool: Mutex<Vec<Cache>>,
}

/// A clone shares the compiled automaton and starts its own cache pool (one per thread that
/// clones it, so the pool's lock is never contended).
impl Clone for Gate {
    fn clone(&self) -> Self {
        Gate {
            dfa: self.dfa.clone(),
            pool: Mutex::new(Vec::new()),
        }
    }
}

impl Gate {
    /// `patterns` in the syntax of `regex::bytes`.
    pub fn new(patterns: &[String]) -> anyhow::Result<Gate> {
        let dfa = DFA::builder()
            // ASCII classes: on an ASCII line (the only lines it answers for, see `quit`) they
            // match exactly what the Unicode ones of the rules match, with far fewer states.
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .thompson(thompson::Config::new().utf8(false))
            .configure(
                (0x80..=0xFF).fold(
                    DFA::config()
                        .match_kind(MatchKind::All)
                        .cache_capacity(CACHE)
                        .minimum_cache_clear_count(Some(3)),
                    |c, b| c.quit(b, true),
                ),
            )
            .build_many(patterns)
            .map_err(|e| anyhow::anyhow!("redaction gate does not build: {e}"))?;
        Ok(Gate {
            dfa,
            pool: Mutex::new(Vec::new()),
        })
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.dfa.pattern_len()
    }

    /// A per-stream handle (a cache from the pool when there is one).
    pub fn session(&self) -> Session<'_> {
        let cache = self
            .pool
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_else(|| self.dfa.create_cache());
        Session {
            gate: self,
            cache: Some(cache),
            set: PatternSet::new(self.dfa.pattern_len()),
            give_ups: 0,
        }
    }
}

/// One stream's use of the gate.
pub struct Session<'g> {
    gate: &'g Gate,
    cache: Option<Cache>,
    set: PatternSet,
    give_ups: u32,
}

impl Session<'_> {
    /// Which patterns match somewhere in `text`; `None` when unknown (run every rule).
    pub fn matches(&mut self, text: &[u8]) -> Option<&PatternSet> {
        if self.give_ups >= GIVE_UPS {
            return None;
        }
        let cache = self.cache.as_mut()?;
        self.set.clear();
        match self
            .gate
            .dfa
            .try_which_overlapping_matches(cache, &Input::new(text), &mut self.set)
        {
            Ok(()) => Some(&self.set),
            // A non-ASCII byte: cheap (the scan stops there), this line only.
            Err(e) if matches!(e.kind(), MatchErrorKind::Quit { .. }) => None,
            // The cache thrashed: costly, so a stream where it keeps happening stops asking.
            Err(_) => {
                self.give_ups += 1;
                None
            }
        }
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        if let (Some(c), Ok(mut pool)) = (self.cache.take(), self.gate.pool.lock())
            && pool.len() < POOL
        {
            pool.push(c);
        }
    }
}
