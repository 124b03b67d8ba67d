//! Exchange SmtpReceive protocol log (CSV events of interleaved sessions).

use super::{addr, ip, Clock, Expected, Line, Mixer, Out, Rng, Status, CLIENT_HOSTS};
use std::collections::VecDeque;
use std::io::{self, Write};

/// Exchange SmtpReceive: CSV events of interleaved sessions, unique session ids, sequence
/// numbers per session.
pub(super) fn write<W: Write>(
    out: &mut Out<W>,
    rng: &mut Rng,
    target: u64,
    exp: &mut Expected,
) -> io::Result<()> {
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
