//! Progress on a terminal at any scale: every event's line while they come slowly, as
//! Terraform prints them, and past [`Live::LINES_PER_SECOND`] in one second a summary instead
//! (`... 1,234 more changes complete, 10 running; 56,789 complete so far`), so that an apply of
//! 100,000 instances stays readable and the terminal does not set its pace. Logs and `--json`
//! get every line; only a terminal gets this.

use crate::events::Event;
use std::time::{Duration, Instant};

/// The lines of a live progress display, given each event and when it came.
#[derive(Debug)]
pub struct Live {
    /// The start of the current one-second window, and the lines printed in it.
    window: Instant,
    printed: usize,
    /// Events of the current window not printed.
    held: usize,
    /// Changes started and finished (complete or failed) since the start.
    started: usize,
    finished: usize,
}

impl Live {
    /// At most this many event lines a second; then one summary line a second.
    pub const LINES_PER_SECOND: usize = 20;
    const WINDOW: Duration = Duration::from_secs(1);

    pub fn new(now: Instant) -> Live {
        Live {
            window: now,
            printed: 0,
            held: 0,
            started: 0,
            finished: 0,
        }
    }

    /// The lines to print for `event` (its own `line`, when it is printed), arrived at `now`:
    /// a summary of what was held back first when a new window starts.
    pub fn lines(&mut self, event: &Event, line: String, now: Instant) -> Vec<String> {
        match event {
            Event::ApplyStarted { .. } => self.started += 1,
            Event::ApplyFinished { .. } | Event::ApplyFailed { .. } => self.finished += 1,
            _ => {}
        }
        let mut out = Vec::new();
        if now.duration_since(self.window) >= Self::WINDOW {
            out.extend(self.summary());
            self.window = now;
            self.printed = 0;
        }
        // A failure is always shown: it is what the reader must not miss.
        if self.printed < Self::LINES_PER_SECOND || matches!(event, Event::ApplyFailed { .. }) {
            self.printed += 1;
            out.push(line);
        } else {
            self.held += 1;
        }
        out
    }

    /// The summary of the events held back since the last one, if any (also for the end of
    /// the run).
    pub fn summary(&mut self) -> Option<String> {
        if self.held == 0 {
            return None;
        }
        let held = std::mem::take(&mut self.held);
        let running = self.started.saturating_sub(self.finished);
        Some(format!(
            "... {} more progress lines not shown; {} changes finished, {} running",
            thousands(held),
            thousands(self.finished),
            thousands(running)
        ))
    }
}

/// `1234567` as `1,234,567`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::InstanceAddr;
    use crate::plan::Action;

    fn finished(i: usize) -> Event {
        Event::ApplyFinished {
            addr: InstanceAddr::parse(&format!("terraform_data.x[{i}]")).unwrap(),
            action: Action::Create,
            elapsed: Duration::ZERO,
            id: None,
        }
    }

    #[test]
    fn a_burst_prints_a_bounded_number_of_lines_a_second_and_summarises_the_rest() {
        let start = Instant::now();
        let mut live = Live::new(start);
        let mut printed = Vec::new();
        // 10,000 changes finishing within the first second, then one more a second later.
        for i in 0..10_000 {
            let at = start + Duration::from_micros(i as u64 * 50);
            printed.extend(live.lines(&finished(i), format!("line {i}"), at));
        }
        assert_eq!(printed.len(), Live::LINES_PER_SECOND);
        let later = live.lines(
            &finished(10_000),
            "line 10000".into(),
            start + Duration::from_secs(1),
        );
        assert_eq!(
            later,
            [
                "... 9,980 more progress lines not shown; 10,001 changes finished, 0 running",
                "line 10000"
            ]
        );
        assert_eq!(live.summary(), None);
    }

    #[test]
    fn slow_events_are_all_printed_and_failures_always() {
        let start = Instant::now();
        let mut live = Live::new(start);
        for i in 0..5 {
            let at = start + Duration::from_secs(i);
            assert_eq!(
                live.lines(&finished(i as usize), format!("line {i}"), at)
                    .len(),
                1
            );
        }
        let now = start + Duration::from_secs(10);
        for i in 0..Live::LINES_PER_SECOND {
            live.lines(&finished(i), String::new(), now);
        }
        let failed = Event::ApplyFailed {
            addr: InstanceAddr::parse("terraform_data.y").unwrap(),
            action: Action::Create,
        };
        assert_eq!(live.lines(&failed, "failed".into(), now), ["failed"]);
        assert!(live.lines(&finished(0), "held".into(), now).is_empty());
        assert!(
            live.summary()
                .unwrap()
                .starts_with("... 1 more progress lines not shown")
        );
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
