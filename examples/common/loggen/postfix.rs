//! Postfix maillog: interleaved smtpd connections, queue-id lines, onward smtp attempts.

use super::{addr, ip, qid, Clock, Expected, Line, Mixer, Out, Rng, Status, CLIENT_HOSTS, DOMAINS};
use std::collections::VecDeque;
use std::io::{self, Write};

/// A Postfix line: `Nov 22 10:00:01 mx1 postfix/<prog>[<pid>]: <text>`.
fn pf(prog: &'static str, pid: u32, text: String) -> Line {
    Box::new(move |c: &Clock| format!("{} mx1 postfix/{prog}[{pid}]: {text}", c.syslog()))
}

fn other(text: &'static str, prog: &'static str, pid: u32) -> Line {
    Box::new(move |c: &Clock| format!("{} mx1 {prog}[{pid}]: {text}", c.syslog()))
}

/// Postfix: inbound smtpd connections (pids from a small pool, so they are reused), queue-id
/// lines after the disconnect, some relayed onward by `smtp` (its own sessions), and noise.
pub(super) fn write<W: Write>(
    out: &mut Out<W>,
    rng: &mut Rng,
    target: u64,
    exp: &mut Expected,
) -> io::Result<()> {
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
