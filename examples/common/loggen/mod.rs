//! Deterministic generator of large, realistic SMTP logs for the benchmark: Postfix maillog,
//! Exchange SmtpReceive protocol logs and PHPMailer echo-mode transcripts. Concurrent sessions
//! interleave (Postfix, Exchange), pids are reused, and successes and the usual failures come
//! in realistic proportions. The generator counts what it wrote, so the benchmark can check
//! that smtpscope finds the same sessions and statuses.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{self, Write};

mod exchange;
mod phpmailer;
mod postfix;

/// The formats the generator writes.
pub const FORMATS: [&str; 3] = ["postfix", "exchange-receive", "phpmailer"];

/// What the generator wrote: the numbers smtpscope must find again.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expected {
    pub format: String,
    pub bytes: u64,
    pub lines: u64,
    pub sessions: u64,
    pub success: u64,
    pub failure: u64,
    pub partial: u64,
    pub open: u64,
}

impl Expected {
    fn count(&mut self, status: Status) {
        self.sessions += 1;
        match status {
            Status::Success => self.success += 1,
            Status::Failure => self.failure += 1,
            Status::Partial => self.partial += 1,
        }
    }

    /// One JSON object, for stderr or a sidecar `.expected.json` file.
    pub fn to_json(&self) -> String {
        format!(
            "{{\"format\":\"{}\",\"bytes\":{},\"lines\":{},\"sessions\":{},\"success\":{},\"failure\":{},\"partial\":{},\"open\":{}}}",
            self.format, self.bytes, self.lines, self.sessions, self.success, self.failure, self.partial, self.open
        )
    }

    /// Reads what [`Expected::to_json`] wrote (flat object of numbers and one string).
    pub fn from_json(text: &str) -> Option<Expected> {
        let num = |key: &str| -> Option<u64> {
            let at = text.find(&format!("\"{key}\":"))? + key.len() + 3;
            let digits: String = text[at..].chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        };
        let at = text.find("\"format\":\"")? + 10;
        let format = text[at..].split('"').next()?.to_owned();
        Some(Expected {
            format,
            bytes: num("bytes")?,
            lines: num("lines")?,
            sessions: num("sessions")?,
            success: num("success")?,
            failure: num("failure")?,
            partial: num("partial")?,
            open: num("open")?,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Success,
    Failure,
    Partial,
}

/// splitmix64: small, fast, and the same on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// True with probability `per_mille`/1000.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Counts bytes and lines on their way out.
struct Out<W: Write> {
    w: W,
    bytes: u64,
    lines: u64,
}

impl<W: Write> Out<W> {
    fn line(&mut self, text: &str) -> io::Result<()> {
        self.w.write_all(text.as_bytes())?;
        self.w.write_all(b"\n")?;
        self.bytes += text.len() as u64 + 1;
        // Multi-line replies (PHPMailer) hold their own newlines.
        self.lines += 1 + text.bytes().filter(|&b| b == b'\n').count() as u64;
        Ok(())
    }
}

/// A clock that moves forward a few milliseconds per line, from 2026-11-22 00:00:00 UTC.
struct Clock {
    ms: u64,
}

const DAY_MS: u64 = 86_400_000;

impl Clock {
    fn tick(&mut self, rng: &mut Rng, max_ms: u64) {
        self.ms += rng.below(max_ms + 1);
    }
    fn hms(&self) -> (u64, u64, u64, u64) {
        let s = self.ms / 1000;
        ((s / 3600) % 24, (s / 60) % 60, s % 60, self.ms % 1000)
    }
    /// Day of the month, starting at 22 November (rolls into December and on).
    fn day(&self) -> (&'static str, u64) {
        let d = 22 + self.ms / DAY_MS;
        if d <= 30 {
            ("Nov", d)
        } else {
            ("Dec", ((d - 31) % 31) + 1)
        }
    }
    /// `Nov 22 10:00:01` (syslog).
    fn syslog(&self) -> String {
        let (h, m, s, _) = self.hms();
        let (mon, d) = self.day();
        format!("{mon} {d:2} {h:02}:{m:02}:{s:02}")
    }
    /// `2026-11-22` date part.
    fn ymd(&self) -> String {
        let (mon, d) = self.day();
        let month = if mon == "Nov" { 11 } else { 12 };
        format!("2026-{month:02}-{d:02}")
    }
    /// `2026-11-22T10:00:01.123Z` (Exchange).
    fn iso(&self) -> String {
        let (h, m, s, ms) = self.hms();
        format!("{}T{h:02}:{m:02}:{s:02}.{ms:03}Z", self.ymd())
    }
    /// `2026-11-22 10:00:01` (PHPMailer echo).
    fn plain(&self) -> String {
        let (h, m, s, _) = self.hms();
        format!("{} {h:02}:{m:02}:{s:02}", self.ymd())
    }
}

/// Writes about `mib` MiB of `format` to `w`; returns what was written.
pub fn generate(format: &str, mib: u64, seed: u64, w: impl Write) -> io::Result<Expected> {
    let target = mib * 1024 * 1024;
    let mut out = Out {
        w: io::BufWriter::with_capacity(1 << 20, w),
        bytes: 0,
        lines: 0,
    };
    let mut rng = Rng::new(seed);
    let mut exp = Expected {
        format: format.to_owned(),
        ..Expected::default()
    };
    match format {
        "postfix" => postfix::write(&mut out, &mut rng, target, &mut exp)?,
        "exchange-receive" => exchange::write(&mut out, &mut rng, target, &mut exp)?,
        "phpmailer" => phpmailer::write(&mut out, &mut rng, target, &mut exp)?,
        _ => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unknown format {format}; one of {}", FORMATS.join(", ")),
            ))
        }
    }
    out.w.flush()?;
    exp.bytes = out.bytes;
    exp.lines = out.lines;
    Ok(exp)
}

/// Interleaves sessions: `concurrency` of them are in flight; each step writes the next line
/// of a random one. A session is a tag (its pid) and its queue of lines, each a closure of the
/// clock so stamps rise. Tags of finished sessions are handed back to `next_session`, so a pid
/// is reused only after its connection ended, as on a real server.
struct Mixer;

/// One line to write later: the text after the stamp, and how the stamp is written.
type Line = Box<dyn FnOnce(&Clock) -> String>;

impl Mixer {
    fn run<W: Write>(
        out: &mut Out<W>,
        rng: &mut Rng,
        clock: &mut Clock,
        target: u64,
        concurrency: usize,
        mut next_session: impl FnMut(&mut Rng, &mut Vec<u32>) -> (u32, VecDeque<Line>),
    ) -> io::Result<()> {
        let mut live: Vec<(u32, VecDeque<Line>)> = Vec::new();
        let mut released = Vec::new();
        loop {
            while out.bytes < target && live.len() < concurrency {
                live.push(next_session(rng, &mut released));
            }
            if live.is_empty() {
                return Ok(());
            }
            let i = rng.below(live.len() as u64) as usize;
            if let Some(line) = live[i].1.pop_front() {
                clock.tick(rng, 20);
                out.line(&line(clock))?;
            }
            if live[i].1.is_empty() {
                released.push(live.swap_remove(i).0);
            }
        }
    }
}

const CLIENT_HOSTS: [&str; 8] = [
    "mail.example.org",
    "relay.example.org",
    "shop.example.org",
    "app.example.com",
    "news.example.biz",
    "unknown",
    "mx.example.info",
    "smtp.example.net",
];
const USERS: [&str; 6] = ["alice", "bob", "carol", "dave", "erin", "frank"];
const DOMAINS: [&str; 4] = ["example.com", "example.net", "example.org", "example.info"];

fn ip(rng: &mut Rng) -> String {
    let nets = ["192.0.2", "198.51.100", "203.0.113"];
    format!("{}.{}", rng.pick(&nets), 1 + rng.below(254))
}

fn qid(rng: &mut Rng) -> String {
    format!("{:010X}", rng.next() & 0xFF_FFFF_FFFF)
}

fn addr(rng: &mut Rng) -> String {
    format!("{}@{}", rng.pick(&USERS), rng.pick(&DOMAINS))
}
