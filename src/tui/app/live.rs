//! Live mode (`smtpscope -f` on a terminal), like `less +F`: while following, the newest
//! session is selected and its transcript stays at its bottom as lines arrive; any move pauses
//! following and `F` resumes it. Also the read rate and the follower's notices (waiting for a
//! file, rotation, truncation, polling) that the status bar shows.

use super::{App, Command};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The read rate is measured over this much recent time.
pub const RATE_WINDOW: Duration = Duration::from_secs(5);
/// A notice stays at least this long; the first data arriving later replaces it.
pub const NOTICE_MIN: Duration = Duration::from_secs(5);

/// The live-tail part of the viewer state.
#[derive(Debug)]
pub struct Live {
    /// Following new sessions (`LIVE`) or paused by a move (`PAUSED`).
    pub following: bool,
    /// The follower's latest notice and when it arrived.
    pub notice: Option<(String, Instant)>,
    rate: Rate,
}

impl Live {
    pub fn new() -> Live {
        Live {
            following: true,
            notice: None,
            rate: Rate::default(),
        }
    }

    /// `12 lines/s`, `3.4 KB/s`: what was read over the last few seconds before `now`.
    pub fn rate_text(&self, now: Instant) -> String {
        let (lines, bytes) = self.rate.per_second(now);
        if lines < 100.0 {
            let digits = usize::from(lines > 0.0 && lines < 10.0);
            return format!("{lines:.digits$} lines/s");
        }
        if bytes < 1024.0 * 1024.0 {
            format!("{:.1} KB/s", bytes / 1024.0)
        } else {
            format!("{:.1} MB/s", bytes / 1_048_576.0)
        }
    }
}

impl Default for Live {
    fn default() -> Self {
        Live::new()
    }
}

/// Read increments over time, from the cumulative counts in the sources' reports.
#[derive(Debug, Default)]
struct Rate {
    /// Per source: (bytes, lines) read as of its last report.
    seen: Vec<(u64, u64)>,
    /// (when, bytes, lines) read since the previous report, for the last [`RATE_WINDOW`].
    samples: VecDeque<(Instant, u64, u64)>,
    /// When the first report arrived: a young window is shorter.
    first: Option<Instant>,
}

impl Rate {
    fn record(&mut self, source: usize, bytes: u64, lines: u64, now: Instant) {
        if self.seen.len() <= source {
            self.seen.resize(source + 1, (0, 0));
        }
        let (b0, l0) = std::mem::replace(&mut self.seen[source], (bytes, lines));
        self.first.get_or_insert(now);
        self.samples
            .push_back((now, bytes.saturating_sub(b0), lines.saturating_sub(l0)));
        while self
            .samples
            .front()
            .is_some_and(|(t, ..)| now.saturating_duration_since(*t) > RATE_WINDOW)
        {
            self.samples.pop_front();
        }
    }

    /// (lines, bytes) per second over the window ending at `now`.
    fn per_second(&self, now: Instant) -> (f64, f64) {
        let Some(first) = self.first else {
            return (0.0, 0.0);
        };
        let recent = self
            .samples
            .iter()
            .filter(|(t, ..)| now.saturating_duration_since(*t) <= RATE_WINDOW);
        let (bytes, lines) = recent.fold((0u64, 0u64), |(b, l), (_, db, dl)| (b + db, l + dl));
        let span = now
            .saturating_duration_since(first)
            .clamp(Duration::from_secs(1), RATE_WINDOW)
            .as_secs_f64();
        (lines as f64 / span, bytes as f64 / span)
    }
}

/// Commands that move the selection or the transcript: they pause following.
fn moves(c: Command) -> bool {
    use Command::*;
    matches!(
        c,
        Down | Up | PageDown | PageUp | Top | Bottom | Decisive | NextMatch | PrevMatch
    )
}

impl App {
    /// The time the current action is handled at (fixed in tests).
    pub(super) fn clock(&self) -> Instant {
        self.fixed_now.unwrap_or_else(Instant::now)
    }

    /// True while the viewer follows new sessions.
    pub fn following(&self) -> bool {
        self.live.as_ref().is_some_and(|l| l.following)
    }

    /// Stops following: the user moved, so the view stays where they put it.
    pub(super) fn pause(&mut self) {
        if let Some(l) = &mut self.live {
            l.following = false;
        }
    }

    /// Pauses before a command that moves.
    pub(super) fn pause_if_moving(&mut self, c: Command) {
        if moves(c) {
            self.pause();
        }
    }

    /// `F`: follow again (newest session, bottom of its transcript).
    pub(super) fn resume(&mut self) {
        match &mut self.live {
            Some(l) => {
                l.following = true;
                self.stick_to_newest();
            }
            None => self.message = Some("F follows a live tail: start with `smtpscope -f FILE`".into()),
        }
    }

    /// While following: selects the newest shown session and scrolls to its last row.
    pub(super) fn stick_to_newest(&mut self) {
        if !self.following() || self.order.is_empty() {
            return;
        }
        self.select_pos(self.order.len() - 1);
        self.scroll = usize::MAX;
        self.clamp_view();
    }

    /// A message from the follower: a notice in the status bar in live mode (the follower
    /// keeps going), otherwise a problem, shown now and printed on exit.
    pub(super) fn problem(&mut self, text: String) {
        let now = self.now;
        match &mut self.live {
            // A follower's word (waiting, rotated) is a notice; its panic is also said on exit.
            Some(l) => {
                if text.starts_with(crate::feed::INTERNAL_ERROR) {
                    self.problems.push(text.clone());
                }
                l.notice = Some((text, now));
            }
            None => {
                self.message = Some(text.clone());
                self.problems.push(text);
            }
        }
    }

    /// A source's report: its read counts feed the rate.
    pub(super) fn count_read(&mut self, source: usize, bytes: u64, lines: u64) {
        let now = self.now;
        if let Some(l) = &mut self.live {
            l.rate.record(source, bytes, lines, now);
        }
    }

    /// Sessions arrived: an old notice gives way to them.
    pub(super) fn age_notice(&mut self) {
        let now = self.now;
        if let Some(l) = &mut self.live {
            if l.notice
                .as_ref()
                .is_some_and(|(_, at)| now.saturating_duration_since(*at) >= NOTICE_MIN)
            {
                l.notice = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_counts_what_was_read_in_the_last_seconds() {
        let t0 = Instant::now();
        let mut live = Live::new();
        assert_eq!(live.rate_text(t0), "0 lines/s");
        live.rate.record(0, 1000, 10, t0);
        // Young window: one second at least.
        assert_eq!(live.rate_text(t0), "10 lines/s");
        live.rate.record(0, 1100, 12, t0 + Duration::from_secs(2));
        assert_eq!(live.rate_text(t0 + Duration::from_secs(2)), "6.0 lines/s");
        // The first sample leaves the window; the later one (2 lines) remains.
        assert_eq!(live.rate_text(t0 + Duration::from_secs(6)), "0.4 lines/s");
        assert_eq!(live.rate_text(t0 + Duration::from_secs(60)), "0 lines/s");
        // Many lines per second: bytes instead.
        live.rate
            .record(1, 5 * 300_000, 5000, t0 + Duration::from_secs(61));
        assert_eq!(live.rate_text(t0 + Duration::from_secs(61)), "293.0 KB/s");
    }
}
