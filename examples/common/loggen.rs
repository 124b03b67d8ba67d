//! Deterministic generator of large, realistic SMTP logs for the benchmark: Postfix maillog,
//! Exchange SmtpReceive protocol logs and PHPMailer echo-mode transcripts. Concurrent sessions
//! interleave (Postfix, Exchange), pids are reused, and successes and the usual failures come
//! in realistic proportions. The generator counts what it wrote, so the benchmark can check
//! that smtpscope finds the same sessions and statuses.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{self, Write};

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
        self.lines += 1;
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
        "postfix" => postfix(&mut out, &mut rng, target, &mut exp)?,
        "exchange-receive" => exchange(&mut out, &mut rng, target, &mut exp)?,
        "phpmailer" => phpmailer(&mut out, &mut rng, target, &mut exp)?,
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

// ---------------------------------------------------------------- Postfix

/// A Postfix line: `Nov 22 10:00:01 mx1 postfix/<prog>[<pid>]: <text>`.
fn pf(prog: &'static str, pid: u32, text: String) -> Line {
    Box::new(move |c: &Clock| format!("{} mx1 postfix/{prog}[{pid}]: {text}", c.syslog()))
}

fn other(text: &'static str, prog: &'static str, pid: u32) -> Line {
    Box::new(move |c: &Clock| format!("{} mx1 {prog}[{pid}]: {text}", c.syslog()))
}

/// Postfix: inbound smtpd connections (pids from a small pool, so they are reused), queue-id
/// lines after the disconnect, some relayed onward by `smtp` (its own sessions), and noise.
fn postfix<W: Write>(out: &mut Out<W>, rng: &mut Rng, target: u64, exp: &mut Expected) -> io::Result<()> {
    let mut clock = Clock { ms: 0 };
    // A pool a little larger than the concurrency: pids come back soon after they end.
    let mut free_pids: VecDeque<u32> = (4000..4050).collect();
    let mut smtp_pid = 20_000u32;
    Mixer::run(out, rng, &mut clock, target, 40, |rng, released| {
        free_pids.extend(released.drain(..));
        let pid = free_pids.pop_front().expect("more pids than concurrent sessions");
        smtp_pid = if smtp_pid >= 29_999 { 20_000 } else { smtp_pid + 1 };
        (pid, postfix_session(rng, pid, smtp_pid, exp))
    })
}

fn postfix_session(rng: &mut Rng, pid: u32, smtp_pid: u32, exp: &mut Expected) -> VecDeque<Line> {
    let mut l: VecDeque<Line> = VecDeque::new();
    let host = rng.pick(&CLIENT_HOSTS);
    let peer = format!("{host}[{}]", ip(rng));
    let q = qid(rng);
    let from = addr(rng);
    let to = addr(rng);
    let roll = rng.below(1000);
    if rng.chance(30) {
        l.push_back(other(
            "(root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)",
            "CRON",
            7001,
        ));
    }
    if roll < 50 {
        // Failed login on the submission port.
        let p = |t: String| pf("submission/smtpd", pid, t);
        l.push_back(p(format!("connect from {peer}")));
        l.push_back(p(format!("Anonymous TLS connection established from {peer}: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)")));
        l.push_back(p(format!(
            "warning: {peer}: SASL LOGIN authentication failed: UGFzc3dvcmQ6"
        )));
        l.push_back(p(format!(
            "disconnect from {peer} ehlo=1 starttls=1 auth=0/1 quit=1 commands=3/4"
        )));
        exp.count(Status::Failure);
        return l;
    }
    let p = |t: String| pf("smtpd", pid, t);
    l.push_back(p(format!("connect from {peer}")));
    if rng.chance(500) {
        l.push_back(p(format!("Anonymous TLS connection established from {peer}: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256")));
    }
    if roll < 90 {
        l.push_back(p(format!("NOQUEUE: reject: RCPT from {peer}: 554 5.7.1 <{to}>: Relay access denied; from=<{from}> to=<{to}> proto=ESMTP helo=<{host}>")));
        l.push_back(p(format!(
            "disconnect from {peer} ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4"
        )));
        exp.count(Status::Failure);
        return l;
    }
    if roll < 110 {
        l.push_back(p(format!("NOQUEUE: reject: RCPT from {peer}: 550 5.1.1 <{to}>: Recipient address rejected: User unknown in local recipient table; from=<{from}> to=<{to}> proto=ESMTP helo=<{host}>")));
        l.push_back(p(format!(
            "disconnect from {peer} ehlo=1 mail=1 rcpt=0/1 data=0/1 quit=1 commands=3/5"
        )));
        exp.count(Status::Failure);
        return l;
    }
    l.push_back(p(format!("{q}: client={peer}")));
    if roll < 140 {
        l.push_back(p(format!(
            "lost connection after DATA ({} bytes) from {peer}",
            1000 + rng.below(50_000)
        )));
        l.push_back(p(format!(
            "disconnect from {peer} ehlo=1 mail=1 rcpt=1 data=0/1 commands=3/4"
        )));
        exp.count(Status::Failure);
        return l;
    }
    let partial = roll < 180;
    if partial {
        l.push_back(p(format!("{q}: reject: RCPT from {peer}: 550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local recipient table; from=<{from}> to=<nobody@example.com> proto=ESMTP helo=<{host}>")));
    }
    let size = 800 + rng.below(40_000);
    l.push_back(pf(
        "cleanup",
        5001,
        format!("{q}: message-id=<{}.{}@{host}>", rng.below(1_000_000), size),
    ));
    let nrcpt = 1;
    l.push_back(pf(
        "qmgr",
        1010,
        format!("{q}: from=<{from}>, size={size}, nrcpt={nrcpt} (queue active)"),
    ));
    let rcpt = if partial { "rcpt=1/2" } else { "rcpt=1" };
    let cmds = if partial { "commands=5/6" } else { "commands=5" };
    l.push_back(p(format!(
        "disconnect from {peer} ehlo=1 mail=1 {rcpt} data=1 quit=1 {cmds}"
    )));
    exp.count(if partial { Status::Partial } else { Status::Success });
    if rng.chance(750) {
        l.push_back(pf("local", 5100 + (rng.below(20) as u32), format!("{q}: to=<{to}>, relay=local, delay=0.9, delays=0.5/0.01/0/0.39, dsn=2.0.0, status=sent (delivered to mailbox)")));
    } else {
        // Relayed onward: one smtp delivery attempt, its own session.
        let mx = format!("mx{}.{}[{}]:25", rng.below(3), rng.pick(&DOMAINS), ip(rng));
        let r = rng.below(100);
        let (dsn, status, reason, st) = if r < 80 {
            (
                "2.0.0",
                "sent",
                format!("250 2.0.0 Ok: queued as {}", qid(rng)),
                Status::Success,
            )
        } else if r < 92 {
            ("4.7.1", "deferred", format!("host {mx} said: 450 4.7.1 <{to}>: Recipient address rejected: Greylisted, try again later (in reply to RCPT TO command)"), Status::Failure)
        } else {
            ("5.1.1", "bounced", format!("host {mx} said: 550 5.1.1 <{to}>: Recipient address rejected: User unknown (in reply to RCPT TO command)"), Status::Failure)
        };
        l.push_back(pf("smtp", smtp_pid, format!("{q}: to=<{to}>, relay={mx}, delay=1.4, delays=0.2/0/0.6/0.6, dsn={dsn}, status={status} ({reason})")));
        exp.count(st);
        if status == "bounced" {
            l.push_back(pf(
                "bounce",
                5301,
                format!("{q}: sender non-delivery notification: {}", qid(rng)),
            ));
        }
    }
    l.push_back(pf("qmgr", 1010, format!("{q}: removed")));
    l
}

// ---------------------------------------------------------------- Exchange SmtpReceive

/// Exchange SmtpReceive: CSV events of interleaved sessions, unique session ids, sequence
/// numbers per session.
fn exchange<W: Write>(out: &mut Out<W>, rng: &mut Rng, target: u64, exp: &mut Expected) -> io::Result<()> {
    out.line("#Software: Microsoft Exchange Server")?;
    out.line("#Version: 15.01.2507.006")?;
    out.line("#Log-type: SMTP Receive Protocol Log")?;
    out.line("#Date: 2026-11-22T00:00:00.000Z")?;
    out.line("#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context")?;
    let mut clock = Clock { ms: 0 };
    let mut n: u64 = 0x08DE_1000_0000_0000;
    Mixer::run(out, rng, &mut clock, target, 30, |rng, _| {
        n += 1 + rng.below(1000);
        (0, exchange_session(rng, n, exp))
    })
}

fn exchange_session(rng: &mut Rng, id: u64, exp: &mut Expected) -> VecDeque<Line> {
    let remote = format!("{}:{}", ip(rng), 1024 + rng.below(60_000));
    let host = rng.pick(&CLIENT_HOSTS);
    let from = addr(rng);
    let to = addr(rng);
    let mut events: Vec<(&'static str, String, &'static str)> = vec![
        ("+", String::new(), ""),
        ("*", "SMTPSubmit SMTPAcceptAnyRecipient BypassAntiSpam AcceptRoutingHeaders".into(), "Set Session Permissions"),
        (">", "220 EXCH01.corp.example.com Microsoft ESMTP MAIL Service ready at Sun, 22 Nov 2026 10:00:00 +0000".into(), ""),
        ("<", format!("EHLO {host}"), ""),
    ];
    for ext in [
        "250-EXCH01.corp.example.com Hello",
        "250-SIZE 37748736",
        "250-PIPELINING",
        "250-STARTTLS",
        "250-AUTH NTLM LOGIN",
        "250-8BITMIME",
        "250 CHUNKING",
    ] {
        let text = if ext.ends_with("Hello") {
            format!("{ext} [{}]", remote.split(':').next().unwrap_or(""))
        } else {
            ext.to_owned()
        };
        events.push((">", text, ""));
    }
    let roll = rng.below(1000);
    let status = if roll < 60 {
        events.push(("<", "AUTH LOGIN".into(), ""));
        events.push((">", "334 <authentication response>".into(), ""));
        events.push((">", "334 <authentication response>".into(), ""));
        events.push((
            "*",
            String::new(),
            "Inbound AUTH LOGIN failed because of LogonDenied",
        ));
        events.push(("*", String::new(), "User Name: someone@example.com"));
        events.push((">", "535 5.7.3 Authentication unsuccessful".into(), ""));
        events.push(("-", String::new(), "Remote"));
        Status::Failure
    } else if roll < 110 {
        events.push(("<", format!("MAIL FROM:<{from}>"), ""));
        events.push((">", "250 2.1.0 Sender OK".into(), ""));
        events.push(("<", format!("RCPT TO:<{to}>"), ""));
        events.push((
            ">",
            "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain".into(),
            "",
        ));
        events.push(("<", "QUIT".into(), ""));
        events.push((">", "221 2.0.0 Service closing transmission channel".into(), ""));
        events.push(("-", String::new(), "Local"));
        Status::Failure
    } else if roll < 140 {
        events.push((">", "421 4.4.1 Connection timed out".into(), ""));
        events.push(("-", String::new(), "Local"));
        Status::Failure
    } else {
        let partial = roll < 180;
        events.push((
            "<",
            format!("MAIL FROM:<{from}> SIZE={}", 900 + rng.below(40_000)),
            "",
        ));
        events.push((">", "250 2.1.0 Sender OK".into(), ""));
        events.push(("<", format!("RCPT TO:<{to}>"), ""));
        events.push((">", "250 2.1.5 Recipient OK".into(), ""));
        if partial {
            events.push(("<", "RCPT TO:<nobody@example.com>".into(), ""));
            events.push((
                ">",
                "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"
                    .into(),
                "",
            ));
        }
        events.push(("<", "DATA".into(), ""));
        events.push((">", "354 Start mail input; end with <CRLF>.<CRLF>".into(), ""));
        events.push(("*", String::new(), "receiving message"));
        events.push((">", format!("\"250 2.6.0 <{}@{host}> [InternalId={}, Hostname=EXCH01.corp.example.com] Queued mail for delivery\"", rng.below(1 << 40), rng.below(1 << 40)), ""));
        events.push(("<", "QUIT".into(), ""));
        events.push((">", "221 2.0.0 Service closing transmission channel".into(), ""));
        events.push(("-", String::new(), "Local"));
        if partial {
            Status::Partial
        } else {
            Status::Success
        }
    };
    exp.count(status);
    let local = "192.0.2.10:25";
    events
        .into_iter()
        .enumerate()
        .map(|(seq, (ev, data, ctx))| -> Line {
            let remote = remote.clone();
            Box::new(move |c: &Clock| {
                format!(
                    "{},EXCH01\\Default Frontend EXCH01,{id:016X},{seq},{local},{remote},{ev},{data},{ctx}",
                    c.iso()
                )
            })
        })
        .collect()
}

// ---------------------------------------------------------------- PHPMailer

/// PHPMailer echo-mode output (`SMTPDebug = 3`): one connection after another, as a cron job
/// sending mail writes them; multi-line replies continue on indented lines.
fn phpmailer<W: Write>(out: &mut Out<W>, rng: &mut Rng, target: u64, exp: &mut Expected) -> io::Result<()> {
    let mut clock = Clock { ms: 0 };
    // One sender at a time: concurrency 1.
    Mixer::run(out, rng, &mut clock, target, 1, |rng, _| {
        (0, phpmailer_session(rng, exp))
    })
}

fn php(text: String) -> Line {
    Box::new(move |c: &Clock| format!("{}\t{text}", c.plain()))
}

const CONT: &str = "                   \t                  ";

fn phpmailer_session(rng: &mut Rng, exp: &mut Expected) -> VecDeque<Line> {
    let mut l: VecDeque<Line> = VecDeque::new();
    let server = rng.pick(&["smtp.example.net", "mail.example.org", "smtp.example.com"]);
    let from = addr(rng);
    let to = addr(rng);
    let s = |t: &str| php(format!("SERVER -> CLIENT: {t}"));
    let c = |t: &str| php(format!("CLIENT -> SERVER: {t}"));
    l.push_back(php(format!(
        "Connection: opening to {server}:587, timeout=300, options=array()"
    )));
    let roll = rng.below(1000);
    if roll < 30 {
        l.push_back(php(
            "SMTP ERROR: Failed to connect to server: Connection timed out (110)".into(),
        ));
        exp.count(Status::Failure);
        return l;
    }
    l.push_back(php("Connection: opened".into()));
    l.push_back(s(&format!("220 {server} ESMTP Postfix")));
    let ehlo = |l: &mut VecDeque<Line>, auth: bool| {
        l.push_back(c("EHLO app.example.org"));
        let mut reply = format!("250-{server}\n{CONT}250-PIPELINING\n{CONT}250-SIZE 10240000\n");
        if auth {
            reply.push_str(&format!("{CONT}250-AUTH PLAIN LOGIN\n"));
        } else {
            reply.push_str(&format!("{CONT}250-STARTTLS\n"));
        }
        reply.push_str(&format!("{CONT}250 8BITMIME"));
        l.push_back(s(&reply));
    };
    ehlo(&mut l, false);
    l.push_back(c("STARTTLS"));
    l.push_back(s("220 2.0.0 Ready to start TLS"));
    ehlo(&mut l, true);
    l.push_back(c("AUTH LOGIN"));
    l.push_back(s("334 VXNlcm5hbWU6"));
    l.push_back(c("[credentials hidden]"));
    l.push_back(s("334 UGFzc3dvcmQ6"));
    l.push_back(c("[credentials hidden]"));
    let close = |l: &mut VecDeque<Line>| {
        l.push_back(c("QUIT"));
        l.push_back(s("221 2.0.0 Bye"));
        l.push_back(php("Connection: closed".into()));
    };
    if roll < 90 {
        l.push_back(s(
            "535 5.7.8 Error: authentication failed: authentication failure",
        ));
        l.push_back(php("SMTP ERROR: Password command failed: 535 5.7.8 Error: authentication failed: authentication failure".into()));
        close(&mut l);
        exp.count(Status::Failure);
        return l;
    }
    l.push_back(s("235 2.7.0 Authentication successful"));
    l.push_back(c(&format!("MAIL FROM:<{from}>")));
    l.push_back(s("250 2.1.0 Ok"));
    let partial = (90..140).contains(&roll);
    let refused = (140..170).contains(&roll);
    if partial || refused {
        l.push_back(c("RCPT TO:<nobody@example.com>"));
        l.push_back(s("550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table"));
        l.push_back(php("SMTP ERROR: RCPT TO command failed: 550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table".into()));
    }
    if refused {
        close(&mut l);
        exp.count(Status::Failure);
        return l;
    }
    l.push_back(c(&format!("RCPT TO:<{to}>")));
    l.push_back(s("250 2.1.5 Ok"));
    l.push_back(c("DATA"));
    l.push_back(s("354 End data with <CR><LF>.<CR><LF>"));
    let id = rng.below(1 << 40);
    for h in [
        "Date: Sun, 22 Nov 2026 10:00:00 +0000".to_owned(),
        format!("To: <{to}>"),
        format!("From: Shop <{from}>"),
        format!("Subject: Your order {id}"),
        format!("Message-ID: <{id}@app.example.org>"),
        "X-Mailer: PHPMailer 6.9.1 (https://github.com/PHPMailer/PHPMailer)".to_owned(),
        "MIME-Version: 1.0".to_owned(),
        "Content-Type: text/plain; charset=us-ascii".to_owned(),
        String::new(),
        "Thank you for your order. It ships tomorrow.".to_owned(),
        String::new(),
        ".".to_owned(),
    ] {
        l.push_back(c(&h));
    }
    l.push_back(s(&format!("250 2.0.0 Ok: queued as {}", qid(rng))));
    close(&mut l);
    exp.count(if partial { Status::Partial } else { Status::Success });
    l
}
