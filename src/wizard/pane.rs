//! A bounded, scrollable buffer of sanitised log lines for one followed file.

use std::collections::VecDeque;

use crate::mid::milestones::Source;
use crate::sanitize::line as sanitize_line;

/// Lines kept per pane; older ones fall off the top (the full logs go into the bundle).
pub const PANE_CAPACITY: usize = 5_000;

/// The followed files the Watch screen shows, in pane order.
pub const PANE_SOURCES: [Source; 3] = [Source::UpgradeLog, Source::WrapperLog, Source::AgentLog];

/// The pane of a followed file (`None` for the captured output, shown on the Run step).
pub fn pane_index(source: Source) -> Option<usize> {
    PANE_SOURCES.iter().position(|s| *s == source)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPane {
    pub source: Source,
    lines: VecDeque<String>,
    /// Lines dropped from the top since the start (shown so nobody thinks the log began here).
    pub dropped: u64,
    /// Lines above the bottom of the view; 0 with `follow` shows the newest line.
    pub scroll_back: usize,
    /// Keep the newest line in view as lines arrive.
    pub follow: bool,
    /// A note from the follower (file missing, rotated, truncated).
    pub note: Option<String>,
}

impl LogPane {
    pub fn new(source: Source) -> Self {
        LogPane {
            source,
            lines: VecDeque::new(),
            dropped: 0,
            scroll_back: 0,
            follow: true,
            note: None,
        }
    }

    /// Append raw lines (sanitised here, before they are stored).
    pub fn push_lines<I, S>(&mut self, raw: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for line in raw {
            self.lines.push_back(sanitize_line(line.as_ref()));
            if !self.follow {
                // Keep the operator's view still while they read.
                self.scroll_back = self.scroll_back.saturating_add(1);
            }
            if self.lines.len() > PANE_CAPACITY {
                self.lines.pop_front();
                self.dropped += 1;
            }
        }
        self.clamp();
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The lines that fill a view of `height` rows, oldest first.
    pub fn visible(&self, height: usize) -> impl Iterator<Item = &str> {
        // Never scroll past the top: a short log stays whole in view (Home on 3 lines shows 3).
        let back = self
            .scroll_back
            .min(self.lines.len().saturating_sub(height));
        let end = self.lines.len().saturating_sub(back);
        let start = end.saturating_sub(height);
        self.lines.range(start..end).map(String::as_str)
    }

    pub fn scroll_up(&mut self, n: usize) {
        self.follow = false;
        self.scroll_back = self.scroll_back.saturating_add(n);
        self.clamp();
    }

    pub fn scroll_down(&mut self, n: usize) {
        self.scroll_back = self.scroll_back.saturating_sub(n);
        if self.scroll_back == 0 {
            self.follow = true;
        }
    }

    pub fn to_top(&mut self) {
        self.follow = false;
        self.scroll_back = self.lines.len();
        self.clamp();
    }

    pub fn to_bottom(&mut self) {
        self.scroll_back = 0;
        self.follow = true;
    }

    fn clamp(&mut self) {
        self.scroll_back = self.scroll_back.min(self.lines.len().saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn home_and_end_on_a_short_log_keep_every_line_in_view() {
        let mut p = super::LogPane::new(crate::mid::milestones::Source::AgentLog);
        p.push_lines(["a", "b", "c"]);
        p.to_top();
        assert_eq!(p.visible(10).collect::<Vec<_>>(), ["a", "b", "c"]);
        p.to_bottom();
        assert_eq!(p.visible(10).collect::<Vec<_>>(), ["a", "b", "c"]);
        // A long log still scrolls to its top.
        p.push_lines((0..20).map(|i| i.to_string()));
        p.to_top();
        assert_eq!(p.visible(5).next(), Some("a"));
    }

    use super::*;

    #[test]
    fn bounded_and_counts_dropped() {
        let mut p = LogPane::new(Source::AgentLog);
        p.push_lines((0..PANE_CAPACITY + 10).map(|i| format!("line {i}")));
        assert_eq!(p.len(), PANE_CAPACITY);
        assert_eq!(p.dropped, 10);
        assert_eq!(
            p.visible(1).next(),
            Some(format!("line {}", PANE_CAPACITY + 9).as_str())
        );
    }

    #[test]
    fn scrolling_back_freezes_the_view_while_lines_arrive() {
        let mut p = LogPane::new(Source::AgentLog);
        p.push_lines(["a", "b", "c"]);
        p.scroll_up(1);
        assert!(!p.follow);
        assert_eq!(p.visible(1).collect::<Vec<_>>(), ["b"]);
        p.push_lines(["d"]);
        assert_eq!(p.visible(1).collect::<Vec<_>>(), ["b"]);
        p.to_bottom();
        assert_eq!(p.visible(1).collect::<Vec<_>>(), ["d"]);
    }

    #[test]
    fn lines_are_sanitised_on_the_way_in() {
        let mut p = LogPane::new(Source::UpgradeLog);
        p.push_lines(["\u{1b}[31mred\u{1b}[0m"]);
        assert_eq!(p.visible(5).collect::<Vec<_>>(), ["red"]);
    }
}
